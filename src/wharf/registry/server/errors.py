"""Errors in the OCI distribution shape: ``{"errors": [{"code", "message", "detail"}]}``.

Every handler raises :class:`RegistryError`; the app's error middleware turns it into the
response with the code's HTTP status. The codes are the spec's (error-codes table) plus
``PAGINATION_NUMBER_INVALID`` and ``UNKNOWN`` (a 500), which CNCF distribution uses too. Where the
spec names another status for a code (416 for an out-of-order chunk, 413 for a body too large),
``status`` overrides the code's default.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["ERROR_STATUS", "RegistryError", "error_body"]

ERROR_STATUS: dict[str, int] = {
    "BLOB_UNKNOWN": 404,
    "BLOB_UPLOAD_INVALID": 400,
    "BLOB_UPLOAD_UNKNOWN": 404,
    "DIGEST_INVALID": 400,
    "MANIFEST_BLOB_UNKNOWN": 400,
    "MANIFEST_INVALID": 400,
    "MANIFEST_UNKNOWN": 404,
    "NAME_INVALID": 400,
    "NAME_UNKNOWN": 404,
    "SIZE_INVALID": 400,
    "UNAUTHORIZED": 401,
    "DENIED": 403,
    "UNSUPPORTED": 405,
    "TOOMANYREQUESTS": 429,
    "PAGINATION_NUMBER_INVALID": 400,
    "UNKNOWN": 500,
}

_MESSAGES: dict[str, str] = {
    "BLOB_UNKNOWN": "blob unknown to registry",
    "BLOB_UPLOAD_INVALID": "blob upload invalid",
    "BLOB_UPLOAD_UNKNOWN": "blob upload unknown to registry",
    "DIGEST_INVALID": "provided digest did not match uploaded content",
    "MANIFEST_BLOB_UNKNOWN": "manifest references a manifest or blob unknown to registry",
    "MANIFEST_INVALID": "manifest invalid",
    "MANIFEST_UNKNOWN": "manifest unknown",
    "NAME_INVALID": "invalid repository name",
    "NAME_UNKNOWN": "repository name not known to registry",
    "SIZE_INVALID": "provided length did not match content length",
    "UNAUTHORIZED": "authentication required",
    "DENIED": "requested access to the resource is denied",
    "UNSUPPORTED": "The operation is unsupported.",
    "TOOMANYREQUESTS": "too many requests",
    "PAGINATION_NUMBER_INVALID": "invalid number of results requested",
    "UNKNOWN": "unknown error",
}


@dataclass
class RegistryError(Exception):
    """A request the registry refuses: ``code`` is the spec's identifier, ``status`` defaults
    to the code's HTTP status, ``detail`` is any JSON value naming what was wrong."""

    code: str
    message: str = ""
    detail: Any = None
    status: int = 0

    def __post_init__(self) -> None:
        if self.code not in ERROR_STATUS:
            raise ValueError(f"unknown registry error code {self.code}")
        if not self.status:
            self.status = ERROR_STATUS[self.code]
        if not self.message:
            self.message = _MESSAGES[self.code]
        super().__init__(self.message)


def error_body(error: RegistryError) -> bytes:
    """The JSON body of ``error``'s response."""
    entry: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.detail is not None:
        entry["detail"] = error.detail
    return json.dumps({"errors": [entry]}).encode()
