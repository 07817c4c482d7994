"""cgroup v1 and v2 logic against fake directory trees (the files a kernel would have)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wharf.runtime.cgroups import (
    CgroupV1,
    CgroupV2,
    normalize_cgroups_path,
    open_cgroup,
    parse_mountinfo,
)
from wharf.runtime.cgroups.v1 import device_rule
from wharf.runtime.cgroups.v2 import shares_to_weight

HYBRID = """\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
"""
UNIFIED = "29 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
RESOURCES = {"memory": {"limit": 1 << 26, "swap": 1 << 27, "reservation": 1 << 25},
             "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0"},
             "pids": {"limit": 64}}


def test_hybrid_host_is_v1() -> None:
    layout = parse_mountinfo(HYBRID)
    assert layout.version == 1
    assert layout.hierarchies == {"cpu,cpuacct": Path("/sys/fs/cgroup/cpu,cpuacct"),
                                  "memory": Path("/sys/fs/cgroup/memory"),
                                  "name=systemd": Path("/sys/fs/cgroup/systemd")}
    assert layout.unified == Path("/sys/fs/cgroup/unified")


def test_unified_host_is_v2() -> None:
    layout = parse_mountinfo(UNIFIED)
    assert (layout.version, layout.unified) == (2, Path("/sys/fs/cgroup"))
    assert isinstance(open_cgroup("/wharf/x", layout), CgroupV2)


@pytest.mark.parametrize(("raw", "expected"), [
    ("/wharf/abc", "/wharf/abc"), ("", "/wharf/abc"), ("rel/abc", "/rel/abc"),
    ("system.slice:docker:abc", "/system.slice/docker-abc.scope"),
])
def test_cgroups_path_normalized(raw: str, expected: str) -> None:
    assert normalize_cgroups_path(raw, "abc") == expected


@pytest.fixture
def v2_root(tmp_path: Path) -> Path:
    (tmp_path / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    (tmp_path / "cgroup.subtree_control").write_text("\n")
    return tmp_path


def test_v2_create_enables_controllers_and_applies(v2_root: Path) -> None:
    cgroup = CgroupV2("/wharf/c1", v2_root)
    cgroup.create()
    cgroup.apply(RESOURCES)
    directory = v2_root / "wharf/c1"
    assert (v2_root / "cgroup.subtree_control").read_text() == \
        "+cpu +cpuset +io +memory +pids"
    assert (directory / "memory.max").read_text() == str(1 << 26)
    assert (directory / "memory.swap.max").read_text() == str((1 << 27) - (1 << 26))
    assert (directory / "memory.low").read_text() == str(1 << 25)
    assert (directory / "cpu.weight").read_text() == str(shares_to_weight(512))
    assert (directory / "cpu.max").read_text() == "50000 100000"
    assert (directory / "cpuset.cpus").read_text() == "0"
    assert (directory / "pids.max").read_text() == "64"


def test_v2_unlimited_values(v2_root: Path) -> None:
    cgroup = CgroupV2("/c2", v2_root)
    cgroup.create()
    cgroup.apply({"memory": {"limit": -1, "swap": -1}, "pids": {"limit": -1}})
    assert (v2_root / "c2/memory.max").read_text() == "max"
    assert (v2_root / "c2/memory.swap.max").read_text() == "max"
    assert (v2_root / "c2/pids.max").read_text() == "max"


def test_v2_state_files(v2_root: Path) -> None:
    cgroup = CgroupV2("/c3", v2_root)
    cgroup.create()
    directory = v2_root / "c3"
    (directory / "cgroup.procs").write_text("12\n13\n")
    (directory / "memory.events").write_text("low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n")
    (directory / "memory.current").write_text("4096\n")
    (directory / "cgroup.events").write_text("populated 1\nfrozen 1\n")
    assert cgroup.pids() == [12, 13]
    assert cgroup.oom_killed() and cgroup.memory_usage() == 4096
    cgroup.freeze()
    assert (directory / "cgroup.freeze").read_text() == "1" and cgroup.frozen()
    cgroup.thaw()
    assert (directory / "cgroup.freeze").read_text() == "0"


def test_v2_remove_is_bounded_and_recursive(v2_root: Path) -> None:
    cgroup = CgroupV2("/c4", v2_root)
    cgroup.create()
    (v2_root / "c4/nested").mkdir()
    cgroup.remove()
    assert not (v2_root / "c4").exists()
    cgroup.remove()  # idempotent


def drop_control_files(root: Path) -> None:
    """A real cgroupfs directory's files vanish with it; a fake tree's must go first."""
    for path in root.rglob("*"):
        if path.is_file() and len(path.relative_to(root).parts) > 2:
            path.unlink()


def v1_tree(tmp_path: Path) -> dict[str, Path]:
    hierarchies = {name: tmp_path / name.replace("name=", "")
                   for name in ("cpu,cpuacct", "cpuset", "memory", "pids", "devices",
                                "freezer", "name=systemd")}
    for path in hierarchies.values():
        path.mkdir()
    (tmp_path / "cpuset/cpuset.cpus").write_text("0-3\n")
    (tmp_path / "cpuset/cpuset.mems").write_text("0\n")
    (tmp_path / "memory/memory.memsw.limit_in_bytes").write_text("9223372036854771712\n")
    return hierarchies


def test_v1_create_and_apply(tmp_path: Path) -> None:
    cgroup = CgroupV1("/wharf/c1", v1_tree(tmp_path))
    cgroup.create()
    cgroup.apply({**RESOURCES, "cpu": {"shares": 512, "quota": 50000, "period": 100000},
                  "devices": [{"allow": False, "access": "rwm"},
                              {"allow": True, "type": "c", "major": 1, "minor": 3,
                               "access": "rwm"}]})
    assert (tmp_path / "cpuset/wharf/c1/cpuset.cpus").read_text() == "0-3"
    assert (tmp_path / "memory/wharf/c1/memory.limit_in_bytes").read_text() == str(1 << 26)
    assert (tmp_path / "memory/wharf/c1/memory.memsw.limit_in_bytes").exists() is False or \
        (tmp_path / "memory/wharf/c1/memory.memsw.limit_in_bytes").read_text() == str(1 << 27)
    assert (tmp_path / "cpu,cpuacct/wharf/c1/cpu.cfs_quota_us").read_text() == "50000"
    assert (tmp_path / "pids/wharf/c1/pids.max").read_text() == "64"
    assert (tmp_path / "devices/wharf/c1/devices.allow").read_text() == "c 1:3 rwm"
    assert (tmp_path / "systemd/wharf/c1").is_dir()


def test_v1_state_files_and_remove(tmp_path: Path) -> None:
    cgroup = CgroupV1("/c2", v1_tree(tmp_path))
    cgroup.create()
    (tmp_path / "pids/c2/cgroup.procs").write_text("5\n")
    (tmp_path / "memory/c2/memory.oom_control").write_text(
        "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
    (tmp_path / "memory/c2/memory.usage_in_bytes").write_text("8192\n")
    (tmp_path / "freezer/c2/freezer.state").write_text("FROZEN\n")
    assert cgroup.pids() == [5] and cgroup.oom_killed() and cgroup.memory_usage() == 8192
    assert cgroup.frozen()
    cgroup.thaw()
    assert not cgroup.frozen()
    drop_control_files(tmp_path)
    cgroup.remove()
    assert not any(path.exists() for path in cgroup.mount_sources().values())


@pytest.mark.parametrize(("rule", "line"), [
    ({"allow": False, "access": "rwm"}, "a *:* rwm"),
    ({"allow": True, "type": "c", "major": 136, "access": "rwm"}, "c 136:* rwm"),
    ({"allow": True, "type": "b", "access": "m"}, "b *:* m"),
])
def test_device_rules(rule: dict[str, object], line: str) -> None:
    assert device_rule(rule) == line


def test_device_filter_program_shape() -> None:
    from wharf.runtime.cgroups.devicefilter import EXIT, build_program

    docker = [{"allow": False, "access": "rwm"}, {"allow": True, "type": "c", "access": "m"},
              {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]
    program = build_program(docker)
    assert len(program) % 8 == 0
    assert program[-8] == EXIT  # ends with the deny-all verdict, no unreachable default
    assert program[-16:-12] == bytes([0xB4, 0, 0, 0]) and program[-12:-8] == bytes(4)
    only_allows = build_program([{"allow": True, "type": "c", "major": 1, "minor": 3,
                                  "access": "rwm"}])
    assert only_allows[-16] == 0xB4 and only_allows[-8] == EXIT  # falls back to deny
