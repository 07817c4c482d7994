"""The cgroup v2 device filter (eBPF), attached for real to a cgroup2 directory (the unified
hierarchy of a hybrid host works too)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from wharf.runtime.cgroups import CgroupV2, detect_layout
from wharf.runtime.cgroups.devicefilter import attach_device_filter

from .helpers import wait_exit

RULES = [{"allow": False, "access": "rwm"}, {"allow": True, "type": "c", "access": "m"},
         {"allow": True, "type": "c", "major": 1, "minor": 5, "access": "rwm"},
         {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "r"}]


@pytest.fixture
def cgroup2_dir() -> Iterator[Path]:
    unified = detect_layout().unified
    if unified is None:
        pytest.skip("no cgroup2 hierarchy mounted")
    cgroup = CgroupV2(f"/wharf-test-bpf-{uuid.uuid4().hex[:8]}", unified)
    cgroup.create()
    yield cgroup.directory
    cgroup.remove()


def open_results(cgroup_dir: Path, result_file: Path) -> list[str]:
    """Fork a child into ``cgroup_dir`` that tries to open devices; return what happened."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        outcomes = []
        try:
            (cgroup_dir / "cgroup.procs").write_text(str(os.getpid()))
            for path, flags in (("/dev/zero", os.O_RDWR), ("/dev/null", os.O_RDONLY),
                                ("/dev/null", os.O_WRONLY), ("/dev/full", os.O_RDONLY)):
                try:
                    os.close(os.open(path, flags))
                    outcomes.append("ok")
                except OSError as exc:
                    outcomes.append(exc.strerror or "error")
            result_file.write_text("\n".join(outcomes))
        finally:
            os._exit(0)
    assert wait_exit(pid) == 0
    return result_file.read_text().splitlines()


def test_device_rules_enforced(cgroup2_dir: Path, tmp_path: Path) -> None:
    attach_device_filter(cgroup2_dir, RULES)
    assert open_results(cgroup2_dir, tmp_path / "result") == [
        "ok", "ok", "Operation not permitted", "Operation not permitted"]
