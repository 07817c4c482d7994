"""The records COPY and ADD pass around (re-exported by ``build.sources``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["CopyLimits", "Owner", "SourceMatch"]


@dataclass(frozen=True)
class SourceMatch:
    """One source path found under a source root (the context, or another stage's or image's
    file system)."""

    root: Path          # the source root the path was resolved in
    path: str           # clean path relative to root, as matched ("." for the root itself)
    is_dir: bool
    pattern: str        # the source word it came from
    from_url: bool = False  # ADD <url>: never extracted; its digest is a bare hex (Docker's)


@dataclass(frozen=True)
class Owner:
    uid: int
    gid: int


@dataclass(frozen=True)
class CopyLimits:
    max_archive_bytes: int = 16 << 30   # bytes an ADD archive may expand to
    # expanded / compressed, past a 64 MiB allowance: gzip cannot pass ~1030x, so a bound of
    # 1000x let a 4 MB bomb write 4 GB; real tars rarely pass 20x (zero-filled images do)
    max_archive_ratio: int = 100
    max_url_bytes: int = 8 << 30
    max_archive_entries: int = 1_000_000
    url_timeout: float = 600.0          # a whole ADD <url> download, seconds
    url_socket_timeout: float = 30.0    # each connect or read of it
