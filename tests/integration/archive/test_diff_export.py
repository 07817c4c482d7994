"""``wharf diff`` and ``wharf export`` as docker's: A/C/D lines sorted by path, nothing for an
unchanged container, and a created (never started) container exports its whole rootfs."""

from __future__ import annotations

import io
import tarfile

from tests.integration.archive.helpers import containers, unique, wharf
from tests.support.daemons import Daemon


def test_diff_lists_added_changed_and_deleted(wharfd: Daemon) -> None:
    with containers(wharfd) as made:
        name = unique("diff")
        made.append(name)
        wharf(wharfd, "create", "--name", name, "busybox")
        assert wharf(wharfd, "diff", name).stdout == b""
        made.append(changed := unique("diff-changed"))
        wharf(wharfd, "run", "--name", changed, "busybox", "sh", "-c",
              "mkdir /newdir && touch /newdir/f && rm /bin/vi && echo x >> /etc/passwd")
        lines = wharf(wharfd, "diff", changed).stdout.decode().splitlines()
        assert lines == ["C /bin", "D /bin/vi", "C /etc", "C /etc/passwd", "A /newdir",
                         "A /newdir/f"]


def test_export_of_a_created_container(wharfd: Daemon) -> None:
    with containers(wharfd) as made:
        name = unique("export")
        made.append(name)
        wharf(wharfd, "create", "--name", name, "busybox")
        wharf(wharfd, "cp", "-", f"{name}:/tmp", stdin=_tar("copied.txt", b"in the export"))
        data = wharf(wharfd, "export", name).stdout
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            names = set(tar.getnames())
            copied = tar.extractfile("tmp/copied.txt")
            assert copied is not None and copied.read() == b"in the export"
        assert {"bin/busybox", "etc/passwd", "tmp/copied.txt"} <= names


def _tar(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()
