"""Restart policies in the container service (fake shims, a fake clock for the back-off):
on-failure's count, the back-off's delays, a user's stop or kill cancelling the policy, the
policy read from the record at each exit, and the daemon-start rules."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.unit.services.fakes import World, body

from wharf.services import container_restart
from wharf.services.container_record import ContainerRecord, ContainerState
from wharf.services.container_restart import ran_for, restarts_at_daemon_start


class FakeClock:
    """The back-off's sleeps: recorded, and over at once unless ``hold`` is set."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.hold: asyncio.Event | None = None

    async def sleep(self, delay: float) -> None:
        self.delays.append(delay)
        if self.hold is not None:
            await self.hold.wait()
        await asyncio.sleep(0)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClock]:
    fake = FakeClock()
    monkeypatch.setattr(container_restart, "restart_sleep", fake.sleep)
    yield fake


def create_body(cmd: list[str], policy: str, retries: int = 0,
                **config: Any) -> Any:
    return body({"Image": "busybox", "Cmd": cmd, **config,
                 "HostConfig": {"RestartPolicy": {"Name": policy,
                                                  "MaximumRetryCount": retries}}})


async def settle(condition: Any, rounds: int = 200) -> None:
    for _ in range(rounds):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not reached")


def test_on_failure_restarts_n_times_with_a_doubling_back_off(tmp_path: Path,
                                                              clock: FakeClock) -> None:
    async def scenario() -> None:
        world = World(tmp_path)
        service = world.containers()
        record, _ = service.create("cc", create_body(["sh", "-c", "exit 1"], "on-failure", 3))
        await service.start(record.id)
        await settle(lambda: record.restart_count == 3 and record.state.status == "exited")
        assert clock.delays == [0.1, 0.2, 0.4]
        actions = [e.action for e in world.events.history()]
        assert actions == ["create", "start", "die", "start", "die", "start", "die", "start",
                           "die"]
        dies = [e for e in world.events.history() if e.action == "die"]
        assert all(e.attributes["exitCode"] == "1" for e in dies)
        assert all(e.attributes["execDuration"] == "0" for e in dies)
        await service.shutdown()

    asyncio.run(scenario())


def test_restarting_during_the_back_off_and_a_stop_cancels_it(tmp_path: Path,
                                                              clock: FakeClock) -> None:
    async def scenario() -> None:
        world = World(tmp_path)
        service = world.containers()
        clock.hold = asyncio.Event()
        record, _ = service.create("cc", create_body(["sh", "-c", "exit 2"], "always"))
        await service.start(record.id)
        await settle(lambda: record.state.status == "restarting")
        assert record.state.restarting and record.restart_count == 1
        assert record.state.exit_code == 2
        await service.stop(record.id, 1)
        assert record.state.status == "exited" and not record.state.restarting
        assert record.manually_stopped
        assert [e.action for e in world.events.history()][-1] == "stop"
        clock.hold.set()
        await asyncio.sleep(0.02)
        assert record.state.status == "exited"
        await service.start(record.id)  # a user's start: a fresh restart manager
        assert record.restart_count == 0 and not record.manually_stopped
        await service.shutdown()

    asyncio.run(scenario())


def test_a_user_stop_or_kill_is_not_restarted(tmp_path: Path, clock: FakeClock) -> None:
    async def scenario() -> None:
        world = World(tmp_path)
        service = world.containers()
        stopped, _ = service.create("ss", create_body(["sleep", "60"], "always"))
        killed, _ = service.create("kk", create_body(["sleep", "60"], "unless-stopped"))
        for record in (stopped, killed):
            await service.start(record.id)
        await service.stop(stopped.id, 1)
        await service.kill(killed.id, None)
        await asyncio.sleep(0.02)
        assert clock.delays == []
        assert stopped.state.status == killed.state.status == "exited"
        assert stopped.manually_stopped and killed.manually_stopped
        await service.shutdown()

    asyncio.run(scenario())


def test_a_signal_other_than_the_stop_signal_leaves_the_policy(tmp_path: Path,
                                                               clock: FakeClock) -> None:
    async def scenario() -> None:
        world = World(tmp_path)
        service = world.containers()
        record, _ = service.create("cc", create_body(["sleep", "60"], "always",
                                                    StopSignal="SIGUSR1"))
        await service.start(record.id)
        await service.kill(record.id, "TERM")  # the fake process dies of it
        await settle(lambda: record.restart_count == 1 and record.state.running)
        assert record.manually_stopped  # (which unless-stopped would honour)
        await service.shutdown()

    asyncio.run(scenario())


