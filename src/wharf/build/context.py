"""The build context on the daemon's side: the tar a client sent, unpacked safely into a
directory of the build's own, and the Dockerfile found inside it."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

__all__ = ["ContextLimits", "extract_context", "read_dockerfile", "take_out"]

from dataclasses import dataclass


@dataclass(frozen=True)
class ContextLimits:
    max_bytes: int = 64 << 30        # uncompressed bytes of the context, at most
    max_entries: int = 5_000_000


def extract_context(stream: BinaryIO, dest: Path, limits: ContextLimits = ContextLimits()) -> None:
    """Unpack the context tar (plain, gzip, bzip2, xz or zstd: sniffed) into ``dest`` (an empty
    directory the caller made). Entries that would land outside ``dest`` (``..``, absolute
    names, through symlinks), device nodes, and anything past ``limits`` make it raise
    ``InvalidParameter`` (Docker's wording where it has one); ownership is not kept (files are
    root's, as the classic builder makes them), modes and mtimes are."""
    raise NotImplementedError


def read_dockerfile(context: Path, name: str, limit: int = 16 << 20) -> bytes:
    """The Dockerfile ``name`` (relative to the context; default ``Dockerfile``, falling back
    to ``dockerfile`` as Docker does). A name outside the context, or a symlink that resolves
    outside it, or a missing file: ``InvalidParameter("Cannot locate specified Dockerfile:
    <name>")``."""
    raise NotImplementedError


def take_out(context: Path, name: str, dest: Path) -> None:
    """Move the context entry ``name`` (a secret the CLI sent inside the tar, or the
    ``-f`` Dockerfile it added) out of the context to ``dest``, so no COPY can reach it."""
    raise NotImplementedError
