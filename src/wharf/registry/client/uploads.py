"""Blob uploads (distribution spec "Pushing blobs"): start, monolithic PUT, chunked PATCHes.

Monolithic: ``POST /v2/<name>/blobs/uploads/`` → 202 + Location, then one
``PUT <location>?digest=`` with the whole body. Chunked: after the POST, ``PATCH <location>``
per chunk with ``Content-Range: start-end``, each answering 202 with the next Location, then
an empty ``PUT <location>?digest=``. The registry answers 201 once the digest is verified.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO
from urllib.parse import urlencode, urljoin, urlsplit

from wharf.core.digest import Digest
from wharf.core.errors import RemoteFailure
from wharf.registry.client.endpoints import Endpoint
from wharf.registry.client.errors import error_for_response
from wharf.registry.client.session import AuthContext, Session
from wharf.registry.client.transport import SMALL_BODY, Response, finish, read_body

__all__ = ["Progress", "UploadTarget", "upload_chunked", "upload_monolithic"]

Progress = Callable[[int], None]
READ_SIZE = 1024 * 1024  # http.client would send a file object in 8 KiB writes


def check(response: Response, *expected: int) -> Response:
    """``response`` if its status is one of ``expected``; its typed error otherwise."""
    if response.status in expected:
        return response
    body = read_body(response, SMALL_BODY, "error response")
    raise error_for_response(response.status, response.reason or "", body)


def location_of(response: Response, base: str) -> str:
    location = response.headers.get("Location")
    if not location:
        raise RemoteFailure("registry did not return an upload location")
    return urljoin(base, location)


def with_query(url: str, **params: str) -> str:
    separator = "&" if urlsplit(url).query else "?"
    return url + separator + urlencode(params)


class UploadTarget:
    """Where one blob goes: the session, endpoint, repository path and auth."""

    def __init__(self, session: Session, endpoint: Endpoint, path: str, auth: AuthContext) -> None:
        self.session = session
        self.endpoint = endpoint
        self.path = path
        self.auth = auth

    def send(
        self, method: str, url: str, headers: dict[str, str] | None = None, body: object = None
    ) -> Response:
        return self.session.request(
            self.endpoint,
            method,
            url,
            self.auth,
            headers=headers,
            body=body,  # type: ignore[arg-type]
        )

    def start(self) -> str:
        url = self.endpoint.url(f"/v2/{self.path}/blobs/uploads/")
        response = check(self.send("POST", url, {"Content-Length": "0"}, b""), 202)
        finish(response)
        return location_of(response, url)


class _CountingReader:
    """A file-like view of at most ``size`` bytes of ``source`` that reports progress."""

    def __init__(self, source: IO[bytes], size: int, progress: Progress | None) -> None:
        self._source = source
        self._left = size
        self._progress = progress
        self.sent = 0

    def read(self, amount: int = READ_SIZE) -> bytes:
        if self._left <= 0:
            return b""
        data = self._source.read(min(amount if amount > 0 else READ_SIZE, self._left))
        if not data:
            raise RemoteFailure(f"blob source ended {self._left} bytes early")
        self._left -= len(data)
        self.sent += len(data)
        if self._progress is not None:
            self._progress(self.sent)
        return data

    def __iter__(self) -> Iterator[bytes]:
        while data := self.read():
            yield data


def upload_monolithic(
    target: UploadTarget, digest: Digest, size: int, source: IO[bytes], progress: Progress | None
) -> None:
    location = target.start()
    reader = _CountingReader(source, size, progress)
    headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
    response = target.send("PUT", with_query(location, digest=str(digest)), headers, iter(reader))
    finish(check(response, 201, 204))


def upload_chunked(
    target: UploadTarget,
    digest: Digest,
    size: int,
    source: IO[bytes],
    chunk_size: int,
    progress: Progress | None,
) -> None:
    location = target.start()
    sent = 0
    while sent < size:
        chunk = _read_exact(source, min(chunk_size, size - sent))
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Range": f"{sent}-{sent + len(chunk) - 1}",
            "Content-Length": str(len(chunk)),
        }
        response = check(target.send("PATCH", location, headers, chunk), 202, 204)
        finish(response)
        location = location_of(response, location)
        sent += len(chunk)
        _check_received(response, sent)
        if progress is not None:
            progress(sent)
    response = target.send(
        "PUT", with_query(location, digest=str(digest)), {"Content-Length": "0"}, b""
    )
    finish(check(response, 201, 204))


def _check_received(response: Response, sent: int) -> None:
    """A registry that says how much it holds (``Range: 0-<last>``) must hold what was sent."""
    held = response.headers.get("Range", "")
    if held and held != f"0-{sent - 1}" and held != f"bytes=0-{sent - 1}":
        raise RemoteFailure(f"registry holds {held} of the upload after {sent} bytes were sent")


def _read_exact(source: IO[bytes], amount: int) -> bytes:
    parts: list[bytes] = []
    left = amount
    while left > 0:
        data = source.read(left)
        if not data:
            raise RemoteFailure(f"blob source ended {left} bytes early")
        parts.append(data)
        left -= len(data)
    return b"".join(parts)
