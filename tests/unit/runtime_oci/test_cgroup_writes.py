"""Fewer cgroup writes with the same result: device rules, cpuset inheritance, rmdir, warm-up."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wharf.runtime import defaults
from wharf.runtime.cgroups import CgroupLayout, CgroupV1
from wharf.runtime.cgroups.base import remove_tree
from wharf.runtime.cgroups.layout import parse_mountinfo
from wharf.runtime.cgroups.v1 import device_rule, device_writes, write_device_rules
from wharf.runtime.cgroups.warmup import own_procs_file, warm_attach_lock
from wharf.runtime.oci.devicerules import with_default_device_rules

DENY_ALL = {"allow": False, "access": "rwm"}
NULL = {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"}
ZERO = {"allow": True, "type": "c", "major": 1, "minor": 5, "access": "rwm"}
DENY_NULL = {**NULL, "allow": False}


def test_repeated_allows_are_written_once() -> None:
    writes = device_writes([DENY_ALL, NULL, ZERO, NULL, ZERO])
    assert writes == [("devices.deny", "a *:* rwm"), ("devices.allow", "c 1:3 rwm"),
                      ("devices.allow", "c 1:5 rwm")]


def test_an_allow_after_a_deny_is_written_again() -> None:
    writes = device_writes([DENY_ALL, NULL, DENY_NULL, NULL, DENY_ALL, NULL])
    assert [line for _, line in writes] == ["a *:* rwm", "c 1:3 rwm", "c 1:3 rwm",
                                            "c 1:3 rwm", "a *:* rwm", "c 1:3 rwm"]


def test_dockers_rules_plus_the_runtime_defaults_are_thirteen_writes() -> None:
    rules = with_default_device_rules({"devices": defaults.device_rules(False)})["devices"]
    writes = device_writes(rules)
    assert writes[0] == ("devices.deny", "a *:* rwm")
    assert len(writes) == len({device_rule(r) for r in rules}) == 13


V1_DEVICES = Path("/sys/fs/cgroup/devices")


@pytest.mark.root
@pytest.mark.skipif(os.geteuid() != 0 or not (V1_DEVICES / "devices.list").exists(),
                    reason="needs root and a cgroup v1 devices hierarchy")
def test_deduplicated_rules_give_the_kernel_the_same_list() -> None:
    rules = with_default_device_rules({"devices": defaults.device_rules(False)})["devices"]
    fast, naive = V1_DEVICES / f"wharf-test-fast-{os.getpid()}", \
        V1_DEVICES / f"wharf-test-naive-{os.getpid()}"
    fast.mkdir()
    try:
        naive.mkdir()
        try:
            write_device_rules(fast, rules)
            for rule in rules:
                knob = "devices.allow" if rule.get("allow") else "devices.deny"
                (naive / knob).write_text(device_rule(rule))
            listed = sorted((fast / "devices.list").read_text().splitlines())
            assert listed == sorted((naive / "devices.list").read_text().splitlines())
            assert "a *:* rwm" not in listed and "c 1:3 rwm" in listed  # deny-all holds
        finally:
            naive.rmdir()
    finally:
        fast.rmdir()


def test_cpuset_ancestors_are_set_up_once(tmp_path: Path) -> None:
    mount = tmp_path / "cpuset"
    mount.mkdir()
    (mount / "cpuset.cpus").write_text("0-3\n")
    (mount / "cpuset.mems").write_text("0\n")
    CgroupV1("/wharf/c1", {"cpuset": mount}).create()
    assert (mount / "wharf/cgroup.clone_children").read_text() == "1"
    assert (mount / "wharf/c1/cpuset.cpus").read_text() == "0-3"
    (mount / "wharf/cpuset.mems").write_text("0\n")  # as the kernel shows it
    (mount / "wharf/cpuset.cpus").write_text("0-1\n")
    (mount / "wharf/cgroup.clone_children").write_text("untouched")
    CgroupV1("/wharf/c2", {"cpuset": mount}).create()
    assert (mount / "wharf/cgroup.clone_children").read_text() == "untouched"
    assert (mount / "wharf/c2/cpuset.cpus").read_text() == "0-1"


def test_remove_tree_removes_children_first(tmp_path: Path) -> None:
    (tmp_path / "cg/child/grandchild").mkdir(parents=True)
    (tmp_path / "cg/other").mkdir()
    remove_tree(tmp_path / "cg")
    assert not (tmp_path / "cg").exists()
    remove_tree(tmp_path / "cg")  # gone already: nothing to do


def test_own_procs_file_v1_and_v2(tmp_path: Path) -> None:
    v1 = CgroupLayout(version=1, hierarchies={"cpu,cpuacct": tmp_path / "cpu",
                                              "name=systemd": tmp_path / "systemd"})
    text = "9:name=systemd:/user.slice\n2:cpuacct,cpu:/a/b\n0::/ignored\n"
    assert own_procs_file(v1, text) == tmp_path / "systemd/user.slice/cgroup.procs"
    assert own_procs_file(v1, "2:cpuacct,cpu:/a/b\n") == tmp_path / "cpu/a/b/cgroup.procs"
    v2 = CgroupLayout(version=2, unified=tmp_path)
    assert own_procs_file(v2, "0::/system.slice/x.service\n") == \
        tmp_path / "system.slice/x.service/cgroup.procs"
    assert own_procs_file(v2, "") is None


@pytest.mark.root
def test_warm_attach_lock_keeps_the_caller_in_its_cgroup() -> None:
    before = Path("/proc/self/cgroup").read_text()
    assert warm_attach_lock()
    assert Path("/proc/self/cgroup").read_text() == before


def test_own_procs_file_inside_a_container_without_cgroup_namespace(tmp_path: Path) -> None:
    """In a container, /proc/self/cgroup names host paths while each mount shows only the
    container's own cgroup (mountinfo's root field): the file is found relative to that."""
    mountinfo = (
        "30 25 0:26 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
        "31 25 0:27 /docker/abc /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
    )
    layout = parse_mountinfo(mountinfo)
    assert layout.mount_roots == {"memory": "/docker/abc", "": "/docker/abc"}
    layout = CgroupLayout(version=1, hierarchies={"memory": tmp_path},
                          mount_roots=layout.mount_roots)
    assert own_procs_file(layout, "4:memory:/docker/abc\n") == tmp_path / "cgroup.procs"
    assert own_procs_file(layout, "4:memory:/docker/abc/x\n") == tmp_path / "x/cgroup.procs"
    assert own_procs_file(layout, "4:memory:/docker/abcd\n") == \
        tmp_path / "docker/abcd/cgroup.procs"
