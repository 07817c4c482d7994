"""Read-only binds are read-only all the way down (``rro``: mount_setattr AT_RECURSIVE):
a submount of the bind source (a tmpfs the test mounts there) is read-only in the container
too, and still readable. Through the runtime's bundle, and end to end through wharfd
(``-v src:dst:ro``, for which the daemon emits ``rro`` as moby 25+ does)."""

from __future__ import annotations

import contextlib
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.daemon_fixtures import wharfd
from tests.support.daemons import Daemon

from .bundles import docker_config
from .helpers import run_captured

__all__ = ["wharfd"]

MakeBundle = Callable[[dict[str, Any]], Path]
PROBE = ("cat /data/sub/file; cat /data/top; "
         "echo x > /data/sub/new 2>/dev/null; echo sub=$?; "
         "echo x > /data/new 2>/dev/null; echo top=$?; "
         "grep ' /data/sub ' /proc/self/mountinfo | cut -d' ' -f6")


@pytest.fixture
def source_with_submount(tmp_path: Path) -> Iterator[Path]:
    """A directory with a file, and a tmpfs mounted on its ``sub`` holding another file."""
    source = tmp_path / "volume"
    (source / "sub").mkdir(parents=True)
    (source / "top").write_text("top-ok\n")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "wharf-test-sub",
                    str(source / "sub")], check=True)
    try:
        (source / "sub/file").write_text("sub-ok\n")
        yield source
    finally:
        subprocess.run(["umount", "-l", str(source / "sub")], check=False)


def bundle_with_bind(make_bundle: MakeBundle, container_id: str, source: Path,
                     options: list[str]) -> Path:
    config = docker_config(["sh", "-c", PROBE], container_id)
    config["mounts"].append({"destination": "/data", "type": "bind", "source": str(source),
                             "options": options})
    return make_bundle(config)


def test_rro_bind_makes_submounts_read_only(make_bundle: MakeBundle, state_root: Path,
                                            container_id: str,
                                            source_with_submount: Path) -> None:
    bundle = bundle_with_bind(make_bundle, container_id, source_with_submount,
                              ["rbind", "ro", "rro", "rprivate"])
    result = run_captured(state_root, container_id, bundle)
    lines = result.output.split()
    assert lines[:2] == ["sub-ok", "top-ok"], result.output
    assert "sub=1" in lines and "top=1" in lines, result.output
    assert lines[-1].split(",")[0] == "ro", result.output  # the submount's own flags
    assert not (source_with_submount / "sub/new").exists()
    assert not (source_with_submount / "new").exists()


def test_plain_ro_bind_leaves_submounts_writable(make_bundle: MakeBundle, state_root: Path,
                                                 container_id: str,
                                                 source_with_submount: Path) -> None:
    """What ``ro`` alone does (why the daemon adds ``rro``): the top only."""
    bundle = bundle_with_bind(make_bundle, container_id, source_with_submount,
                              ["rbind", "ro", "rprivate"])
    result = run_captured(state_root, container_id, bundle)
    assert "top=1" in result.output.split() and "sub=0" in result.output.split()


def test_rrw_after_rro_wins(make_bundle: MakeBundle, state_root: Path, container_id: str,
                            source_with_submount: Path) -> None:
    bundle = bundle_with_bind(make_bundle, container_id, source_with_submount,
                              ["rbind", "rro", "rrw", "rprivate"])
    result = run_captured(state_root, container_id, bundle)
    assert "sub=0" in result.output.split() and "top=0" in result.output.split()


def test_docker_ro_volume_is_recursively_read_only(wharfd: Daemon,
                                                   source_with_submount: Path) -> None:
    name = f"rro-{uuid.uuid4().hex[:8]}"
    try:
        result = wharfd.docker("run", "--name", name, "-v", f"{source_with_submount}:/data:ro",
                               "busybox", "sh", "-c", PROBE, check=False)
        lines = result.stdout.decode().split()
        assert lines[:2] == ["sub-ok", "top-ok"], result
        assert "sub=1" in lines and "top=1" in lines, result
        mounts = wharfd.json("GET", f"/containers/{name}/json")
        assert isinstance(mounts, dict)
        assert [m["RW"] for m in mounts["Mounts"] if m["Destination"] == "/data"] == [False]
    finally:
        with contextlib.suppress(AssertionError):
            wharfd.docker("rm", "-f", name, check=False)
    assert not (source_with_submount / "sub/new").exists()
