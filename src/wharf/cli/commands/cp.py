"""``wharf cp``: copy files between a container and the local filesystem, docker's way.

``CONTAINER:SRC_PATH DEST_PATH|-`` reads the container's tar (``GET …/archive``) and unpacks it
here (``-``: the tar to stdout); ``SRC_PATH|- CONTAINER:DEST_PATH`` sends a tar of local files
(``-``: a tar from stdin) to be unpacked there (``PUT …/archive``). The destination decides
the names, as in docker's CLI (``cp_local.plan_copy``)."""

from __future__ import annotations

import os
import posixpath
import stat as stat_mode
from collections.abc import Iterable, Iterator
from typing import IO, Any, cast

from wharf.cli.command import Command, CommandFailed, Context
from wharf.cli.commands.cp_local import (
    CHUNK,
    ChunkReader,
    extract,
    plan_copy,
    split_dir_entry,
    tar_source,
)
from wharf.cli.flags import BOOL, Flag, Parsed
from wharf.core.errors import NotFound

_GO_DIR = 1 << 31
_GO_SYMLINK = 1 << 27
_GO_NOT_PLAIN = (1 << 26) | (1 << 25) | (1 << 24) | (1 << 21) | (1 << 19)  # devices, pipes...


def split_cp_arg(arg: str) -> tuple[str, str]:
    """(container, path): a local path when it starts with ``.`` or ``/`` or has no ``:``."""
    if arg.startswith((".", "/")):
        return "", arg
    container, sep, path = arg.partition(":")
    return (container, path) if sep else ("", arg)


def cp(ctx: Context, opts: Parsed) -> int:
    src_container, src = split_cp_arg(opts.args[0])
    dst_container, dst = split_cp_arg(opts.args[1])
    if src_container and dst_container:
        raise CommandFailed(1, "copying between containers is not supported")
    if not src_container and not dst_container:
        raise CommandFailed(1, "must specify at least one container source")
    if not (src if src_container else dst):
        raise CommandFailed(1, "error: path cannot be empty")
    quiet = bool(opts["quiet"]) or not _is_terminal(ctx.stderr)
    if src_container:
        size = _from_container(ctx, opts, src_container, src, dst)
    else:
        size = _to_container(ctx, opts, src, dst_container, dst)
    if not quiet and size >= 0:
        from wharf.cli.formatting import human_size

        ctx.err(f"Successfully copied {human_size(float(size), 3)} to {opts.args[1]}")
    return 0


def _from_container(ctx: Context, opts: Parsed, container: str, src: str, dst: str) -> int:
    archive = ctx.client().archive
    rebase = ""
    if opts["follow-link"]:
        found = _stat_or_none(ctx, container, src)
        if found and _mode(found) & _GO_SYMLINK:
            target = str(found.get("linkTarget") or "")
            if not target.startswith("/"):
                target = posixpath.join(split_dir_entry(src)[0], target)
            rebase = split_dir_entry(src)[1]
            src = target + ("/." if src.endswith("/.") else "")
    stat, chunks = archive.get(container, src)
    if dst == "-":
        size = 0
        for chunk in chunks:
            ctx.stdout.write(chunk)
            size += len(chunk)
        ctx.stdout.flush()
        return -1
    exists, is_dir = _local_destination(dst)
    plan = plan_copy(src, bool(_mode(stat) & _GO_DIR), dst, exists, is_dir,
                     rebase)
    reader = ChunkReader(chunks)
    extract(cast(IO[bytes], reader), plan, keep_owner=bool(opts["archive"]))
    return reader.count


def _to_container(ctx: Context, opts: Parsed, src: str, container: str, dst: str) -> int:
    archive = ctx.client().archive
    found = _stat_or_none(ctx, container, dst)
    if found and _mode(found) & _GO_SYMLINK:
        target = str(found.get("linkTarget") or "")
        if not target.startswith("/"):
            target = posixpath.join(split_dir_entry(dst)[0], target)
        dst = target
        found = _stat_or_none(ctx, container, dst)
    if found and _mode(found) & _GO_NOT_PLAIN:
        raise CommandFailed(1, f'destination "{container}:{dst}" must be a directory or a '
                               "regular file")
    dst_is_dir = bool(found and _mode(found) & _GO_DIR)
    copy_uid_gid = bool(opts["archive"])
    if src == "-":
        if not dst_is_dir:
            raise CommandFailed(1, f'destination "{container}:{dst}" must be a directory')
        archive.put(container, dst, _stdin_chunks(ctx), copy_uid_gid=copy_uid_gid)
        return -1
    src_is_dir = _local_source_is_dir(src, bool(opts["follow-link"]))
    plan = plan_copy(src, src_is_dir, dst, found is not None, dst_is_dir)
    name = plan.new or split_dir_entry(src)[1]
    counted = _Counted(tar_source(src, name, bool(opts["follow-link"])))
    archive.put(container, plan.directory, counted, copy_uid_gid=copy_uid_gid)
    return counted.size


def _mode(found: dict[str, Any] | None) -> int:
    """The Go ``FileMode`` of a path stat (0 for none)."""
    return int((found or {}).get("mode") or 0)


def _stat_or_none(ctx: Context, container: str, path: str) -> dict[str, Any] | None:
    try:
        return ctx.client().archive.stat(container, path)
    except NotFound:
        return None


def _local_destination(dst: str) -> tuple[bool, bool]:
    """(exists, is a directory) of the local destination, symlinks followed; a missing one
    needs its parent (docker's ``CopyInfoDestinationPath``)."""
    if os.path.exists(dst):
        return True, os.path.isdir(dst)
    parent = split_dir_entry(dst)[0]
    if not os.path.isdir(parent):
        raise CommandFailed(1, f"stat {parent}: no such file or directory")
    return False, False


def _local_source_is_dir(src: str, follow_link: bool) -> bool:
    path = src[:-2] or "/" if src.endswith("/.") else src
    try:
        st = os.stat(path) if follow_link or src.endswith(("/", "/.")) else os.lstat(path)
    except FileNotFoundError:
        raise CommandFailed(1, f"lstat {os.path.abspath(path)}: no such file or directory") \
            from None
    return stat_mode.S_ISDIR(st.st_mode)


class _Counted:
    """The chunks of the tar being sent, counted (docker reports the tar's size)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = chunks
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            self.size += len(chunk)
            yield chunk


def _stdin_chunks(ctx: Context) -> Iterator[bytes]:
    while chunk := ctx.stdin.read(CHUNK):
        yield chunk


def _is_terminal(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty()) if isatty is not None else False


CP = Command(
    "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\twharf cp [OPTIONS] SRC_PATH|- "
    "CONTAINER:DEST_PATH",
    "Copy files/folders between a container and the local filesystem", cp,
    (Flag("archive", "a", BOOL, "Archive mode (copy all uid/gid information)"),
     Flag("follow-link", "L", BOOL, "Always follow symbol link in SRC_PATH"),
     Flag("quiet", "q", BOOL, "Suppress progress output during copy. Progress output is "
                              "automatically suppressed if no terminal is attached")),
    min_args=2, max_args=2,
    description="Copy files/folders between a container and the local filesystem\n\n"
                "Use '-' as the source to read a tar archive from stdin\nand extract it to "
                "a directory destination in a container.\nUse '-' as the destination to "
                "stream a tar archive of a\ncontainer source to stdout.")
