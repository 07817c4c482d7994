import io
import os
import tarfile
from pathlib import Path

import pytest

from wharf.lib.bootstrap import build_busybox_rootfs, busybox_rootfs_tar


def test_rootfs_tar_has_busybox_applets_and_users() -> None:
    buf = io.BytesIO()
    busybox_rootfs_tar(buf)
    buf.seek(0)
    with tarfile.open(fileobj=buf) as tar:
        names = {m.name: m for m in tar.getmembers()}
        assert names["bin/busybox"].isfile()
        assert names["bin/sh"].issym() and names["bin/sh"].linkname == "/bin/busybox"
        passwd = tar.extractfile("etc/passwd")
        assert passwd is not None
        text = passwd.read().decode()
    assert text.startswith("root:x:0:0:")
    assert "nobody:x:65534:65534:" in text
    assert names["tmp"].mode == 0o1777


@pytest.mark.root
def test_build_rootfs_unpacks_a_runnable_tree(tmp_path: Path) -> None:
    root = build_busybox_rootfs(tmp_path / "rootfs", hello=True)
    assert os.access(root / "bin/busybox", os.X_OK)
    assert os.readlink(root / "bin/echo") == "/bin/busybox"
    assert (root / "hello").read_text().startswith("#!/bin/sh")
