"""Docker's rules for the paths of ``/containers/{id}/archive``, pure: how a requested path is
made absolute, which name the tar's top entry takes, and the ``X-Docker-Container-Path-Stat``
header (a base64 JSON whose ``mode`` is Go's ``os.FileMode``, not a Unix ``st_mode``)."""

from __future__ import annotations

import base64
import json
import os
import posixpath
import stat
from dataclasses import dataclass

from wharf.core.timefmt import rfc3339_nano

__all__ = ["PathStat", "absolute_path", "archive_name", "go_file_mode", "split_resolvable"]

# Go's os.FileMode type bits (io/fs): the permission bits are the low nine, as in Unix
_GO_DIR = 1 << 31
_GO_SYMLINK = 1 << 27
_GO_DEVICE = 1 << 26
_GO_NAMED_PIPE = 1 << 25
_GO_SOCKET = 1 << 24
_GO_SETUID = 1 << 23
_GO_SETGID = 1 << 22
_GO_CHAR_DEVICE = 1 << 21
_GO_STICKY = 1 << 20
_GO_IRREGULAR = 1 << 19

_TYPE_BITS = (
    (stat.S_ISDIR, _GO_DIR),
    (stat.S_ISLNK, _GO_SYMLINK),
    (stat.S_ISBLK, _GO_DEVICE),
    (stat.S_ISCHR, _GO_DEVICE | _GO_CHAR_DEVICE),
    (stat.S_ISFIFO, _GO_NAMED_PIPE),
    (stat.S_ISSOCK, _GO_SOCKET),
)


def go_file_mode(st_mode: int) -> int:
    """``st_mode`` as Go's ``FileMode`` (what ``os.Lstat(...).Mode()`` answers in dockerd)."""
    mode = st_mode & 0o777
    for test, bits in _TYPE_BITS:
        if test(st_mode):
            mode |= bits
            break
    else:
        if not stat.S_ISREG(st_mode):
            mode |= _GO_IRREGULAR
    for unix, go in ((stat.S_ISUID, _GO_SETUID), (stat.S_ISGID, _GO_SETGID),
                     (stat.S_ISVTX, _GO_STICKY)):
        if st_mode & unix:
            mode |= go
    return mode


@dataclass(frozen=True)
class PathStat:
    """Docker's ``ContainerPathStat``."""

    name: str
    size: int
    mode: int  # Go FileMode
    mtime_ns: int
    link_target: str = ""

    @classmethod
    def of(cls, name: str, st: os.stat_result, link_target: str = "") -> PathStat:
        return cls(name, st.st_size, go_file_mode(st.st_mode), st.st_mtime_ns, link_target)

    @property
    def is_dir(self) -> bool:
        return bool(self.mode & _GO_DIR)

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "size": self.size, "mode": self.mode,
                "mtime": rfc3339_nano(self.mtime_ns), "linkTarget": self.link_target}

    def header(self) -> str:
        """The ``X-Docker-Container-Path-Stat`` value: standard base64 of the JSON."""
        return base64.b64encode(json.dumps(self.to_json()).encode()).decode()


def absolute_path(path: str) -> str:
    """The request's path made absolute in the container and cleaned, keeping a trailing
    ``/.`` or ``/`` (they mean "the directory's contents" / "must be a directory"), as
    Docker's ``PreserveTrailingDotOrSeparator``."""
    cleaned = posixpath.normpath("/" + path)
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    if cleaned == "/":
        return cleaned
    if path.endswith("/.") or path == ".":
        return cleaned + "/."
    if path.endswith("/"):
        return cleaned + "/"
    return cleaned


def split_resolvable(absolute: str) -> tuple[str, str]:
    """(the directory to resolve inside the root, symlinks followed; the last component, looked
    at as is, "" for none): Docker stats the last component without following it, unless the
    path ends in ``/`` or ``/.`` (Go's ``filepath.Split`` leaves no base then)."""
    if absolute.endswith("/."):
        return absolute[:-2] or "/", ""
    if absolute.endswith("/"):
        return absolute.rstrip("/") or "/", ""
    head, _, base = absolute.rpartition("/")
    return head or "/", base


def archive_name(absolute: str) -> str:
    """The name of the tar's top entry for ``absolute``: Go's ``filepath.Base`` of it
    (``/etc/`` → ``etc``, ``/etc/.`` → ``.``, ``/`` → ``/``)."""
    if absolute == "/":
        return "/"
    trimmed = absolute.rstrip("/")
    return trimmed.rpartition("/")[2] or "/"
