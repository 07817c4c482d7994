"""COPY and ADD into a root file system with the classic builder's semantics.

- The destination is relative to WORKDIR unless absolute; a trailing ``/`` (or an existing
  directory) puts a file inside it under its own name; several sources need a trailing ``/``.
- A directory copies its contents (not itself). Its missing destination and that one's
  parents are made 0755 root's; the destination itself is chowned when it was made.
- A file's missing parents are made 0755 and chowned to the owner (Docker's
  MkdirAllAndChownNew); an existing entry in the way is replaced, a directory merges.
- Owner: ``--chown`` or 0:0 on everything copied; None keeps the sources' (COPY --from).
- ADD: a local tar (gzip, bzip2, xz or plain; never zstd, never from a URL) is unpacked into
  the destination directory with its own owners, as ``tar -x``, within bounds.
Every write resolves inside the root file system and never follows the final component.
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat
from dataclasses import dataclass, field
from pathlib import Path

from wharf.build import rootpath
from wharf.build.archives import extract_archive, is_archive
from wharf.build.source_types import CopyLimits, Owner, SourceMatch
from wharf.build.walk import Node, real_path, walk_tree
from wharf.core.errors import InvalidParameter, WharfError
from wharf.lib import securepath

__all__ = ["CopyRequest", "copy_all", "normalize_dest"]

_FAILED = "failed to copy files: "
UNNAMED = "__unnamed__"  # Docker's file name for a URL whose path names none


@dataclass(frozen=True)
class CopyRequest:
    rootfs: Path
    dest: str
    workdir: str
    owner: Owner | None          # None: keep the sources' owners
    mode: int | None
    extract_archives: bool
    limits: CopyLimits
    keyword: str


def normalize_dest(workdir: str, dest: str) -> str:
    """``dest`` made absolute against ``workdir`` (Go's Join), its trailing ``/`` kept."""
    if dest.startswith("/"):
        return dest
    joined = "/" + securepath.clean_path(posixpath.join(workdir or "/", dest))
    return joined + "/" if dest.endswith("/") and joined != "/" else joined


def copy_all(request: CopyRequest, matches: list[SourceMatch]) -> None:
    if len(matches) > 1 and not request.dest.endswith("/"):
        raise InvalidParameter(
            f"When using {request.keyword} with more than one source file, the destination "
            "must be a directory and end with a /")
    dest = normalize_dest(request.workdir, request.dest)
    for match in matches:
        try:
            _copy_one(request, match, dest)
        except InvalidParameter as exc:
            if exc.message.startswith((_FAILED, "cannot determine")):
                raise
            raise InvalidParameter(_FAILED + exc.message) from exc
        except OSError as exc:
            raise WharfError(f"{_FAILED}{exc.strerror}: {match.pattern}") from exc


def _copy_one(request: CopyRequest, match: SourceMatch, dest: str) -> None:
    src = real_path(match.root, "" if match.path == "." else match.path)
    dest_rel = securepath.clean_path(dest)
    if match.is_dir:
        _copy_dir(request, match.root, src, dest_rel)
        return
    if match.from_url and match.path == UNNAMED and dest.endswith("/"):
        raise InvalidParameter(f"cannot determine filename for source {match.pattern}")
    if request.extract_archives and not match.from_url and is_archive(match.root, src):
        extract_archive(match.root, src, request.rootfs, dest_rel, request.limits)
        return
    if dest.endswith("/") or _is_dir(request.rootfs, dest_rel):
        dest_rel = posixpath.join(dest_rel, posixpath.basename(match.path))
    _copy_top_file(request, match.root, src, dest_rel)


def _is_dir(root: Path, rel: str) -> bool:
    try:
        fd = securepath.open_in_root(root, rel, os.O_PATH)
    except OSError:
        return False
    try:
        return stat.S_ISDIR(os.fstat(fd).st_mode)
    finally:
        os.close(fd)


def _owner_of(request: CopyRequest, st: os.stat_result) -> tuple[int, int]:
    if request.owner is None:
        return st.st_uid, st.st_gid
    return request.owner.uid, request.owner.gid


def _copy_top_file(request: CopyRequest, src_root: Path, src: str, dest_rel: str) -> None:
    parent, base = posixpath.split(dest_rel)
    if not base:
        raise InvalidParameter("failed to copy files: cannot overwrite / with a file")
    new_dirs_owner = None if request.owner is None else (request.owner.uid, request.owner.gid)
    parent_fd = rootpath.make_dirs(request.rootfs, parent, owner=new_dirs_owner or (0, 0))
    try:
        src_fd = securepath.open_in_root(src_root, src, os.O_RDONLY | os.O_NONBLOCK)
        try:
            st = os.fstat(src_fd)
            rootpath.clear_for(parent_fd, base, is_dir=False)
            _write_copy(src_fd, parent_fd, base, st.st_size)
        finally:
            os.close(src_fd)
        mode = st.st_mode if request.mode is None else request.mode
        rootpath.set_metadata(parent_fd, base, owner=_owner_of(request, st), mode=mode,
                              mtime=st.st_mtime)
    finally:
        os.close(parent_fd)


def _write_copy(src_fd: int, parent_fd: int, base: str, size: int) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    out = os.open(base, flags, 0o600, dir_fd=parent_fd)
    try:
        _copy_bytes(src_fd, out, size)
    finally:
        os.close(out)


def _copy_bytes(src_fd: int, out: int, size: int) -> None:
    offset = 0
    try:
        while offset < size:
            sent = os.copy_file_range(src_fd, out, min(size - offset, 1 << 30), offset, offset)
            if sent == 0:
                break
            offset += sent
        return
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            raise
    while chunk := os.pread(src_fd, 1 << 20, offset):
        view = memoryview(chunk)
        while view:
            written = os.pwrite(out, view, offset)
            view = view[written:]
            offset += written


@dataclass
class _DirCopy:
    request: CopyRequest
    src_root: Path
    src: str
    dest: str                                   # real path of the destination directory
    links: dict[tuple[int, int], str] = field(default_factory=dict)
    dir_times: list[tuple[str, float]] = field(default_factory=list)


def _copy_dir(request: CopyRequest, src_root: Path, src: str, dest_rel: str) -> None:
    existed = _is_dir(request.rootfs, dest_rel)
    os.close(rootpath.make_dirs(request.rootfs, dest_rel, owner=(0, 0)))
    dest = real_path(request.rootfs, dest_rel)
    if not existed and request.owner is not None:
        parent, base = posixpath.split(dest)
        pfd = rootpath.open_dir(request.rootfs, parent)
        try:
            os.chown(base, request.owner.uid, request.owner.gid, dir_fd=pfd,
                     follow_symlinks=False)
        finally:
            os.close(pfd)
    job = _DirCopy(request, src_root, src, dest)
    for node in walk_tree(src_root, src):
        _copy_node(job, node)
    for rel, mtime in reversed(job.dir_times):
        _set_dir_time(request.rootfs, rel, mtime)


def _copy_node(job: _DirCopy, node: Node) -> None:
    mode = node.st.st_mode
    if stat.S_ISSOCK(mode):
        return  # Docker's tar leaves sockets out
    target = posixpath.join(job.dest, node.rel)
    parent, base = posixpath.split(target)
    parent_fd = rootpath.open_dir(job.request.rootfs, parent)
    try:
        if _create(job, node, parent_fd, base):
            return  # a hard link: shares the first one's metadata
        perms = mode if job.request.mode is None or stat.S_ISLNK(mode) else job.request.mode
        is_dir = stat.S_ISDIR(mode)
        rootpath.set_metadata(parent_fd, base, owner=_owner_of(job.request, node.st),
                              mode=perms, mtime=None if is_dir else node.st.st_mtime)
    finally:
        os.close(parent_fd)
    if stat.S_ISDIR(mode):
        job.dir_times.append((target, node.st.st_mtime))


def _create(job: _DirCopy, node: Node, parent_fd: int, base: str) -> bool:
    """Make the entry; True when it is a hard link to one copied before."""
    st = node.st
    source = posixpath.join(job.src, node.rel)
    rootpath.clear_for(parent_fd, base, is_dir=stat.S_ISDIR(st.st_mode))
    if stat.S_ISDIR(st.st_mode):
        if rootpath.lstat_at(parent_fd, base) is None:
            os.mkdir(base, 0o700, dir_fd=parent_fd)
    elif stat.S_ISREG(st.st_mode):
        return _copy_regular(job, node, source, parent_fd, base)
    elif stat.S_ISLNK(st.st_mode):
        os.symlink(_read_link(job.src_root, source), base, dir_fd=parent_fd)
    elif stat.S_ISFIFO(st.st_mode):
        os.mkfifo(base, 0o600, dir_fd=parent_fd)
    else:
        kind = stat.S_IFMT(st.st_mode)
        os.mknod(base, kind | 0o600, st.st_rdev, dir_fd=parent_fd)
    return False


def _copy_regular(job: _DirCopy, node: Node, source: str, parent_fd: int, base: str) -> bool:
    key = (node.st.st_dev, node.st.st_ino)
    first = job.links.get(key) if node.st.st_nlink > 1 else None
    if first is not None:
        first_parent, first_base = posixpath.split(first)
        ffd = rootpath.open_dir(job.request.rootfs, first_parent)
        try:
            os.link(first_base, base, src_dir_fd=ffd, dst_dir_fd=parent_fd,
                    follow_symlinks=False)
        finally:
            os.close(ffd)
        return True
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
    src_fd = securepath.open_in_root(job.src_root, source, flags)
    try:
        _write_copy(src_fd, parent_fd, base, os.fstat(src_fd).st_size)
    finally:
        os.close(src_fd)
    if node.st.st_nlink > 1:
        job.links[key] = posixpath.join(job.dest, node.rel)
    return False


def _read_link(root: Path, rel: str) -> str:
    parent, base = posixpath.split(rel)
    fd = rootpath.open_dir(root, parent)
    try:
        return os.readlink(base, dir_fd=fd)
    finally:
        os.close(fd)


def _set_dir_time(root: Path, rel: str, mtime: float) -> None:
    try:
        fd = securepath.open_in_root(root, rel, os.O_PATH | os.O_NOFOLLOW)
    except OSError:
        return
    try:
        os.utime(f"/proc/self/fd/{fd}", (mtime, mtime))
    finally:
        os.close(fd)