def test_the_policy_is_read_from_the_record_at_each_exit(tmp_path: Path,
                                                        clock: FakeClock) -> None:
    async def scenario() -> None:
        world = World(tmp_path)
        service = world.containers()
        record, _ = service.create("cc", create_body(["sleep", "60"], "no"))
        await service.start(record.id)
        record.host_config["RestartPolicy"] = {"Name": "always", "MaximumRetryCount": 0}
        await world.launcher.shims[record.id].kill(2)  # it dies on its own (SIGINT)
        await settle(lambda: record.restart_count == 1 and record.state.running)
        await service.shutdown()

    asyncio.run(scenario())


def test_no_restart_during_the_daemons_shutdown(tmp_path: Path, clock: FakeClock) -> None:
    async def scenario() -> None:
        world = World(tmp_path)
        service = world.containers()
        record, _ = service.create("cc", create_body(["sleep", "60"], "always"))
        await service.start(record.id)
        await service.stop_all()
        assert record.state.status == "exited" and clock.delays == []
        assert not record.manually_stopped  # the daemon's stop is not the user's
        await service.shutdown()

    asyncio.run(scenario())


def stopped_record(policy: str, exit_code: int = 0, manual: bool = False,
                   started: bool = True, retries: int = 0, count: int = 0) -> ContainerRecord:
    return ContainerRecord(
        id="a" * 64, name="c", created="", image_id="", path="sleep", args=[], config={},
        host_config={"RestartPolicy": {"Name": policy, "MaximumRetryCount": retries}},
        state=ContainerState(status="exited", exit_code=exit_code), restart_count=count,
        has_been_started=started, manually_stopped=manual)


@pytest.mark.parametrize(("record", "restarts"), [
    (stopped_record("always"), True),
    (stopped_record("always", manual=True), True),  # moby: always, even after docker stop
    (stopped_record("unless-stopped"), True),
    (stopped_record("unless-stopped", manual=True), False),
    (stopped_record("on-failure", exit_code=0), False),
    (stopped_record("on-failure", exit_code=143), True),
    (stopped_record("on-failure", exit_code=1, retries=2, count=2), False),
    (stopped_record("no", exit_code=1), False),
    (stopped_record("always", started=False), False),  # never ran: stays created
])
def test_the_daemon_start_rules(record: ContainerRecord, restarts: bool) -> None:
    assert restarts_at_daemon_start(record) is restarts


def test_ran_for() -> None:
    record = stopped_record("no")
    assert ran_for(record) == 0.0
    record.state.started_at = "2024-01-01T00:00:00Z"
    record.state.finished_at = "2024-01-01T00:00:12.5Z"
    assert ran_for(record) == 12.5


def test_oom_comes_before_die(tmp_path: Path, clock: FakeClock) -> None:
    async def scenario() -> None:
        from tests.unit.services.fakes import FakeExit

        world = World(tmp_path)
        service = world.containers()
        record, _ = service.create("oomed", create_body(["sleep", "60"], "no"))
        await service.start(record.id)
        shim = world.launcher.shims[record.id]
        shim.exited.set_result(FakeExit(137, record.state.started_at, record.state.started_at,
                                        oom_killed=True))
        await settle(lambda: record.state.status == "exited")
        history = world.events.history()
        assert [e.action for e in history][-2:] == ["oom", "die"]
        assert history[-1].attributes["exitCode"] == "137"
        assert record.state.oom_killed
        await service.shutdown()

    asyncio.run(scenario())


def test_wait_not_running_waits_through_the_policys_restarts(tmp_path: Path,
                                                             clock: FakeClock) -> None:
    async def scenario() -> None:
        world = World(tmp_path)
        service = world.containers()
        record, _ = service.create("waited", create_body(["sh", "-c", "exit 4"], "on-failure",
                                                         2))
        await service.start(record.id)
        code = await asyncio.wait_for(service.wait(record.id, "not-running"), 5)
        assert code == 4 and record.restart_count == 2 and record.state.status == "exited"
        await service.shutdown()

    asyncio.run(scenario())
