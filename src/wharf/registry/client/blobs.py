"""A blob being downloaded: the response body as a bounded stream, resumable by offset.

``BlobStream.offset`` is where the body starts in the blob: the offset asked for when the
registry honoured ``Range`` (206 with a matching ``Content-Range``), 0 when it sent the whole
blob (a 200) — the caller then starts the blob over. Reads fail with ``RemoteFailure`` on a
timeout, a truncated body, or more bytes than the blob's size.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from types import TracebackType

from urllib3.exceptions import HTTPError, ProtocolError, ReadTimeoutError

from wharf.core.digest import Digest
from wharf.core.errors import RemoteFailure
from wharf.registry.client.transport import Response

__all__ = ["BlobStream", "parse_content_range"]

CHUNK_SIZE = 256 * 1024
_CONTENT_RANGE_RE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


def parse_content_range(value: str) -> tuple[int, int, int | None] | None:
    """``bytes start-end/total`` → (start, end, total or None); None when malformed."""
    match = _CONTENT_RANGE_RE.match(value.strip())
    if match is None:
        return None
    total = None if match.group(3) == "*" else int(match.group(3))
    return int(match.group(1)), int(match.group(2)), total


class BlobStream:
    """The body of a blob GET; a context manager and an iterator of byte chunks."""

    def __init__(
        self, response: Response, digest: Digest, offset: int, size: int | None, url: str
    ) -> None:
        self.digest = digest
        self.offset = offset
        self.size = size
        self.url = url
        self._response = response
        self._read = 0
        self._closed = False

    @property
    def remaining(self) -> int | None:
        """Bytes of the body still to come, when the size is known."""
        return None if self.size is None else self.size - self.offset - self._read

    def read(self, amount: int = CHUNK_SIZE) -> bytes:
        """Up to ``amount`` bytes; b"" at the end of the blob."""
        if self._closed:
            return b""
        limit = amount if self.remaining is None else min(amount, self.remaining + 1)
        try:
            data = self._response.read(limit, decode_content=False) if limit > 0 else b""
        except ReadTimeoutError as error:
            raise RemoteFailure(f'Get "{self.url}": read timeout') from error
        except (ProtocolError, HTTPError, OSError) as error:
            raise RemoteFailure(f'Get "{self.url}": unexpected EOF ({error})') from error
        self._read += len(data)
        self._check(data)
        return data

    def _check(self, data: bytes) -> None:
        remaining = self.remaining
        if remaining is not None and remaining < 0:
            self.close()
            raise RemoteFailure(f"blob {self.digest} is larger than its {self.size} bytes")
        if not data and remaining:
            self.close()
            raise RemoteFailure(
                f'Get "{self.url}": unexpected EOF: blob {self.digest} ended after '
                f"{self.offset + self._read} of {self.size} bytes"
            )

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read():
            yield chunk

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._response.release_conn() if self.remaining == 0 else self._response.close()

    def __enter__(self) -> BlobStream:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def stream_from_response(
    response: Response, digest: Digest, offset: int, size: int | None, url: str
) -> BlobStream | None:
    """Interpret a 200/206 blob response for a request from ``offset``; None when the registry
    answered a range other than the one asked for (the caller asks again for the whole blob)."""
    if response.status == 206:
        span = parse_content_range(response.headers.get("Content-Range", ""))
        if offset == 0 or span is None or span[0] != offset:
            response.close()
            return None
        total = span[2] if span[2] is not None else size
        _check_size(response, digest, total, size)
        return BlobStream(response, digest, offset, total, url)
    length = response.headers.get("Content-Length")
    total = int(length) if length and length.isdigit() else size
    _check_size(response, digest, total, size)
    return BlobStream(response, digest, 0, total, url)


def _check_size(response: Response, digest: Digest, total: int | None, size: int | None) -> None:
    if size is not None and total is not None and total != size:
        response.close()
        raise RemoteFailure(f"blob {digest} has {total} bytes, expected {size}")
