"""The container service's start and shutdown: config.json replaced atomically, the log
rotation the shim is given, every running container stopped when the daemon stops."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from tests.unit.services.fakes import World, body


def test_config_json_is_replaced_not_rewritten_in_place(tmp_path: Path) -> None:
    async def scenario() -> None:
        world = World(tmp_path)
        service = world.containers()
        record, _ = service.create("web", body({"Image": "busybox", "Cmd": ["sleep", "9"]}))
        await service.start(record.id)
        bundle = tmp_path / "data" / "containers" / record.id
        first = tmp_path / "held-by-a-reader.json"
        os.link(bundle / "config.json", first)  # a reader that opened the old file
        await service.kill(record.id, "KILL")
        await service.wait(record.id, "not-running")
        record.config["Cmd"] = ["sleep", "10"]
        await service.start(record.id)
        # written in place, the reader's file would have changed under it (or be half-written)
        assert json.loads(first.read_text())["process"]["args"] == ["sleep", "9"]
        assert json.loads((bundle / "config.json").read_text())["process"]["args"] == \
            ["sleep", "10"]
        assert not [p for p in bundle.iterdir() if ".tmp-" in p.name]
        await service.stop_all()
        await service.shutdown()

    asyncio.run(scenario())


def test_log_rotation_defaults_daemon_opts_and_container_config(tmp_path: Path) -> None:
    async def scenario() -> None:
        world = World(tmp_path, log_opts={"max-file": "3"})
        service = world.containers()
        default, _ = service.create("ca", body({"Image": "busybox", "Cmd": ["sleep", "9"]}))
        custom, _ = service.create("cb", body({"Image": "busybox", "Cmd": ["sleep", "9"],
                                         "HostConfig": {"LogConfig": {
                                             "Type": "json-file",
                                             "Config": {"max-size": "1k"}}}}))
        for record in (default, custom):
            await service.start(record.id)
        got = world.launcher.shims[default.id].request
        assert (got.log_max_size, got.log_max_files) == (20_000_000, 3)
        got = world.launcher.shims[custom.id].request
        assert (got.log_max_size, got.log_max_files) == (1000, 3)
        await service.stop_all()
        await service.shutdown()

    asyncio.run(scenario())


def test_stop_all_stops_every_running_container_with_its_signal(tmp_path: Path) -> None:
    async def scenario() -> None:
        world = World(tmp_path)
        service = world.containers()
        records = []
        for n in range(5):
            record, _ = service.create(f"c{n}", body({"Image": "busybox", "Cmd": ["sleep", "9"],
                                                      "StopSignal": "SIGINT"}))
            await service.start(record.id)
            records.append(record)
        stubborn, _ = service.create("st", body({"Image": "busybox", "Cmd": ["stubborn"],
                                                 "StopTimeout": 0}))
        await service.start(stubborn.id)
        await asyncio.wait_for(service.stop_all(concurrency=2), 10)
        for record in records:
            assert (record.state.status, record.state.exit_code) == ("exited", 130)
            assert world.launcher.shims[record.id].signals == [2]
        assert (stubborn.state.status, stubborn.state.exit_code) == ("exited", 137)
        await service.shutdown()

    asyncio.run(scenario())
