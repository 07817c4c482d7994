"""A registry's error responses as wharf's typed errors, with Docker's texts.

The OCI error body is ``{"errors": [{"code": "MANIFEST_UNKNOWN", "message": "…"}]}``; Docker
prints each as ``<code in lower case with spaces>: <message>`` (``manifest unknown: manifest
unknown``). ``RegistryError`` keeps the codes so callers can tell them apart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from wharf.core.errors import (
    Forbidden,
    InvalidParameter,
    NotFound,
    RemoteFailure,
    Unauthorized,
    WharfError,
)

__all__ = [
    "ErrorDetail",
    "error_details",
    "error_for_response",
    "registry_error_text",
]

MAX_ERROR_BODY = 64 * 1024


@dataclass(frozen=True)
class ErrorDetail:
    code: str
    message: str

    def __str__(self) -> str:
        label = self.code.lower().replace("_", " ")
        return f"{label}: {self.message}" if self.message else label


def error_details(body: bytes) -> list[ErrorDetail]:
    """The ``errors`` of an OCI error body; empty when the body is not one."""
    try:
        data = json.loads(body[:MAX_ERROR_BODY])
    except ValueError:
        return []
    entries = data.get("errors") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return []
    found: list[ErrorDetail] = []
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("code"), str):
            found.append(ErrorDetail(entry["code"], str(entry.get("message") or "")))
    return found


def registry_error_text(status: int, reason: str, body: bytes) -> str:
    """Docker's text for a failed response: the OCI errors, else the status line."""
    details = error_details(body)
    if details:
        return ", ".join(str(detail) for detail in details)
    if status == 401:
        return "unauthorized: authentication required"
    if status == 403:
        return "denied: requested access to the resource is denied"
    return f"received unexpected HTTP status: {status} {reason}".rstrip()


def error_for_response(status: int, reason: str, body: bytes) -> WharfError:
    """The typed error for a failed registry response (codes and status decide the class)."""
    text = registry_error_text(status, reason, body)
    codes = {detail.code for detail in error_details(body)}
    if status == 401 or "UNAUTHORIZED" in codes:
        return Unauthorized(text)
    if status == 403 or "DENIED" in codes:
        return Forbidden(text)
    if status == 404:
        return NotFound(text)
    if status in (400, 405, 413, 416) and codes:
        return InvalidParameter(text)
    return RemoteFailure(text)
