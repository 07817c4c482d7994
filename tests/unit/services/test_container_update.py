"""docker update's rules: the merge into HostConfig with dockerd's conflicts and words, the
checks, the live resources, refusals of what wharf does not update."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import pytest

from wharf.core.errors import Conflict, InvalidParameter, WharfError
from wharf.services.container_record import ContainerRecord, ContainerState
from wharf.services.container_update import (
    ContainerUpdateService,
    UpdateBody,
    live_resources,
    merge,
    refuse_unsupported,
    verify_update,
)

MB = 1024 * 1024


def body(**fields: Any) -> UpdateBody:
    return msgspec.convert(fields, UpdateBody)


def test_merge_keeps_dockers_stored_swap() -> None:
    changes = merge({"Memory": 32 * MB, "MemorySwap": 0}, body(Memory=64 * MB))
    assert changes == {"Memory": 64 * MB, "MemorySwap": 64 * MB}


@pytest.mark.parametrize(("host", "fields", "words"), [
    ({"Memory": 0, "MemorySwap": 0}, {"Memory": 64 * MB},
     "Memory limit should be smaller than already set memoryswap limit"),
    ({"CpuPeriod": 50000}, {"NanoCpus": 10**9},
     "Nano CPUs cannot be updated as CPU Period has already been set"),
    ({"CpuQuota": 50000}, {"NanoCpus": 10**9},
     "Nano CPUs cannot be updated as CPU Quota has already been set"),
    ({"NanoCpus": 10**9}, {"CpuPeriod": 50000},
     "CPU Period cannot be updated as NanoCPUs has already been set"),
    ({"NanoCpus": 10**9}, {"CpuQuota": 50000},
     "CPU Quota cannot be updated as NanoCPUs has already been set"),
    ({"AutoRemove": True}, {"RestartPolicy": {"Name": "always"}},
     "Restart policy cannot be updated because AutoRemove is enabled for the container"),
])
def test_merge_conflicts(host: dict[str, Any], fields: dict[str, Any], words: str) -> None:
    with pytest.raises(Conflict, match=words):
        merge(host, body(**fields))


def test_merge_restart_policy_and_pids() -> None:
    changes = merge({}, body(RestartPolicy={"Name": "on-failure", "MaximumRetryCount": 2},
                             PidsLimit=-1))
    assert changes == {"RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 2},
                       "PidsLimit": 0}  # -1 and 0 are stored as dockerd does: 0, unlimited


@pytest.mark.parametrize(("fields", "words"), [
    ({"Memory": 1024}, "Minimum memory limit allowed is 6MB"),
    ({"Memory": 64 * MB, "MemorySwap": 32 * MB}, "Minimum memoryswap limit should be larger"),
    ({"NanoCpus": 10**9, "CpuQuota": 5000}, "Nano CPUs and CPU Quota cannot both be set"),
    ({"RestartPolicy": {"Name": "sometimes"}}, "unknown policy 'sometimes'"),
])
def test_checks(fields: dict[str, Any], words: str) -> None:
    with pytest.raises(InvalidParameter, match=words):
        verify_update(body(**fields), 2)


def test_swap_alone_is_allowed_in_an_update() -> None:
    verify_update(body(MemorySwap=128 * MB), 2)


@pytest.mark.parametrize("fields", [{"BlkioWeight": 300}, {"CpusetCpus": "0"},
                                    {"OomKillDisable": True}, {"CpuRealtimeRuntime": 5}])
def test_unsupported_fields_are_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(InvalidParameter, match="is not supported yet"):
        refuse_unsupported(body(**fields))


def test_zero_values_of_other_fields_pass() -> None:
    refuse_unsupported(body(BlkioWeight=0, CpusetCpus="", Devices=[], Memory=64 * MB))


def test_live_resources_from_nano_cpus() -> None:
    assert live_resources(body(NanoCpus=500_000_000, Memory=64 * MB, PidsLimit=10)) == {
        "memory": {"limit": 64 * MB}, "cpu": {"period": 100000, "quota": 50000},
        "pids": {"limit": 10}}


class Containers:
    def __init__(self, rec: ContainerRecord) -> None:
        self.rec = rec
        self.events: list[str] = []
        self.lock = asyncio.Lock()

    def get(self, ref: str) -> ContainerRecord:
        return self.rec

    def operation_lock(self, container_id: str) -> asyncio.Lock:
        return self.lock

    def emit(self, record: ContainerRecord, action: str, **extra: str) -> None:
        self.events.append(action)


class Store:
    def __init__(self) -> None:
        self.saved: list[str] = []

    def save(self, record: ContainerRecord) -> None:
        self.saved.append(record.to_json())

    def delete(self, container_id: str) -> None: ...
    def load_all(self) -> list[str]:
        return []


class Cgroups:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.applied: list[dict[str, Any]] = []

    def stats(self, cgroups_path: str) -> dict[str, Any]:
        return {}

    def update(self, cgroups_path: str, resources: dict[str, Any]) -> None:
        if self.fail:
            raise OSError(16, "unable to set memory limit to 1 (current usage: 2, peak usage: 3)")
        self.applied.append(resources)


def record(status: str) -> ContainerRecord:
    return ContainerRecord(id="a" * 64, name="x", created="", image_id="", path="sh", args=[],
                           config={}, host_config={"Memory": 32 * MB, "MemorySwap": 0},
                           state=ContainerState(status=status))


def test_running_container_is_updated_live_and_stored() -> None:
    rec, cgroups, store = record("running"), Cgroups(), Store()
    containers = Containers(rec)
    svc = ContainerUpdateService(containers, store, cgroups, cpus=2)
    assert asyncio.run(svc.update("x", body(Memory=48 * MB))) == []
    assert cgroups.applied == [{"memory": {"limit": 48 * MB}, "cpu": {}}]
    assert rec.host_config["Memory"] == 48 * MB and len(store.saved) == 1
    assert containers.events == ["update"]


def test_stopped_container_is_only_stored() -> None:
    rec, cgroups = record("exited"), Cgroups()
    svc = ContainerUpdateService(Containers(rec), Store(), cgroups, cpus=2)
    asyncio.run(svc.update("x", body(CpuShares=512)))
    assert cgroups.applied == [] and rec.host_config["CpuShares"] == 512


def test_a_failed_live_update_changes_nothing() -> None:
    rec, store = record("running"), Store()
    svc = ContainerUpdateService(Containers(rec), store, Cgroups(fail=True), cpus=2)
    with pytest.raises(WharfError, match=r"Cannot update container a+: unable to set memory"):
        asyncio.run(svc.update("x", body(Memory=8 * MB)))
    assert rec.host_config["Memory"] == 32 * MB and store.saved == []


def test_conflicts_name_the_container() -> None:
    rec = record("running")
    svc = ContainerUpdateService(Containers(rec), Store(), Cgroups(), cpus=2)
    with pytest.raises(Conflict, match=f"Cannot update container {rec.id}: Memory limit"):
        asyncio.run(svc.update("x", body(Memory=128 * MB)))
