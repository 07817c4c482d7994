"""Where an archive request's path is, inside a container: resolved in its root with
``securepath`` (symlinks followed inside the root, never out of it), the last component left
unfollowed unless the path ends in ``/`` or ``/.`` (Docker's rule).

A running container's root is ``/proc/<pid>/root``: its bind mounts, volumes and tmpfs are
there already. A stopped one's rootfs has empty mount points, so a path under one of its binds
or volumes is resolved again inside that mount's source (as dockerd mounts them for the copy);
a symlink in the mount then resolves inside the mount.
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wharf.core.errors import InvalidParameter, NotFound, WharfError
from wharf.lib import securepath
from wharf.services.archive_paths import PathStat, absolute_path, archive_name, split_resolvable

__all__ = ["ContainerRoot", "Place", "check_writable", "extraction_dir", "locate",
           "mount_sources"]

_SOURCE_TYPES = ("bind", "volume")


@dataclass(frozen=True)
class ContainerRoot:
    path: Path
    running: bool
    mounts: tuple[tuple[str, Path], ...] = ()  # (destination, source) of a stopped container


@dataclass(frozen=True)
class Place:
    """``rel`` inside ``root``; ``at`` is where ``root`` is in the container."""

    root: Path
    rel: str
    at: str = "/"

    @property
    def container_path(self) -> str:
        return posixpath.normpath(posixpath.join(self.at, self.rel))


def mount_sources(mounts: list[dict[str, Any]]) -> tuple[tuple[str, Path], ...]:
    """The binds and volumes of a container record (``Mounts`` of inspect), innermost first."""
    found = [(posixpath.normpath(str(m["Destination"])), Path(str(m["Source"])))
             for m in mounts if m.get("Type") in _SOURCE_TYPES and m.get("Source")
             and m.get("Destination")]
    return tuple(sorted(found, key=lambda pair: len(pair[0]), reverse=True))


def locate(root: ContainerRoot, path: str, ref: str) -> tuple[Place, PathStat]:
    """The place the request's path names (last component unfollowed) and its stat."""
    absolute = absolute_path(path)
    directory, base = split_resolvable(absolute)
    place = _place(root, _join(_in_root(root.path, directory), base), follow=not base)
    try:
        fd = securepath.open_in_root(place.root, place.rel, os.O_PATH | os.O_NOFOLLOW)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            raise NotFound(f"Could not find the file {path} in container {ref}") from None
        raise
    try:
        st = os.fstat(fd)
    finally:
        os.close(fd)
    link = ""
    if stat.S_ISLNK(st.st_mode):
        target = _place(root, _in_root(root.path, absolute), follow=True)
        link = target.container_path
    return place, PathStat.of(archive_name(absolute), st, link)


def extraction_dir(root: ContainerRoot, path: str, ref: str) -> Place:
    """The existing directory a PUT extracts into (every symlink followed)."""
    place = _place(root, _in_root(root.path, absolute_path(path)), follow=True)
    try:
        fd = securepath.open_in_root(place.root, place.rel, os.O_PATH)
    except (FileNotFoundError, NotADirectoryError):
        raise NotFound(f"Could not find the file {path} in container {ref}") from None
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            raise InvalidParameter("extraction point is not a directory")
    finally:
        os.close(fd)
    return place


def check_writable(mounts: list[dict[str, Any]], readonly_rootfs: bool, resolved: str) -> None:
    """dockerd's refusals before an extraction: a read-only mount holding the path, or a
    read-only rootfs when no mount does (its ``checkIfPathIsInAVolume``; ``--tmpfs`` mounts
    are no mount points there either)."""
    holding = [m for m in mounts if m.get("Destination")
               and _under(resolved, posixpath.normpath(str(m["Destination"])))]
    if holding:
        innermost = max(holding, key=lambda m: len(str(m["Destination"])))
        if not innermost.get("RW", True):
            raise WharfError("mounted volume is marked read-only")
    elif readonly_rootfs:
        raise WharfError("container rootfs is marked read-only")


def _place(root: ContainerRoot, rel: str, *, follow: bool) -> Place:
    """``rel`` (resolved in the container's root) moved into the mount that holds it, when
    the container is not running, and resolved again there."""
    container_path = "/" + rel
    for destination, source in root.mounts:
        if not _under(container_path, destination):
            continue
        rest = container_path[len(destination):].strip("/")
        if not source.is_dir():  # a file bind: only the path itself is in it
            return Place(source.parent, source.name, posixpath.dirname(destination))
        if follow:
            return Place(source, _in_root(source, rest), destination)
        head, _, base = rest.rpartition("/")
        return Place(source, _join(_in_root(source, head), base), destination)
    return Place(root.path, rel)


def _in_root(root: Path, path: str) -> str:
    resolved = securepath.resolve_in_root(root, path).relative_to(root).as_posix()
    return "" if resolved == "." else resolved


def _join(directory: str, base: str) -> str:
    return posixpath.join(directory, base) if base else directory


def _under(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")
