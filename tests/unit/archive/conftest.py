"""Craft layer tars (including hostile ones) for the archive tests (fixture `kit`)."""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass, field

import pytest


@dataclass
class Entry:
    name: str
    type: bytes = tarfile.REGTYPE
    data: bytes = b""
    linkname: str = ""
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    mtime: int = 1_600_000_000
    devmajor: int = 0
    devminor: int = 0
    xattrs: dict[str, bytes] = field(default_factory=dict)


def File(name: str, data: bytes = b"", **kw: object) -> Entry:
    return Entry(name, tarfile.REGTYPE, data, **kw)  # type: ignore[arg-type]


def Dir(name: str, **kw: object) -> Entry:
    kw.setdefault("mode", 0o755)
    return Entry(name, tarfile.DIRTYPE, **kw)  # type: ignore[arg-type]


def Sym(name: str, target: str) -> Entry:
    return Entry(name, tarfile.SYMTYPE, linkname=target, mode=0o777)


def Link(name: str, target: str) -> Entry:
    return Entry(name, tarfile.LNKTYPE, linkname=target)


def make_tar(*entries: Entry) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for e in entries:
            info = tarfile.TarInfo(e.name)
            info.type, info.mode, info.uid, info.gid = e.type, e.mode, e.uid, e.gid
            info.mtime, info.linkname = e.mtime, e.linkname
            info.devmajor, info.devminor = e.devmajor, e.devminor
            info.pax_headers = {
                "SCHILY.xattr." + k: v.decode("utf-8", "surrogateescape")
                for k, v in e.xattrs.items()
            }
            if e.type == tarfile.REGTYPE:
                info.size = len(e.data)
                tar.addfile(info, io.BytesIO(e.data))
            else:
                tar.addfile(info)
    return buf.getvalue()


class TarKit:
    """The helpers above, handed to tests as a fixture (tests cannot import conftest)."""

    File = staticmethod(File)
    Dir = staticmethod(Dir)
    Sym = staticmethod(Sym)
    Link = staticmethod(Link)
    Entry = Entry
    make = staticmethod(make_tar)


@pytest.fixture
def kit() -> type[TarKit]:
    return TarKit
