"""The container service against fakes: create defaults, etc files, restore, AutoRemove."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tests.unit.services.fakes import FakeExit, World, body

from wharf.core.timefmt import parse_rfc3339, seconds_rfc3339
from wharf.services.container_config import merge_config, parse_signal
from wharf.services.container_network_start import bare_etc
from wharf.services.container_network_types import EtcInput
from wharf.services.container_record import ContainerRecord
from wharf.services.containers import ContainerService


def test_merge_config_follows_dockers_rules() -> None:
    image = {"Cmd": ["sh"], "Entrypoint": ["/init"], "Env": ["A=1", "B=2"], "WorkingDir": "/w",
             "Labels": {"x": "1"}, "StopSignal": "SIGQUIT"}
    merged = merge_config({"Env": ["B=3"], "Labels": {"y": "2"}}, image)
    assert merged["Entrypoint"] == ["/init"] and merged["Cmd"] == ["sh"]
    assert merged["Env"] == ["A=1", "B=3"]
    assert merged["Labels"] == {"x": "1", "y": "2"}
    assert merged["WorkingDir"] == "/w" and merged["StopSignal"] == "SIGQUIT"
    # a user entrypoint drops the image's cmd
    merged = merge_config({"Entrypoint": ["echo"]}, image)
    assert merged["Entrypoint"] == ["echo"] and merged["Cmd"] is None


def test_signals_and_resolv_conf() -> None:
    assert parse_signal("SIGKILL") == 9 and parse_signal("kill") == 9 and parse_signal("15") == 15
    assert parse_signal(None) == 15
    texts = bare_etc(EtcInput("none", "box"), "nameserver 127.0.0.53\nnameserver 1.1.1.1\n"
                                               "search x\n")
    assert texts.resolv == "nameserver 1.1.1.1\nsearch x\n"


def test_time_round_trip() -> None:
    stamp = seconds_rfc3339(1700000000.25)
    assert stamp == "2023-11-14T22:13:20.250000000Z"
    assert abs(parse_rfc3339(stamp) - 1700000000.25) < 1e-6
    assert parse_rfc3339("0001-01-01T00:00:00Z") == 0.0


def test_start_writes_bundle_and_etc_files(tmp_path: Path) -> None:
    async def scenario() -> None:
        world = World(tmp_path)
        service = world.containers()
        record, _ = service.create("web", body({"Image": "busybox", "Cmd": ["sleep", "9"]}))
        await service.start(record.id)
        bundle = tmp_path / "data" / "containers" / record.id
        spec = json.loads((bundle / "config.json").read_text())
        assert spec["process"]["args"] == ["sleep", "9"]
        assert (bundle / "hostname").read_text() == record.id[:12] + "\n"
        assert "127.0.0.53" not in (bundle / "resolv.conf").read_text()
        assert "10.0.0.2" in (bundle / "resolv.conf").read_text()
        assert record.id in world.rootfs.mounted
        request = world.launcher.shims[record.id].request
        assert request.runtime == "wharf" and request.log_path.name == f"{record.id}-json.log"
        await service.kill(record.id, "KILL")
        assert await service.wait(record.id, "not-running") == 137
        assert record.id not in world.rootfs.mounted
        await service.shutdown()

    asyncio.run(scenario())


def test_auto_remove_after_exit(tmp_path: Path) -> None:
    async def scenario() -> None:
        world = World(tmp_path)
        service = world.containers()
        record, _ = service.create("", body({"Image": "busybox", "Cmd": ["echo", "x"],
                                        "HostConfig": {"AutoRemove": True}}))
        waiter = asyncio.create_task(service.wait(record.id, "removed"))
        await asyncio.sleep(0)
        await service.start(record.id)
        assert await asyncio.wait_for(waiter, 2) == 0
        assert record.id not in world.store.rows
        actions = [e.action for e in world.events.history()]
        assert actions == ["create", "start", "die", "destroy"]

    asyncio.run(scenario())


def test_restore_reattaches_running_and_records_exits_of_gone_shims(tmp_path: Path) -> None:
    async def scenario() -> None:
        world = World(tmp_path)
        first = world.containers()
        alive, _ = first.create("alive", body({"Image": "busybox", "Cmd": ["sleep", "9"]}))
        gone, _ = first.create("gone", body({"Image": "busybox", "Cmd": ["sleep", "9"]}))
        await first.start(alive.id)
        await first.start(gone.id)
        await first.shutdown()  # the daemon stops; the containers keep running
        gone_dir = tmp_path / "data" / "containers" / gone.id
        del world.launcher.alive[gone_dir]
        world.launcher.exit_files[gone_dir] = FakeExit(
            3, finished_at="2024-01-01T00:00:00.000000000Z")

        second = ContainerService(world.deps())
        await second.restore()
        assert second.get("alive").state.status == "running"
        restored_gone = second.get("gone")
        assert restored_gone.state.status == "exited"
        assert restored_gone.state.exit_code == 3
        assert restored_gone.state.finished_at == "2024-01-01T00:00:00.000000000Z"
        await world.launcher.shims[alive.id].kill(9)
        assert await asyncio.wait_for(second.wait("alive", "not-running"), 2) == 137
        saved = ContainerRecord.from_json(world.store.rows[alive.id])
        assert saved.state.status == "exited" and saved.state.exit_code == 137
        await second.shutdown()

    asyncio.run(scenario())


def test_record_round_trip_tolerates_unknown_keys(tmp_path: Path) -> None:
    world = World(tmp_path)
    record, _ = world.containers().create("rt", body({"Image": "busybox"}))
    data = json.loads(record.to_json())
    data["future_field"] = 1
    data["state"]["future_state"] = True
    again = ContainerRecord.from_json(json.dumps(data))
    assert again == record


def test_restore_finishes_a_removal_cut_short(tmp_path: Path) -> None:
    async def scenario() -> None:
        world = World(tmp_path)
        first = world.containers()
        record, _ = first.create("half", body({"Image": "busybox", "Cmd": ["true"]}))
        record.state.status = "removing"  # the daemon died between marking and deleting
        world.store.save(record)

        second = ContainerService(world.deps())
        await second.restore()
        assert record.id not in world.store.rows
        assert not (tmp_path / "data" / "containers" / record.id).exists()
        assert [r.id for r in second.all()] == []

    asyncio.run(scenario())


def test_forced_removal_of_a_running_container(tmp_path: Path) -> None:
    async def scenario() -> None:
        world = World(tmp_path)
        service = world.containers()
        record, _ = service.create("busy", body({"Image": "busybox", "Cmd": ["sleep", "9"]}))
        await service.start(record.id)
        waiter = asyncio.create_task(service.wait(record.id, "removed"))
        await asyncio.sleep(0)
        await service.remove(record.id, force=True, volumes=False)
        assert await asyncio.wait_for(waiter, 2) == 137
        assert record.id not in world.store.rows
        assert not (tmp_path / "data" / "containers" / record.id).exists()
        actions = [e.action for e in world.events.history()]
        assert actions[-2:] == ["die", "destroy"]

    asyncio.run(scenario())
