"""COPY and ADD: which files a source list names, what their content hash is (the cache key
and the history's ``file:<hex>``), and putting them into a root file system exactly where
Docker's classic builder puts them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["CopyLimits", "Owner", "SourceMatch", "copy_into", "fetch_url", "match_sources",
           "sources_digest"]


@dataclass(frozen=True)
class SourceMatch:
    """One source path found under a source root (the context, or another stage's or image's
    file system)."""

    root: Path          # the source root the path was resolved in
    path: str           # clean path relative to root, as matched ("." for the root itself)
    is_dir: bool
    pattern: str        # the source word it came from


@dataclass(frozen=True)
class Owner:
    uid: int
    gid: int


@dataclass(frozen=True)
class CopyLimits:
    max_archive_bytes: int = 16 << 30   # bytes an ADD archive may expand to
    max_archive_ratio: int = 1000       # expanded / compressed, past a 1 MiB allowance
    max_url_bytes: int = 8 << 30


def match_sources(root: Path, words: list[str], *, keyword: str = "COPY",
                  wildcards: bool = True) -> list[SourceMatch]:
    """The paths ``words`` name under ``root`` (Go's filepath.Match wildcards when
    ``wildcards``). Each word is resolved inside ``root`` (symlinks on the way followed, but
    never out of it); ``../x`` and absolute names are relative to ``root`` as in Docker. A word
    matching nothing raises ``InvalidParameter`` with Docker's text (``COPY failed: file not
    found in build context or excluded by .dockerignore: stat x: file does not exist``)."""
    raise NotImplementedError


def sources_digest(matches: list[SourceMatch]) -> str:
    """A stable content hash of the matched files (names, modes, symlink targets and bytes;
    not mtimes), as Docker's ``file:<hex>`` / ``dir:<hex>`` / ``multi:<hex>``."""
    raise NotImplementedError


def copy_into(rootfs: Path, matches: list[SourceMatch], dest: str, workdir: str, *,
              owner: Owner | None = None, mode: int | None = None,
              extract_archives: bool = False, limits: CopyLimits = CopyLimits()) -> None:
    """Copy ``matches`` to ``dest`` (relative to ``workdir`` when not absolute) inside
    ``rootfs`` with Docker's directory semantics (a directory copies its contents; several
    sources or a trailing ``/`` need a directory destination; missing parents are made).
    Every path is resolved inside ``rootfs`` (a symlink in the image cannot send a write
    outside it). ``owner`` defaults to 0:0, ``mode`` keeps the source's. ``extract_archives``
    (ADD): a local tar (plain, gzip, bzip2, xz) is unpacked into the destination directory
    instead, within ``limits``."""
    raise NotImplementedError


def fetch_url(url: str, dest_dir: Path, limits: CopyLimits = CopyLimits()) -> SourceMatch:
    """ADD <url>: download to ``dest_dir`` (file name from the URL's path, mode 0600, mtime
    from Last-Modified), never extracted; errors as Docker's."""
    raise NotImplementedError
