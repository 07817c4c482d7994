"""The health runner (fake shims, a fake probe and clock): transitions with their events and
log, the start period and start interval, the runner ending with the run, resuming with the
saved health, and health-on-failure."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.unit.services.fakes import World, body

from wharf.core.errors import Conflict
from wharf.core.timefmt import parse_rfc3339
from wharf.services.container_health import HealthMonitor, state_from_api
from wharf.services.containers import ContainerService

MS = 1_000_000


class Script:
    """Probe results in order (the last repeats), and the clock and sleeps the runner sees."""

    def __init__(self, codes: list[int], now: float | None = None) -> None:
        self.codes = codes
        self.calls: list[list[str]] = []
        self.sleeps: list[float] = []
        self.now = time.time() if now is None else now

    async def probe(self, container_id: str, argv: list[str], output: bytearray) -> int:
        self.calls.append(argv)
        code = self.codes[min(len(self.calls), len(self.codes)) - 1]
        if code == -99:
            raise Conflict("Container is not running")
        output += f"probe {len(self.calls)}\n".encode()
        if code == -2:  # hangs past any timeout
            await asyncio.Event().wait()
        return code

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)

    def clock(self) -> float:
        return self.now


def health_body(check: dict[str, Any], labels: dict[str, str] | None = None,
                policy: str = "no") -> Any:
    return body({"Image": "busybox", "Cmd": ["sleep", "60"], "Healthcheck": check,
                 "Labels": labels or {}, "HostConfig": {"RestartPolicy": {"Name": policy}}})


async def settle(condition: Callable[[], bool], rounds: int = 400) -> None:
    for _ in range(rounds):
        if condition():
            return
        await asyncio.sleep(0.002)
    raise AssertionError("condition not reached")


def monitored(tmp_path: Path, script: Script) -> tuple[World, ContainerService, HealthMonitor]:
    world = World(tmp_path)
    service = world.containers()
    monitor = HealthMonitor(service, script.probe, clock=script.clock, sleep=script.sleep)
    service.add_run_hooks(monitor)
    return world, service, monitor


def health_events(world: World) -> list[str]:
    return [e.action for e in world.events.history() if e.action.startswith("health_status")]


def test_unhealthy_after_the_retries_then_healthy(tmp_path: Path) -> None:
    async def scenario() -> None:
        script = Script([1, 1, 0])
        world, service, monitor = monitored(tmp_path, script)
        record, _ = service.create("hc", health_body(
            {"Test": ["CMD-SHELL", "check it"], "Interval": 200 * MS, "Retries": 2}))
        assert record.config["Healthcheck"]["Test"] == ["CMD-SHELL", "check it"]
        await service.start(record.id)
        assert record.state.health == {"Status": "starting", "FailingStreak": 0, "Log": []}
        await settle(lambda: len(script.calls) >= 3)
        await monitor.close()
        assert health_events(world) == ["health_status: unhealthy", "health_status: healthy"]
        health = record.state.health or {}
        assert health["Status"] == "healthy" and health["FailingStreak"] == 0
        log = health["Log"]
        assert 3 <= len(log) <= 5 and log[-1]["ExitCode"] == 0
        assert log[-1]["Output"] == f"probe {len(script.calls)}\n"
        assert script.calls[0] == ["/bin/sh", "-c", "check it"]
        assert script.sleeps[:3] == [0.2, 0.2, 0.2]
        await service.shutdown()

    asyncio.run(scenario())


def test_failures_in_the_start_period_do_not_count(tmp_path: Path) -> None:
    async def scenario() -> None:
        script = Script([1])
        _world, service, monitor = monitored(tmp_path, script)
        record, _ = service.create("hc", health_body(
            {"Test": ["CMD", "false"], "Interval": 1000 * MS, "StartPeriod": 2000 * MS,
             "StartInterval": 100 * MS, "Retries": 1}))
        await service.start(record.id)
        script.now = parse_rfc3339(record.state.started_at)
        await settle(lambda: (record.state.health or {}).get("Status") == "unhealthy")
        await monitor.close()
        # probes every 100 ms inside the 2 s start period (not counted), then every second
        assert script.sleeps[0] == 0.1 and script.sleeps[-1] == 1.0
        assert sum(script.sleeps) >= 2.0
        assert script.calls[0] == ["false"]
        await service.shutdown()

    asyncio.run(scenario())


def test_the_runner_ends_with_the_run_and_resumes_with_its_health(tmp_path: Path) -> None:
    async def scenario() -> None:
        script = Script([0])
        world, service, monitor = monitored(tmp_path, script)
        record, _ = service.create("hc", health_body({"Test": ["CMD", "true"],
                                                      "Interval": 10 * MS}))
        await service.start(record.id)
        await settle(lambda: (record.state.health or {}).get("Status") == "healthy")
        monitor.stopped(record.id)  # as the daemon stops watching (live-restore)
        saved = dict(record.state.health or {})
        calls = len(script.calls)
        monitor.resume([record])
        assert state_from_api(record.state.health).status == "healthy"
        await settle(lambda: len(script.calls) > calls)
        assert health_events(world) == ["health_status: healthy"]  # no new transition
        assert saved["Status"] == "healthy"
        await service.kill(record.id, None)
        calls = len(script.calls)
        await asyncio.sleep(0.02)
        assert len(script.calls) == calls  # no probe of an exited container
        await monitor.close()
        await service.shutdown()

    asyncio.run(scenario())


def test_no_check_and_none(tmp_path: Path) -> None:
    async def scenario() -> None:
        script = Script([0])
        _world, service, monitor = monitored(tmp_path, script)
        plain, _ = service.create("plain", body({"Image": "busybox", "Cmd": ["sleep", "9"]}))
        off, _ = service.create("off", health_body({"Test": ["NONE"]}))
        for record in (plain, off):
            await service.start(record.id)
            assert record.state.health is None
        await asyncio.sleep(0.01)
        assert script.calls == []
        await monitor.close()
        await service.shutdown()

    asyncio.run(scenario())


def test_health_on_failure_kill_leaves_it_to_the_restart_policy(tmp_path: Path) -> None:
    async def scenario() -> None:
        script = Script([1])
        world, service, monitor = monitored(tmp_path, script)
        record, _ = service.create("hc", health_body(
            {"Test": ["CMD", "false"], "Interval": 10 * MS, "Retries": 1},
            {"wharf.health-on-failure": "kill"}, policy="on-failure"))
        await service.start(record.id)
        await settle(lambda: record.restart_count >= 1)
        assert not record.manually_stopped
        dies = [e.attributes["exitCode"] for e in world.events.history() if e.action == "die"]
        assert dies[0] == "137"
        await monitor.close()
        await service.shutdown()

    asyncio.run(scenario())


def test_health_on_failure_stop_is_a_users_stop(tmp_path: Path) -> None:
    async def scenario() -> None:
        script = Script([1])
        world, service, monitor = monitored(tmp_path, script)
        record, _ = service.create("hc", health_body(
            {"Test": ["CMD", "false"], "Interval": 10 * MS, "Retries": 1},
            {"wharf.health-on-failure": "stop"}, policy="always"))
        await service.start(record.id)
        await settle(lambda: record.state.status == "exited")
        assert record.manually_stopped and record.restart_count == 0
        assert "stop" in [e.action for e in world.events.history()]
        await monitor.close()
        await service.shutdown()

    asyncio.run(scenario())


def test_a_probe_past_its_timeout_fails_with_dockers_words(tmp_path: Path) -> None:
    async def scenario() -> None:
        script = Script([-2])
        _world, service, monitor = monitored(tmp_path, script)
        record, _ = service.create("hc", health_body(
            {"Test": ["CMD", "hang"], "Interval": 10 * MS, "Timeout": 20 * MS, "Retries": 1}))
        await service.start(record.id)
        await settle(lambda: (record.state.health or {}).get("Status") == "unhealthy")
        await monitor.close()
        entry = (record.state.health or {})["Log"][0]
        assert entry["ExitCode"] == -1
        assert entry["Output"] == "Health check exceeded timeout (20ms): probe 1\n"
        await service.shutdown()

    asyncio.run(scenario())


def test_an_unknown_test_type_runs_no_check(tmp_path: Path) -> None:
    async def scenario() -> None:
        script = Script([0])
        _world, service, monitor = monitored(tmp_path, script)
        record, _ = service.create("odd", health_body({"Test": ["WHAT", "x"]}))
        await service.start(record.id)  # the container runs; the check does not
        assert record.state.running and record.state.health is None
        await monitor.close()
        await service.shutdown()

    asyncio.run(scenario())
