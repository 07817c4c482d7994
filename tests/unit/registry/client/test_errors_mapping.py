"""Registry error bodies → typed errors with Docker's texts."""

from __future__ import annotations

import json

import pytest

from wharf.core.errors import Forbidden, NotFound, RemoteFailure, Unauthorized, WharfError
from wharf.registry.client.blobs import parse_content_range
from wharf.registry.client.errors import error_for_response, registry_error_text


def _body(code: str, message: str) -> bytes:
    return json.dumps({"errors": [{"code": code, "message": message}]}).encode()


def test_oci_error_text_is_code_then_message() -> None:
    text = registry_error_text(404, "Not Found", _body("MANIFEST_UNKNOWN", "manifest unknown"))
    assert text == "manifest unknown: manifest unknown"


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (401, b"", Unauthorized),
        (403, _body("DENIED", "requested access to the resource is denied"), Forbidden),
        (404, _body("BLOB_UNKNOWN", "blob unknown to registry"), NotFound),
        (500, b"oops", RemoteFailure),
        (502, b"", RemoteFailure),
    ],
)
def test_status_and_codes_pick_the_error_class(
    status: int, body: bytes, kind: type[WharfError]
) -> None:
    assert type(error_for_response(status, "", body)) is kind


def test_plain_status_text_when_no_oci_body() -> None:
    error = error_for_response(500, "Internal Server Error", b"<html>")
    assert str(error) == "received unexpected HTTP status: 500 Internal Server Error"


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("bytes 10-99/100", (10, 99, 100)),
        ("bytes 0-0/*", (0, 0, None)),
        ("10-99/100", None),
        ("bytes a-b/c", None),
    ],
)
def test_content_range(value: str, parsed: tuple[int, int, int | None] | None) -> None:
    assert parse_content_range(value) == parsed
