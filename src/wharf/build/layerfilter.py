"""A RUN's layer without what it wrote under the stage's VOLUMEs: the classic builder runs the
command with those paths on volumes, so its changes there never reach the image."""

from __future__ import annotations

import posixpath
import tarfile
from typing import IO

__all__ = ["drop_under"]


def _clean(name: str) -> str:
    return posixpath.normpath("/" + name).lstrip("/")


def _under(name: str, roots: list[str]) -> bool:
    path = _clean(name)
    return any(path == root or path.startswith(root + "/") for root in roots)


def drop_under(src: IO[bytes], dst: IO[bytes], paths: list[str]) -> int:
    """Copy the layer tar ``src`` to ``dst`` leaving out every entry at or under ``paths``
    (absolute paths in the image); returns how many were left out."""
    roots = [r for r in (_clean(p) for p in paths) if r and r != "."]
    dropped = 0
    with tarfile.open(fileobj=src, mode="r|") as reader, \
            tarfile.open(fileobj=dst, mode="w|", format=tarfile.PAX_FORMAT) as writer:
        for member in reader:
            if roots and _under(member.name, roots):
                dropped += 1
                continue
            data = reader.extractfile(member) if member.isreg() else None
            writer.addfile(member, data)
    return dropped
