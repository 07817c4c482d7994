"""The Debian 12 base the build tests and the benchmark use: made by debootstrap (cached),
imported into the engine, and run: it is a whole Debian with its shell and package tools."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest
from tests.support import debian
from tests.support.daemons import Daemon
from tests.support.debian import debian_tar_or_skip, import_rootfs
from tests.support.net import free_port

# the first run on a machine makes the rootfs (debootstrap: about a minute), past the usual
# 120 s a test may take
pytestmark = [pytest.mark.debian, pytest.mark.timeout(900)]


def test_the_minbase_tar_is_a_debian_12_root_without_device_nodes() -> None:
    base = debian_tar_or_skip("minbase")
    with tarfile.open(base.path) as tar:
        members = {m.name.removeprefix("./"): m for m in tar}
        version = tar.extractfile(members["etc/debian_version"])
        assert version is not None and version.read().startswith(b"12.")
    assert not [m.name for m in members.values() if m.isdev()]
    assert "usr/bin/apt-get" in members and "usr/bin/bash" in members
    assert not [n for n in members if n.startswith("var/cache/apt/archives/") and
                n.endswith(".deb")]
    assert 50e6 < base.size < 400e6


def test_the_debian_base_runs_in_the_engine(engine: Daemon) -> None:
    base = debian_tar_or_skip("minbase")
    image_id = import_rootfs(engine, base.path, "e2e-debian:12")
    try:
        ran = engine.docker("run", "--rm", "e2e-debian:12", "bash", "-c",
                            "cat /etc/debian_version; dpkg-query -W -f='${Package}\\n' dpkg")
        lines = ran.stdout.decode().splitlines()
        assert lines[0].startswith("12.") and lines[1] == "dpkg", lines
    finally:
        engine.docker("rmi", image_id)


def test_an_unreachable_mirror_is_a_skip_with_its_reason(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WHARF_TEST_CACHE", str(tmp_path))
    monkeypatch.setattr(debian, "MIRROR", f"http://127.0.0.1:{free_port()}/debian")
    with pytest.raises(pytest.skip.Exception, match="Debian's mirror is unreachable"):
        debian.debian_tar_or_skip("gcc")
    assert not list(tmp_path.glob("*.tar"))
