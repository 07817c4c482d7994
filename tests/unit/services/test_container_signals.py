"""kill and stop answer only once the exit is recorded (dockerd's semantics): a client that
kills or stops and then removes or inspects never sees the container running."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tests.unit.services.fakes import World, body

from wharf.core.errors import RuntimeFailure
from wharf.services import container_signals
from wharf.services.container_record import ContainerRecord


def saved_state(world: World, container_id: str) -> str:
    return ContainerRecord.from_json(world.store.rows[container_id]).state.status


def test_sigkill_returns_after_the_exit_is_recorded(tmp_path: Path) -> None:
    async def scenario() -> None:
        world = World(tmp_path)
        service = world.containers()
        record, _ = service.create("killed", body({"Image": "busybox", "Cmd": ["sleep", "9"]}))
        await service.start(record.id)
        await service.kill(record.id, None)
        assert record.state.status == "exited" and record.state.exit_code == 137
        assert saved_state(world, record.id) == "exited"
        assert [e.action for e in world.events.history()][-2:] == ["kill", "die"]
        await service.remove(record.id, force=False, volumes=False)  # no 409
        await service.shutdown()

    asyncio.run(scenario())


def test_other_signals_return_once_delivered(tmp_path: Path) -> None:
    async def scenario() -> None:
        world = World(tmp_path)
        service = world.containers()
        record, _ = service.create("termed", body({"Image": "busybox", "Cmd": ["stubborn"]}))
        await service.start(record.id)
        await service.kill(record.id, "TERM")
        assert world.launcher.shims[record.id].signals == [15]
        assert record.state.running
        await service.kill(record.id, "KILL")
        assert not record.state.running
        await service.shutdown()

    asyncio.run(scenario())


def test_stop_returns_after_the_exit_is_recorded(tmp_path: Path) -> None:
    async def scenario() -> None:
        world = World(tmp_path)
        service = world.containers()
        record, _ = service.create("stopped", body({"Image": "busybox", "Cmd": ["stubborn"]}))
        await service.start(record.id)
        await service.stop(record.id, 0)
        assert world.launcher.shims[record.id].signals == [15, 9]
        assert record.state.status == "exited" and saved_state(world, record.id) == "exited"
        assert [e.action for e in world.events.history()][-4:] == ["kill", "kill", "die", "stop"]
        await service.shutdown()

    asyncio.run(scenario())


def test_kill_gives_up_after_a_bounded_wait(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(container_signals, "KILL_WAIT_SECONDS", 0.05)

    async def scenario() -> None:
        world = World(tmp_path)
        service = world.containers()
        record, _ = service.create("unkillable", body({"Image": "busybox", "Cmd": ["unkillable"]}))
        await service.start(record.id)
        with pytest.raises(RuntimeFailure, match="did not receive an exit event"):
            await service.kill(record.id, None)
        world.launcher.shims[record.id]._exit(137)
        await service.wait(record.id, "not-running")
        await service.shutdown()

    asyncio.run(scenario())
