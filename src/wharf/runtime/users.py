"""``--user`` resolution against the container's own ``/etc/passwd`` and ``/etc/group``.

The files are opened inside the rootfs (``wharf.lib.securepath``: a symlinked ``/etc/passwd``
cannot point at the host's), only regular files are read, and the bytes scanned are bounded, so a
hostile image with a huge ``/etc/group`` costs bounded memory and time. The rules and error
messages are runc's (``libcontainer/user.GetExecUser``), which Docker shows as they are.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from wharf.core.errors import RuntimeFailure
from wharf.lib.securepath import open_in_root

__all__ = ["ExecUser", "lookup_user", "resolve_user"]

MAX_SCAN_BYTES = 16 * 1024 * 1024  # bytes of a passwd/group file looked at, at most
MAX_LINE = 64 * 1024  # longer lines are skipped


@dataclass(frozen=True)
class ExecUser:
    uid: int
    gid: int
    extra_gids: list[int]
    home: str


def _entries(rootfs: Path, path: str) -> Iterator[list[str]]:
    """Colon-separated fields of each line of a file inside ``rootfs`` (none if missing)."""
    try:
        fd = open_in_root(rootfs, path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as e:
        if e.errno in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP):
            return
        raise
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return
        scanned = 0
        while scanned < MAX_SCAN_BYTES:
            line = f.readline(MAX_LINE)
            if not line:
                return
            scanned += len(line)
            if not line.endswith(b"\n") and len(line) == MAX_LINE:
                rest = b""
                while scanned < MAX_SCAN_BYTES and not rest.endswith(b"\n"):
                    rest = f.readline(MAX_LINE)  # skip the rest of an over-long line
                    if not rest:
                        return
                    scanned += len(rest)
                continue
            text = line.decode("utf-8", "replace").strip()
            if text and not text.startswith("#"):
                yield text.split(":")


def _id(text: str) -> int | None:
    if text.isascii() and text.isdigit():
        value = int(text)
        return value if value < 2**31 else None
    return None


def _find_passwd(rootfs: Path, name_or_uid: str) -> tuple[str, int, int, str] | None:
    wanted_id = _id(name_or_uid)
    for fields in _entries(rootfs, "/etc/passwd"):
        if len(fields) < 6:
            continue
        uid, gid = _id(fields[2]), _id(fields[3])
        if uid is None or gid is None:
            continue
        if fields[0] == name_or_uid or (wanted_id is not None and uid == wanted_id):
            return fields[0], uid, gid, fields[5]
    return None


def _find_group(rootfs: Path, name_or_gid: str) -> int | None:
    wanted_id = _id(name_or_gid)
    for fields in _entries(rootfs, "/etc/group"):
        if len(fields) < 3:
            continue
        gid = _id(fields[2])
        if gid is not None and (fields[0] == name_or_gid or gid == wanted_id):
            return gid
    return None


def _member_gids(rootfs: Path, user_name: str) -> list[int]:
    gids: list[int] = []
    for fields in _entries(rootfs, "/etc/group"):
        if len(fields) < 4:
            continue
        gid = _id(fields[2])
        if gid is not None and user_name in fields[3].split(",") and gid not in gids:
            gids.append(gid)
    return gids


def lookup_user(rootfs: Path, user: str) -> ExecUser:
    """Resolve ``user`` ("", "name", "uid", "name:group", "uid:gid", ...) to numeric ids + home."""
    user_part, _, group_part = user.partition(":")
    user_part = user_part or "0"
    entry = _find_passwd(rootfs, user_part)
    if entry is None:
        uid = _id(user_part)
        if uid is None:
            raise RuntimeFailure(
                f"unable to find user {user_part}: no matching entries in passwd file"
            )
        name, gid, home = "", 0, "/"
    else:
        name, uid, gid, home = entry
    if group_part:
        found = _find_group(rootfs, group_part)
        if found is None:
            found = _id(group_part)
            if found is None:
                raise RuntimeFailure(
                    f"unable to find group {group_part}: no matching entries in group file"
                )
        gid = found
    extra = _member_gids(rootfs, name) if name and not group_part else []
    return ExecUser(uid, gid, extra, home or "/")


def resolve_user(rootfs: Path, user: str) -> tuple[int, int, list[int]]:
    """uid, gid and supplementary gids of ``user`` inside ``rootfs`` (docs/contracts.md)."""
    found = lookup_user(rootfs, user)
    return found.uid, found.gid, found.extra_gids


def lookup_groups(rootfs: Path, groups: list[str]) -> list[int]:
    """``--group-add``: each a group name from the image's /etc/group or a numeric gid."""
    gids: list[int] = []
    for group in groups:
        gid = _find_group(rootfs, group)
        if gid is None:
            gid = _id(group)
        if gid is None:
            raise RuntimeFailure(f"unable to find group {group}: no matching entries in group file")
        if gid not in gids:
            gids.append(gid)
    return gids
