"""COPY and ADD: which files a source list names, what their content hash is (the cache key
and the history's ``file:<hex>``), and putting them into a root file system exactly where
Docker's classic builder puts them."""

from __future__ import annotations

import hashlib
import os
import posixpath
import stat
import tempfile
from pathlib import Path

from wharf.build import rootpath
from wharf.build.copying import CopyRequest, copy_all
from wharf.build.fetch import Progress, download
from wharf.build.source_types import CopyLimits, Owner, SourceMatch
from wharf.build.walk import real_path, walk_tree
from wharf.core.errors import InvalidParameter
from wharf.lib import securepath
from wharf.lib.gomatch import has_wildcards, matches

__all__ = ["CopyLimits", "Owner", "SourceMatch", "copy_into", "fetch_url", "match_sources",
           "sources_digest"]

_CHUNK = 1 << 20
_NOT_IN_CONTEXT = "file not found in build context or excluded by .dockerignore: "
DEFAULT_LIMITS = CopyLimits()


def match_sources(root: Path, words: list[str], *, keyword: str = "COPY",
                  wildcards: bool = True, in_context: bool = True) -> list[SourceMatch]:
    """The paths ``words`` name under ``root`` (Go's filepath.Match wildcards when
    ``wildcards``). Each word is resolved inside ``root`` (symlinks on the way followed, but
    never out of it); ``../x`` and absolute names are relative to ``root`` as in Docker. A word
    matching nothing raises ``InvalidParameter`` with Docker's text (``COPY failed: file not
    found in build context or excluded by .dockerignore: stat x: file does not exist``).

    As Docker: a leading ``/`` is dropped, a ``..`` climbing out of ``root`` is ``forbidden path
    outside the build context: ../x ()``, a wildcard matching nothing is no error unless no word
    matched anything (``no source files were specified``). ``in_context=False`` (``--from``)
    drops the context's words from the not-found error, as Docker does for an image."""
    found: list[SourceMatch] = []
    for word in words:
        path = word[1:] if word.startswith("/") and len(word) > 1 else word
        path = path.removeprefix("./")
        if wildcards and has_wildcards(path):
            found.extend(_stat_source(root, rel, word, keyword, in_context)
                         for rel in _walk_matching(root, path))
        else:
            found.append(_stat_source(root, path, word, keyword, in_context))
    if not found:
        raise InvalidParameter(f"{keyword} failed: no source files were specified")
    return found


def _walk_matching(root: Path, pattern: str) -> list[str]:
    depth = None if "[" in pattern else pattern.count("/") + 1  # `*` never crosses a `/`
    return [node.rel for node in walk_tree(root, "", max_depth=depth)
            if matches(pattern, node.rel)]


def _stat_source(root: Path, path: str, word: str, keyword: str,
                 in_context: bool) -> SourceMatch:
    rel = rootpath.clean_under("", path)
    if rel is None:
        raise InvalidParameter(
            f"{keyword} failed: forbidden path outside the build context: {path} ()")
    try:
        fd = securepath.open_in_root(root, rel, os.O_PATH)
    except (FileNotFoundError, NotADirectoryError) as exc:
        where = _NOT_IN_CONTEXT if in_context else ""
        raise InvalidParameter(
            f"{keyword} failed: {where}stat {path}: file does not exist") from exc
    except OSError as exc:
        raise InvalidParameter(f"{keyword} failed: stat {path}: {exc.strerror}") from exc
    try:
        is_dir = stat.S_ISDIR(os.fstat(fd).st_mode)
    finally:
        os.close(fd)
    return SourceMatch(root, rel or ".", is_dir, word)


def sources_digest(matches: list[SourceMatch]) -> str:
    """A stable content hash of the matched files (names, modes, symlink targets and bytes;
    not mtimes), as Docker's ``file:<hex>`` / ``dir:<hex>`` / ``multi:<hex>``."""
    hashes = [_match_digest(m) for m in matches]
    if len(hashes) == 1:
        return hashes[0]
    return "multi:" + hashlib.sha256(",".join(hashes).encode()).hexdigest()


