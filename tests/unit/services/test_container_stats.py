"""The stats service's JSON (Docker's ContainerStatsResponse), its sampling rules, and the
/proc parsers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from wharf.core.errors import NotFound
from wharf.services import container_stats
from wharf.services.container_record import ContainerRecord, ContainerState
from wharf.services.container_stats import ContainerStatsService, empty_stats
from wharf.services.container_stats_proc import (
    ProcHost,
    parse_mem_total,
    parse_net_dev,
    parse_proc_stat,
)

NET_DEV = "\n".join([
    "Inter-|   Receive                            |  Transmit",
    " face |bytes packets errs drop fifo frame compressed multicast|bytes packets errs drop "
    "fifo colls carrier compressed",
    "    lo: 100 2 0 0 0 0 0 0 100 2 0 0 0 0 0 0",
    "  eth0: 5000 40 1 2 0 0 0 0 3000 30 3 4 0 0 0 0",
    "",
])
TOP_KEYS = {"read", "preread", "pids_stats", "blkio_stats", "num_procs", "storage_stats",
            "cpu_stats", "precpu_stats", "memory_stats", "name", "id"}


def record(status: str = "running", network: str = "bridge") -> ContainerRecord:
    return ContainerRecord(id="c" * 64, name="web", created="", image_id="", path="sh",
                           args=[], config={}, host_config={"NetworkMode": network},
                           state=ContainerState(status=status, pid=42))


class FakeCgroups:
    def __init__(self) -> None:
        self.total = 0

    def stats(self, cgroups_path: str) -> dict[str, Any]:
        self.total += 1_000_000
        return {"memory_stats": {"usage": 5, "limit": 2**63, "stats": {}},
                "cpu_stats": {"cpu_usage": {"total_usage": self.total,
                                            "usage_in_kernelmode": 0, "usage_in_usermode": 0},
                              "throttling_data": {"periods": 0, "throttled_periods": 0,
                                                  "throttled_time": 0}},
                "pids_stats": {"current": 1}, "blkio_stats": {}}

    def update(self, cgroups_path: str, resources: dict[str, Any]) -> None:
        raise AssertionError("not used")


class FakeHost:
    def __init__(self) -> None:
        self.system = 0

    def system_cpu(self) -> tuple[int, int]:
        self.system += 10_000_000
        return self.system, 2

    def networks(self, pid: int) -> dict[str, dict[str, Any]]:
        return parse_net_dev(NET_DEV)

    def machine_memory(self) -> int:
        return 1 << 30


class Lookup:
    def __init__(self, rec: ContainerRecord) -> None:
        self.rec: ContainerRecord | None = rec

    def get(self, ref: str) -> ContainerRecord:
        if self.rec is None:
            raise NotFound(f"No such container: {ref}")
        return self.rec


def service(rec: ContainerRecord) -> ContainerStatsService:
    return ContainerStatsService(Lookup(rec), FakeCgroups(), FakeHost())


def collect(svc: ContainerStatsService, stream: bool, one_shot: bool = False,
            limit: int = 3) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        found = []
        async for sample in svc.samples("web", stream, one_shot):
            found.append(sample)
            if len(found) == limit:
                break
        return found

    return asyncio.run(run())


@pytest.fixture(autouse=True)
def fast_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(container_stats, "INTERVAL", 0.01)


def test_one_sample_shape() -> None:
    sample = service(record()).sample(record())
    assert TOP_KEYS | {"networks"} == set(sample)
    assert sample["name"] == "/web" and sample["num_procs"] == 0
    assert sample["memory_stats"]["limit"] == 1 << 30  # capped to the machine's memory
    assert sample["cpu_stats"]["online_cpus"] == 2
    assert sample["networks"] == {"eth0": {
        "rx_bytes": 5000, "rx_packets": 40, "rx_errors": 1, "rx_dropped": 2,
        "tx_bytes": 3000, "tx_packets": 30, "tx_errors": 3, "tx_dropped": 4}}


def test_host_network_has_no_networks() -> None:
    rec = record(network="host")
    assert "networks" not in service(rec).sample(rec)


def test_stream_false_answers_the_second_sample_with_precpu() -> None:
    [sample] = collect(service(record()), stream=False)
    assert sample["precpu_stats"]["cpu_usage"]["total_usage"] == 1_000_000
    assert sample["cpu_stats"]["cpu_usage"]["total_usage"] == 2_000_000
    assert sample["preread"] != "0001-01-01T00:00:00Z"


def test_one_shot_has_zero_precpu() -> None:
    [sample] = collect(service(record()), stream=False, one_shot=True)
    assert sample["precpu_stats"]["cpu_usage"]["total_usage"] == 0
    assert sample["preread"] == "0001-01-01T00:00:00Z"


def test_stream_chains_samples() -> None:
    first, second, third = collect(service(record()), stream=True)
    assert first["precpu_stats"]["cpu_usage"]["total_usage"] == 0
    assert second["precpu_stats"] == first["cpu_stats"]
    assert third["preread"] == second["read"]


def test_stopped_container_is_empty_with_name_and_id() -> None:
    rec = record(status="exited")
    [sample] = collect(service(rec), stream=False)
    assert sample == empty_stats(rec)
    assert set(sample) == TOP_KEYS and sample["memory_stats"] == {}
    assert sample["cpu_stats"]["cpu_usage"] == {"total_usage": 0, "usage_in_kernelmode": 0,
                                                "usage_in_usermode": 0}


def test_stream_ends_when_the_container_is_removed() -> None:
    lookup = Lookup(record())
    svc = ContainerStatsService(lookup, FakeCgroups(), FakeHost())

    async def run() -> int:
        count = 0
        async for _ in svc.samples("web", stream=True):
            count += 1
            lookup.rec = None
        return count

    assert asyncio.run(run()) == 1


def test_proc_stat() -> None:
    text = "cpu  100 5 50 1000 10 1 2 7 0 0\ncpu0 50 2 25 500 5 0 1 0 0 0\n" \
           "cpu1 50 3 25 500 5 1 1 7 0 0\nintr 1\n"
    assert parse_proc_stat(text) == ((100 + 5 + 50 + 1000 + 10 + 1 + 2) * 10_000_000, 2)


def test_proc_host_reads_a_proc_tree(tmp_path: Path) -> None:
    (tmp_path / "stat").write_text("cpu  1 1 1 1 1 1 1 0 0 0\ncpu0 1 1 1 1 1 1 1 0 0 0\n")
    (tmp_path / "7" / "net").mkdir(parents=True)
    (tmp_path / "7" / "net" / "dev").write_text(NET_DEV)
    host = ProcHost(tmp_path)
    assert host.system_cpu() == (70_000_000, 1)
    assert list(host.networks(7)) == ["eth0"]
    assert host.networks(8) == {}  # gone: no counters
    assert host.machine_memory() == 0  # no meminfo: not told
    (tmp_path / "meminfo").write_text("MemTotal:        2030592 kB\nMemFree:  1 kB\n")
    assert host.machine_memory() == 2030592 * 1024
    assert ProcHost().machine_memory() > 0


def test_mem_total_is_memtotal_in_bytes() -> None:
    assert parse_mem_total("MemFree: 5 kB\nMemTotal: 16 kB\n") == 16 * 1024
    assert parse_mem_total("MemFree: 5 kB\n") == 0
    assert parse_mem_total("MemTotal:\n") == 0
