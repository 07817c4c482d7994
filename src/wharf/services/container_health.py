"""Health checks run, as dockerd's health monitor runs them: one runner per running container
that has a check (``Config.Healthcheck``, merged with the image's at create). The runner waits
the interval (the start interval while the container starts within its start period), runs the
probe as an exec of the container with the check's timeout, and records the result in
``State.Health`` (``health_state``); each change of status is a ``health_status: <status>``
event. The runner ends with the run (``RunHooks.stopped``) and is resumed for the containers
adopted at the daemon's start (live-restore), keeping their health.

Beyond Docker, ``wharf.health-on-failure`` (Podman's ``--health-on-failure``) acts when the
container turns unhealthy: ``kill`` (SIGKILL; the restart policy then decides), ``restart``,
``stop`` (a stop as the user's: no restart policy brings it back), ``none``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from wharf.core.errors import NotFound, WharfError
from wharf.core.timefmt import parse_rfc3339, rfc3339_nano
from wharf.services.container_health_config import on_failure_action
from wharf.services.container_record import ContainerRecord
from wharf.services.health_state import (
    NANOS,
    UNHEALTHY,
    HealthCheck,
    HealthState,
    effective_check,
    timeout_output,
)

if TYPE_CHECKING:
    from wharf.services.containers import ContainerService

log = logging.getLogger(__name__)


# (container id, the probe's argv, where its output goes) → its exit code
Probe = Callable[[str, list[str], bytearray], Awaitable[int]]
DEFAULT_SHELL = ["/bin/sh", "-c"]


def state_from_api(health: dict[str, object] | None) -> HealthState:
    """A ``State.Health`` as saved, to go on with (live-restore)."""
    if not health:
        return HealthState()
    log_entries = health.get("Log")
    return HealthState(status=str(health.get("Status") or "starting"),
                       failing_streak=int(str(health.get("FailingStreak") or 0)),
                       log=list(log_entries) if isinstance(log_entries, list) else [])


class HealthMonitor:
    """The runners of every running container with a health check (``RunHooks``)."""

    def __init__(self, containers: ContainerService, probe: Probe,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._containers = containers
        self._probe = probe
        self._clock = clock
        self._sleep = sleep
        self._runners: dict[str, asyncio.Task[None]] = {}
        self._actions: set[asyncio.Task[None]] = set()

    # ---- RunHooks -----------------------------------------------------------------------
    def started(self, record: ContainerRecord, resumed: bool) -> None:
        self.stopped(record.id)
        try:
            check = effective_check(record.config.get("Healthcheck"), None)
        except WharfError as err:  # dockerd logs an unknown test type and runs no check
            log.warning("no health check for %s: %s", record.id, err.message)
            return
        if check is None:
            return
        state = state_from_api(record.state.health) if resumed else HealthState()
        self._containers.record_health(record, state.to_api(), None)
        self._runners[record.id] = asyncio.create_task(self._run(record.id, check, state))

    def stopped(self, container_id: str) -> None:
        task = self._runners.pop(container_id, None)
        if task is not None:
            task.cancel()

    def resume(self, records: list[ContainerRecord]) -> None:
        """The runners of the containers adopted at the daemon's start."""
        for record in records:
            if record.state.running:
                self.started(record, resumed=True)

    async def close(self) -> None:
        tasks = [*self._runners.values(), *self._actions]
        self._runners.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # ---- the runner ---------------------------------------------------------------------
    async def _run(self, container_id: str, check: HealthCheck, state: HealthState) -> None:
        while True:
            await self._sleep(self._interval(container_id, check, state) / NANOS)
            if self._runners.get(container_id) is not asyncio.current_task():
                return  # stopped (a cancellation may cross a probe's end)
            try:
                record = self._containers.get(container_id)
            except NotFound:
                return
            if not record.state.running:
                return
            if record.state.paused:
                continue
            await self._probe_once(record, check, state)

    def _interval(self, container_id: str, check: HealthCheck, state: HealthState) -> int:
        """dockerd's: the start interval while starting inside the start period."""
        if self._in_start_period(container_id, check) and state.status == "starting":
            return check.start_interval
        return check.interval

    def _in_start_period(self, container_id: str, check: HealthCheck) -> bool:
        if check.start_period <= 0:
            return False
        with contextlib.suppress(NotFound):
            started = parse_rfc3339(self._containers.get(container_id).state.started_at)
            return self._clock() - started < check.start_period / NANOS
        return False

    async def _probe_once(self, record: ContainerRecord, check: HealthCheck,
                          state: HealthState) -> None:
        start = rfc3339_nano(int(self._clock() * NANOS))
        in_start_period = self._in_start_period(record.id, check)
        shell = list(record.config.get("Shell") or DEFAULT_SHELL)
        output = bytearray()
        try:
            async with asyncio.timeout(check.timeout / NANOS):
                code = await self._probe(record.id, check.argv(shell), output)
            text = output.decode("utf-8", "replace")
        except TimeoutError:  # dockerd's words, with what the probe wrote so far
            partial = output.decode("utf-8", "replace")
            code, text = -1, timeout_output(check) + (f": {partial}" if partial else "")
        except WharfError as err:
            if not record.state.running:
                return
            code, text = -1, err.message
        end = rfc3339_nano(int(self._clock() * NANOS))
        if self._runners.get(record.id) is not asyncio.current_task():
            return
        changed = state.record(check, start, end, code, text, in_start_period)
        self._containers.record_health(record, state.to_api(), changed)
        if changed == UNHEALTHY:
            self._act_on_failure(record)

    def _act_on_failure(self, record: ContainerRecord) -> None:
        """``wharf.health-on-failure``, in a task of its own (the action ends this run, and
        with it this runner)."""
        try:
            action = on_failure_action(record.labels)
        except WharfError:
            return
        if action == "none":
            return
        task = asyncio.create_task(self._do(record.id, action))
        self._actions.add(task)
        task.add_done_callback(self._actions.discard)

    async def _do(self, container_id: str, action: str) -> None:
        containers = self._containers
        try:
            if action == "kill":
                await containers.kill_unhealthy(containers.get(container_id))
            elif action == "restart":
                await containers.restart(container_id, None)
            else:
                await containers.stop(container_id, None)
        except WharfError as err:
            log.warning("health-on-failure=%s of %s: %s", action, container_id, err.message)
