"""A RUN layer without its changes under VOLUMEs."""

from __future__ import annotations

import io
import tarfile

from wharf.build.layerfilter import drop_under


def layer(names: list[str]) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name in names:
            info = tarfile.TarInfo(name)
            if name.endswith("/"):
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                data = name.encode()
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    return buf


def test_entries_under_volumes_are_left_out() -> None:
    src = layer(["data/", "data/new", "data/.wh.old", "datafile", "etc/", "etc/conf",
                 "var/lib/db/x"])
    out = io.BytesIO()
    assert drop_under(src, out, ["/data", "/var/lib/db/"]) == 4
    out.seek(0)
    with tarfile.open(fileobj=out) as tar:
        kept = {m.name: (tar.extractfile(m).read() if m.isreg() else b"")  # type: ignore[union-attr]
                for m in tar.getmembers()}
    assert kept == {"datafile": b"datafile", "etc": b"", "etc/conf": b"etc/conf"}
