"""The build context on the daemon's side: the tar a client sent, unpacked safely into a
directory of the build's own, and the Dockerfile found inside it."""

from __future__ import annotations

import errno
import os
import posixpath
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from wharf.build import rootpath
from wharf.build.untar import UntarRules, untar
from wharf.core.errors import InvalidParameter
from wharf.lib import securepath
from wharf.lib.dockerignore import PatternMatcher, parse_ignore_file

__all__ = ["ContextLimits", "extract_context", "read_dockerfile", "take_out"]

DEFAULT_DOCKERFILE = "Dockerfile"
CLI_DOCKERFILE_PREFIX = ".dockerfile."  # where a CLI puts a Dockerfile from outside the context
_IGNORE_FILE = ".dockerignore"
_IGNORE_LIMIT = 16 << 20


@dataclass(frozen=True)
class ContextLimits:
    max_bytes: int = 64 << 30        # uncompressed bytes of the context, at most
    max_entries: int = 5_000_000


def extract_context(stream: BinaryIO, dest: Path, limits: ContextLimits = ContextLimits()) -> None:
    """Unpack the context tar (plain, gzip, bzip2, xz or zstd: sniffed) into ``dest`` (an empty
    directory the caller made). Entries that would land outside ``dest`` (``..``, absolute
    names, through symlinks), device nodes, and anything past ``limits`` make it raise
    ``InvalidParameter`` (Docker's wording where it has one); ownership is not kept (files are
    root's, as the classic builder makes them), modes and mtimes are.

    ``..`` climbing out, absolute names, hard links out, devices and FIFOs are refused; a
    write through a symlink of the tar resolves inside ``dest`` (as Docker's chrooted untar),
    so it cannot land outside; symlinks themselves are kept as written (COPY resolves them in
    the context). A pax or GNU long-name header over 1 MiB is refused before it is read."""
    rules = UntarRules(label="Error processing tar file", keep_owner=False,
                       allow_absolute=False, allow_special=False, confine_symlinks=False,
                       clamp_dotdot=False,
                       max_bytes=limits.max_bytes, max_entries=limits.max_entries)
    untar(stream, dest, "", rules, spool_dir=dest.parent)


def read_dockerfile(context: Path, name: str, limit: int = 16 << 20) -> bytes:
    """The Dockerfile ``name`` (relative to the context; default ``Dockerfile``, falling back
    to ``dockerfile`` as Docker does). A name outside the context, or a symlink that resolves
    outside it, or a missing file: ``InvalidParameter("Cannot locate specified Dockerfile:
    <name>")``.

    As Docker's daemon does after reading it, the Dockerfile and ``.dockerignore`` are then
    removed from the context when ``.dockerignore`` excludes them (so COPY and ADD never see
    them; the docker CLI names there the ``.dockerfile.<random>`` it added for ``-f`` outside
    the context), and a ``.dockerfile.<random>`` Dockerfile is removed in any case."""
    name = name or DEFAULT_DOCKERFILE
    found = _locate(context, name)
    if found is None and name == DEFAULT_DOCKERFILE:
        found = _locate(context, DEFAULT_DOCKERFILE.lower())
    if found is None:
        raise InvalidParameter(f"Cannot locate specified Dockerfile: {name}")
    content = _read(context, found, name, limit)
    _drop_build_files(context, found)
    return content


def _locate(context: Path, name: str) -> str | None:
    """The clean path of ``name`` when it is a regular file inside the context (symlinks
    resolved in it), else None."""
    rel = rootpath.clean_under("", name)
    if rel is None or name.startswith("/") or not rel:
        return None
    try:
        fd = securepath.open_in_root(context, rel, os.O_PATH)
    except OSError:
        return None
    try:
        return rel if stat.S_ISREG(os.fstat(fd).st_mode) else None
    finally:
        os.close(fd)


def _read(context: Path, rel: str, name: str, limit: int) -> bytes:
    try:
        return securepath.read_file_in_root(context, rel, limit)
    except OSError as exc:
        if exc.errno == errno.EFBIG:
            raise InvalidParameter(f"Dockerfile {name} is larger than {limit} bytes") from exc
        raise InvalidParameter(f"Cannot locate specified Dockerfile: {name}") from exc


def _drop_build_files(context: Path, dockerfile: str) -> None:
    try:
        raw = securepath.read_file_in_root(context, _IGNORE_FILE, _IGNORE_LIMIT)
    except OSError:
        raw = None
    doomed = set()
    if raw is not None:
        matcher = PatternMatcher(parse_ignore_file(raw))
        doomed = {n for n in (_IGNORE_FILE, dockerfile) if matcher.matches(n)}
    if posixpath.basename(dockerfile).startswith(CLI_DOCKERFILE_PREFIX):
        doomed.add(dockerfile)
    for rel in sorted(doomed):
        _remove(context, rel)


def _remove(context: Path, rel: str) -> None:
    parent, base = posixpath.split(rel)
    try:
        parent_fd = rootpath.open_dir(context, parent)
    except OSError:
        return
    try:
        st = rootpath.lstat_at(parent_fd, base)
        if st is not None:
            rootpath.remove_at(parent_fd, base, st)
    finally:
        os.close(parent_fd)


def take_out(context: Path, name: str, dest: Path) -> None:
    """Move the context entry ``name`` (a secret the CLI sent inside the tar, or the
    ``-f`` Dockerfile it added) out of the context to ``dest``, so no COPY can reach it.
    It must be a regular file (never a symlink: it could name a file of the host)."""
    rel = rootpath.clean_under("", name)
    if not rel:
        raise InvalidParameter(f"invalid build context entry: {name}")
    parent, base = posixpath.split(rel)
    try:
        parent_fd = rootpath.open_dir(context, parent)
    except OSError as exc:
        raise InvalidParameter(f"build context entry not found: {name}") from exc
    try:
        st = rootpath.lstat_at(parent_fd, base)
        if st is None or not stat.S_ISREG(st.st_mode):
            raise InvalidParameter(f"build context entry not found or not a file: {name}")
        _move(parent_fd, base, dest)
    finally:
        os.close(parent_fd)


def _move(parent_fd: int, base: str, dest: Path) -> None:
    try:
        os.rename(base, dest, src_dir_fd=parent_fd)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    src = os.open(base, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent_fd)
    try:
        with os.fdopen(os.dup(src), "rb") as reader, open(dest, "xb") as writer:
            shutil.copyfileobj(reader, writer)
        os.chmod(dest, os.fstat(src).st_mode & 0o7777)
    finally:
        os.close(src)
    os.unlink(base, dir_fd=parent_fd)
