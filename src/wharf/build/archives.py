"""ADD's local archives: which files are tars (Docker asks whether the first header of the
decompressed stream parses: gzip, bzip2, xz or plain; zstd is copied as it is, as the classic
builder does), and unpacking one into a root file system within decompression-bomb bounds."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

from wharf.build import rootpath
from wharf.build.source_types import CopyLimits
from wharf.build.untar import UntarRules, untar
from wharf.core.errors import InvalidParameter
from wharf.lib import securepath
from wharf.lib.archive.compression import Compression, decompressed, detect

__all__ = ["archive_bound", "extract_archive", "is_archive"]

_ALLOWANCE = 64 << 20  # bytes any archive may expand to, whatever its ratio


def is_archive(root: Path, rel: str) -> bool:
    """Whether the regular file ``rel`` inside ``root`` is a tar ADD unpacks."""
    fd = securepath.open_in_root(root, rel, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as source:
        if detect(source.read(6)) is Compression.ZSTD:
            return False
        source.seek(0)
        try:
            block = decompressed(source, limit=tarfile.BLOCKSIZE).read(tarfile.BLOCKSIZE)
            tarfile.TarInfo.frombuf(block, tarfile.ENCODING, "surrogateescape")
        except (InvalidParameter, tarfile.HeaderError, OSError, EOFError):
            return False
    return True


def archive_bound(compressed_size: int, limits: CopyLimits) -> int:
    """How many decompressed bytes an archive of ``compressed_size`` bytes may expand to."""
    return min(limits.max_archive_bytes, _ALLOWANCE + limits.max_archive_ratio * compressed_size)


def extract_archive(src_root: Path, src: str, rootfs: Path, dest_rel: str,
                    limits: CopyLimits) -> None:
    """Unpack the archive ``src`` into the directory ``dest_rel`` of ``rootfs`` (made 0755
    root's when missing), as ``tar -x`` by root chrooted in ``rootfs``: owners from the
    headers (``--chown`` does not apply, as Docker), names' ``..`` stopped at ``dest_rel``
    (docker 28 does the same), and no symlink or hard link may point out of ``dest_rel``
    (docker 28 accepts such symlinks; the issue asks for them refused)."""
    os.close(rootpath.make_dirs(rootfs, dest_rel, owner=(0, 0)))
    fd = securepath.open_in_root(src_root, src, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as source:
        rules = UntarRules(label="failed to copy files", keep_owner=True, allow_absolute=True,
                           allow_special=True, confine_symlinks=True, clamp_dotdot=True,
                           max_bytes=archive_bound(os.fstat(fd).st_size, limits),
                           max_entries=limits.max_archive_entries)
        untar(source, rootfs, securepath.clean_path(dest_rel), rules)
