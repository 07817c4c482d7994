"""cgroup statistics and live updates read/written from fixture trees shaped like the kernel's
v1 hierarchies and a v2 directory (the host runs v1; v2 is tested only here)."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from wharf.runtime.cgroups import CgroupV1, CgroupV2
from wharf.runtime.cgroups.update import MemoryBelowUsage, update_v1

MB = 1024 * 1024
V1_FILES = {
    "memory": {
        "memory.usage_in_bytes": "10485760", "memory.max_usage_in_bytes": "12582912",
        "memory.failcnt": "3", "memory.limit_in_bytes": "33554432",
        "memory.memsw.limit_in_bytes": "67108864",
        "memory.stat": "cache 4096\nrss 8192\nshmem 7\ninactive_file 1024\n"
                       "total_inactive_file 2097152\ntotal_rss 8192\n",
    },
    "cpu,cpuacct": {
        "cpuacct.usage": "5000000000", "cpuacct.usage_percpu": "3000000000 2000000000 \n",
        "cpuacct.stat": "user 300\nsystem 150\n",
        "cpu.stat": "nr_periods 10\nnr_throttled 2\nthrottled_time 4000\n",
        "cpu.shares": "1024", "cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "-1",
    },
    "pids": {"pids.current": "4", "pids.max": "max"},
    "blkio": {
        "blkio.throttle.io_service_bytes_recursive":
            "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Async 12288\n8:0 Total 12288\n"
            "Total 12288\n",
        "blkio.throttle.io_serviced_recursive": "8:0 Read 1\n8:0 Write 2\nTotal 3\n",
    },
}
V2_FILES = {
    "memory.current": "20971520", "memory.max": "max",
    "memory.stat": "anon 8192\nfile 4096\ninactive_file 1048576\nsock 0\n",
    "memory.events": "low 0\nhigh 0\nmax 5\noom 2\noom_kill 1\n",
    "memory.swap.max": "max",
    "cpu.stat": "usage_usec 7000\nuser_usec 5000\nsystem_usec 2000\nnr_periods 4\n"
                "nr_throttled 1\nthrottled_usec 30\n",
    "cpu.max": "max 100000", "cpu.weight": "100",
    "pids.current": "2", "pids.max": "100",
    "io.stat": "8:0 rbytes=1000 wbytes=2000 rios=1 wios=2 dbytes=0 dios=0\n"
               "253:1 rbytes=10 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n",
}


def v1_tree(root: Path) -> CgroupV1:
    for hierarchy, files in V1_FILES.items():
        directory = root / hierarchy / "wharf" / "c1"
        directory.mkdir(parents=True)
        for name, text in files.items():
            (directory / name).write_text(text)
    return CgroupV1("/wharf/c1", {key: root / key for key in V1_FILES})


def v2_tree(root: Path) -> CgroupV2:
    directory = root / "wharf" / "c2"
    directory.mkdir(parents=True)
    for name, text in V2_FILES.items():
        (directory / name).write_text(text)
    return CgroupV2("/wharf/c2", root)


def test_v1_stats_in_dockers_shape(tmp_path: Path) -> None:
    stats = v1_tree(tmp_path).stats()
    memory = stats["memory_stats"]
    assert (memory["usage"], memory["max_usage"], memory["failcnt"], memory["limit"]) == \
        (10 * MB, 12 * MB, 3, 32 * MB)
    assert memory["stats"]["total_inactive_file"] == 2 * MB
    assert memory["stats"]["cache"] == 4096 and "shmem" not in memory["stats"]
    assert memory["stats"]["hierarchical_memsw_limit"] == 0  # absent: reported as 0
    assert stats["cpu_stats"] == {
        "cpu_usage": {"total_usage": 5_000_000_000,
                      "percpu_usage": [3_000_000_000, 2_000_000_000],
                      "usage_in_kernelmode": 1_500_000_000,
                      "usage_in_usermode": 3_000_000_000},
        "throttling_data": {"periods": 10, "throttled_periods": 2, "throttled_time": 4000}}
    assert stats["pids_stats"] == {"current": 4}  # "max" is no limit: omitted as 0
    blkio = stats["blkio_stats"]
    assert [(e["op"], e["value"]) for e in blkio["io_service_bytes_recursive"]] == \
        [("Read", 4096), ("Write", 8192), ("Sync", 0), ("Async", 12288), ("Total", 12288)]
    assert blkio["io_serviced_recursive"][0] == {"major": 8, "minor": 0, "op": "Read",
                                                 "value": 1}
    assert blkio["sectors_recursive"] == []  # dockerd on v1: a list, empty


def test_v1_missing_controllers_leave_sections_empty(tmp_path: Path) -> None:
    stats = CgroupV1("/wharf/gone", {"memory": tmp_path / "memory"}).stats()
    assert stats["memory_stats"] == {} and stats["pids_stats"] == {}
    assert stats["cpu_stats"]["cpu_usage"]["total_usage"] == 0
    assert set(stats["blkio_stats"].values()) == {None}


def test_v2_stats_in_dockers_shape(tmp_path: Path) -> None:
    stats = v2_tree(tmp_path).stats()
    memory = stats["memory_stats"]
    assert memory["usage"] == 20 * MB and memory["limit"] == 2**64 - 1
    assert memory["failcnt"] == 2 and "max_usage" not in memory
    assert memory["stats"]["inactive_file"] == 1 * MB and memory["stats"]["anon"] == 8192
    assert stats["cpu_stats"] == {
        "cpu_usage": {"total_usage": 7_000_000, "usage_in_kernelmode": 2_000_000,
                      "usage_in_usermode": 5_000_000},
        "throttling_data": {"periods": 4, "throttled_periods": 1, "throttled_time": 30_000}}
    assert stats["pids_stats"] == {"current": 2, "limit": 100}
    assert stats["blkio_stats"]["io_service_bytes_recursive"] == [
        {"major": 8, "minor": 0, "op": "read", "value": 1000},
        {"major": 8, "minor": 0, "op": "write", "value": 2000},
        {"major": 253, "minor": 1, "op": "read", "value": 10},
        {"major": 253, "minor": 1, "op": "write", "value": 0}]


def test_v2_gone_directory(tmp_path: Path) -> None:
    stats = CgroupV2("/wharf/none", tmp_path).stats()
    assert stats["memory_stats"] == {} and stats["pids_stats"] == {}


def read(directory: Path, name: str) -> str:
    return (directory / name).read_text()


def test_v1_update_writes_what_is_given(tmp_path: Path) -> None:
    cgroup = v1_tree(tmp_path)
    cgroup.update({"memory": {"limit": 48 * MB, "swap": 96 * MB, "reservation": 16 * MB},
                   "cpu": {"shares": 512, "period": 100000, "quota": 50000},
                   "pids": {"limit": 0}})
    memory = tmp_path / "memory" / "wharf" / "c1"
    cpu = tmp_path / "cpu,cpuacct" / "wharf" / "c1"
    assert read(memory, "memory.limit_in_bytes") == str(48 * MB)
    assert read(memory, "memory.memsw.limit_in_bytes") == str(96 * MB)
    assert read(memory, "memory.soft_limit_in_bytes") == str(16 * MB)
    assert (read(cpu, "cpu.shares"), read(cpu, "cpu.cfs_quota_us")) == ("512", "50000")
    assert read(tmp_path / "pids" / "wharf" / "c1", "pids.max") == "max"
    cgroup.update({"pids": {"limit": 20}})
    assert read(tmp_path / "pids" / "wharf" / "c1", "pids.max") == "20"
    assert read(memory, "memory.limit_in_bytes") == str(48 * MB)  # untouched


def test_v1_limit_below_usage_reports_runc_words(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    v1_tree(tmp_path)
    memory = tmp_path / "memory" / "wharf" / "c1"
    from wharf.runtime.cgroups import update as update_module

    def busy(path: Path, value: str | int) -> None:
        if path.name == "memory.limit_in_bytes":
            raise OSError(errno.EBUSY, "Device or resource busy")
        path.write_text(str(value))

    monkeypatch.setattr(update_module, "write_value", busy)
    with pytest.raises(MemoryBelowUsage) as raised:
        update_v1(lambda c: memory if c == "memory" else None, {"memory": {"limit": 8 * MB}})
    assert raised.value.strerror == (f"unable to set memory limit to {8 * MB} "
                                     f"(current usage: {10 * MB}, peak usage: {12 * MB})")


def test_v2_update_converts_to_v2_knobs(tmp_path: Path) -> None:
    cgroup = v2_tree(tmp_path)
    cgroup.update({"memory": {"limit": 64 * MB, "swap": 96 * MB},
                   "cpu": {"shares": 1024, "quota": 50000}, "pids": {"limit": -1}})
    directory = tmp_path / "wharf" / "c2"
    assert read(directory, "memory.max") == str(64 * MB)
    assert read(directory, "memory.swap.max") == str(32 * MB)
    assert read(directory, "cpu.weight") == "39"
    assert read(directory, "cpu.max") == "50000 100000"
    assert read(directory, "pids.max") == "max"
    cgroup.update({"cpu": {"period": 200000}})
    assert read(directory, "cpu.max") == "50000 200000"