def _match_digest(match: SourceMatch) -> str:
    top = real_path(match.root, "" if match.path == "." else match.path)
    if match.is_dir:
        parts = [_entry_digest(match.root, posixpath.join(top, n.rel), n.rel, n.st)
                 for n in walk_tree(match.root, top)]
        return "dir:" + hashlib.sha256(",".join(parts).encode()).hexdigest()
    fd = securepath.open_in_root(match.root, top, os.O_RDONLY | os.O_NONBLOCK)
    try:
        name = posixpath.basename(match.path)
        digest = _entry_digest(match.root, top, name, os.fstat(fd), fd)
    finally:
        os.close(fd)
    return digest if match.from_url else "file:" + digest


def _entry_digest(root: Path, real: str, name: str, st: os.stat_result,
                  fd: int | None = None) -> str:
    h = hashlib.sha256()
    kind = stat.S_IFMT(st.st_mode)
    h.update(f"{name}\0{kind:o}\0{st.st_mode & 0o7777:o}\0{st.st_uid}\0{st.st_gid}\0".encode(
        "utf-8", "surrogateescape"))
    if stat.S_ISLNK(st.st_mode):
        parent, base = posixpath.split(real)
        pfd = rootpath.open_dir(root, parent)
        try:
            h.update(os.fsencode(os.readlink(base, dir_fd=pfd)))
        finally:
            os.close(pfd)
    elif stat.S_ISREG(st.st_mode):
        _hash_content(h, root, real, fd)
    elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        h.update(f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}".encode())
    return h.hexdigest()


def _hash_content(h: hashlib._Hash, root: Path, real: str, fd: int | None) -> None:
    own = fd is None
    if fd is None:
        fd = securepath.open_in_root(root, real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        offset = 0
        while chunk := os.pread(fd, _CHUNK, offset):
            h.update(chunk)
            offset += len(chunk)
    finally:
        if own:
            os.close(fd)


def copy_into(rootfs: Path, matches: list[SourceMatch], dest: str, workdir: str, *,
              owner: Owner | None = None, mode: int | None = None,
              extract_archives: bool = False, limits: CopyLimits = DEFAULT_LIMITS,
              keyword: str | None = None, preserve_ownership: bool = False) -> None:
    """Copy ``matches`` to ``dest`` (relative to ``workdir`` when not absolute) inside
    ``rootfs`` with Docker's directory semantics (a directory copies its contents; several
    sources or a trailing ``/`` need a directory destination; missing parents are made).
    Every path is resolved inside ``rootfs`` (a symlink in the image cannot send a write
    outside it). ``owner`` defaults to 0:0, ``mode`` keeps the source's. ``extract_archives``
    (ADD): a local tar (plain, gzip, bzip2, xz) is unpacked into the destination directory
    instead, within ``limits``.

    ``keyword`` names the instruction in errors (default ADD when ``extract_archives``, else
    COPY); ``preserve_ownership`` (COPY --from without --chown, as Docker) keeps the sources'
    owners instead of ``owner``."""
    request = CopyRequest(rootfs=rootfs, dest=dest, workdir=workdir,
                          owner=None if preserve_ownership else (owner or Owner(0, 0)),
                          mode=mode, extract_archives=extract_archives, limits=limits,
                          keyword=keyword or ("ADD" if extract_archives else "COPY"))
    copy_all(request, matches)


def fetch_url(url: str, dest_dir: Path, limits: CopyLimits = DEFAULT_LIMITS, *,
              progress: Progress | None = None) -> SourceMatch:
    """ADD <url>: download to ``dest_dir`` (file name from the URL's path, mode 0600, mtime
    from Last-Modified), never extracted; errors as Docker's.

    Each download gets a fresh directory under ``dest_dir`` (the match's root), so two URLs
    naming the same file never collide; ``progress(done, total or None)`` is called as bytes
    arrive (Docker shows a "Downloading" bar)."""
    where = Path(tempfile.mkdtemp(prefix="url-", dir=dest_dir))
    name = download(url, where, max_bytes=limits.max_url_bytes, total_timeout=limits.url_timeout,
                    socket_timeout=limits.url_socket_timeout, progress=progress)
    return SourceMatch(where, name, False, url, from_url=True)
