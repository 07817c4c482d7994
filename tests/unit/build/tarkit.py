"""Tars made by hand for the build tests: any name, type, owner or link, even hostile ones."""

from __future__ import annotations

import io
import tarfile


def entry(name: str, kind: bytes = tarfile.REGTYPE, *, data: bytes = b"", mode: int = 0o644,
          uid: int = 0, gid: int = 0, mtime: int = 1_600_000_000, link: str = "",
          devmajor: int = 0, devminor: int = 0) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.uid, info.gid = uid, gid
    info.mtime = mtime
    info.linkname = link
    info.devmajor, info.devminor = devmajor, devminor
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, data


def make_tar(*entries: tuple[tarfile.TarInfo, bytes], fmt: int = tarfile.PAX_FORMAT) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return buf.getvalue()


def file(name: str, data: bytes = b"x", *, mode: int = 0o644, uid: int = 0, gid: int = 0,
         mtime: int = 1_600_000_000) -> tuple[tarfile.TarInfo, bytes]:
    return entry(name, data=data, mode=mode, uid=uid, gid=gid, mtime=mtime)


def dir_(name: str, *, mode: int = 0o755, uid: int = 0, gid: int = 0,
         mtime: int = 1_600_000_000) -> tuple[tarfile.TarInfo, bytes]:
    return entry(name, tarfile.DIRTYPE, mode=mode, uid=uid, gid=gid, mtime=mtime)


def sym(name: str, target: str) -> tuple[tarfile.TarInfo, bytes]:
    return entry(name, tarfile.SYMTYPE, link=target, mode=0o777)


def hard(name: str, target: str) -> tuple[tarfile.TarInfo, bytes]:
    return entry(name, tarfile.LNKTYPE, link=target)
