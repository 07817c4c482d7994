"""Layer compression: detect by magic bytes, decompress as a stream, compress for the store.

Everything runs in-process (isal's igzip when importable, else zlib's gzip; zstandard; the
standard library's bz2 and lzma): wharf never runs a decompressor found on the host or in an
image.
"""

from __future__ import annotations

import bz2
import enum
import gzip
import io
import lzma
import zlib
from typing import Any, BinaryIO, cast

import zstandard

from wharf.core.errors import InvalidParameter

__all__ = ["Compression", "compressor", "decompressed", "detect"]

try:  # isal is much faster than zlib for gzip; fall back silently when missing.
    from isal import igzip as _gzip_impl
    from isal.isal_zlib import IsalError as _IsalError

    _GZIP: Any = _gzip_impl
    _DATA_ERRORS: tuple[type[Exception], ...] = (cast(type[Exception], _IsalError),)
except ImportError:  # pragma: no cover - isal is a declared dependency
    _GZIP = gzip
    _DATA_ERRORS = ()


class Compression(enum.Enum):
    NONE = "none"
    GZIP = "gzip"
    ZSTD = "zstd"
    BZIP2 = "bzip2"
    XZ = "xz"


_MAGIC = (
    (b"\x1f\x8b", Compression.GZIP),
    (b"\x28\xb5\x2f\xfd", Compression.ZSTD),
    (b"BZh", Compression.BZIP2),
    (b"\xfd7zXZ\x00", Compression.XZ),
)


def detect(head: bytes) -> Compression:
    """The compression of a stream starting with ``head`` (at least 6 bytes when available)."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return Compression.NONE


def decompressed(stream: BinaryIO, limit: int | None = None) -> BinaryIO:
    """A reader of ``stream``'s decompressed bytes (detected by magic; plain passes through).

    Corrupt compressed data raises InvalidParameter from ``read``; so does reading more than
    ``limit`` decompressed bytes (a decompression bomb), before the excess is returned.
    """
    return cast(BinaryIO, _Guarded(_decompressor(stream), limit))


def _decompressor(stream: BinaryIO) -> BinaryIO:
    buffered = (
        stream
        if isinstance(stream, io.BufferedReader)
        else io.BufferedReader(cast(io.RawIOBase, _RawAdapter(stream)), 1 << 16)
    )
    kind = detect(buffered.peek(6)[:6])
    if kind is Compression.GZIP:
        return cast(BinaryIO, _GZIP.GzipFile(fileobj=buffered, mode="rb"))
    if kind is Compression.ZSTD:
        reader = zstandard.ZstdDecompressor().stream_reader(buffered, read_across_frames=True)
        return cast(BinaryIO, io.BufferedReader(reader, 1 << 16))
    if kind is Compression.BZIP2:
        return cast(BinaryIO, bz2.BZ2File(buffered, "rb"))
    if kind is Compression.XZ:
        return cast(BinaryIO, lzma.LZMAFile(buffered, "rb"))
    return cast(BinaryIO, buffered)


def compressor(out: BinaryIO, kind: Compression = Compression.GZIP, level: int = 1) -> BinaryIO:
    """A writer that compresses into ``out``; closing it finishes the stream (not ``out``)."""
    if kind is Compression.GZIP:
        return cast(BinaryIO, _GZIP.GzipFile(fileobj=out, mode="wb", compresslevel=level, mtime=0))
    if kind is Compression.ZSTD:
        return cast(BinaryIO, zstandard.ZstdCompressor(level=3).stream_writer(out, closefd=False))
    if kind is Compression.NONE:
        return cast(BinaryIO, _NoClose(out))
    raise InvalidParameter(f"unsupported layer compression for writing: {kind.value}")


_CORRUPT_DATA: tuple[type[Exception], ...] = (
    EOFError,
    zlib.error,
    lzma.LZMAError,
    zstandard.ZstdError,
    *_DATA_ERRORS,
)


class _Guarded(io.RawIOBase):
    """Turn a decompressor's complaints about its input into InvalidParameter; count the
    decompressed bytes against an optional bound."""

    def __init__(self, inner: BinaryIO, limit: int | None) -> None:
        self._inner = inner
        self._limit = limit
        self._total = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._limit is not None and (size is None or size < 0):
            size = self._limit + 1 - self._total  # never buffer more than the bound at once
        data = self._read(size)
        self._total += len(data)
        if self._limit is not None and self._total > self._limit:
            raise InvalidParameter(f"decompressed data exceeds the limit of {self._limit} bytes")
        return data

    def _read(self, size: int) -> bytes:
        try:
            return self._inner.read(size)
        except _CORRUPT_DATA as exc:
            raise InvalidParameter(f"corrupt compressed layer: {exc}") from exc
        except OSError as exc:
            if exc.errno is None:  # gzip.BadGzipFile, bz2's "Invalid data stream"
                raise InvalidParameter(f"corrupt compressed layer: {exc}") from exc
            raise  # a real I/O error of the underlying stream

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)


class _RawAdapter(io.RawIOBase):
    """Present any object with ``read`` as a raw stream so BufferedReader can peek it."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._stream.read(len(view))
        view[: len(data)] = data
        return len(data)


class _NoClose(io.RawIOBase):
    def __init__(self, out: BinaryIO) -> None:
        self._out = out

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._out.write(data)
        return len(data)
