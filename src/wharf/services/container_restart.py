"""Restart policies applied, as dockerd's restart manager does.

After each exit the policy is read from the record (``docker update --restart`` only changes
the record): ``always`` and ``unless-stopped`` restart, ``on-failure[:N]`` restarts after a
non-zero exit (at most N times). The restart waits Docker's back-off (``RestartBackoff``);
meanwhile the container is ``restarting`` (inspect's ``Running`` and ``Restarting`` true) and
its ``RestartCount`` is one higher. A user's stop or kill cancels the policy until the next
start (moby's ``ExitOnNext``) and marks the container manually stopped
(``HasBeenManuallyStopped``), which ``unless-stopped`` honours at the daemon's start too.

Services that follow a container's runs (the health checks) register ``RunHooks``: told when
a run starts (or is adopted at the daemon's start) and when it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal as signal_module
from typing import Any, Protocol

from wharf.core.errors import InvalidParameter, NotFound
from wharf.core.timefmt import parse_rfc3339
from wharf.services import container_config as cc
from wharf.services.container_base import ContainerServiceBase
from wharf.services.container_record import ContainerRecord
from wharf.services.restart_policy import RestartBackoff, RestartPolicy, parse_restart_policy

log = logging.getLogger(__name__)
restart_sleep = asyncio.sleep  # the back-off's wait (tests put a fake clock here)


class RunHooks(Protocol):
    def started(self, record: ContainerRecord, resumed: bool) -> None:
        """A run began (``resumed``: one adopted at the daemon's start, live-restore)."""

    def stopped(self, container_id: str) -> None:
        """The run ended (the container exited or the daemon stops watching it)."""


def policy_of(record: ContainerRecord) -> RestartPolicy:
    """The record's policy (a record that cannot be parsed restarts nothing)."""
    try:
        return parse_restart_policy(record.host_config.get("RestartPolicy"))
    except InvalidParameter:
        return RestartPolicy()


def ran_for(record: ContainerRecord) -> float:
    """Seconds between the last start and exit (0 when either is unknown)."""
    started = parse_rfc3339(record.state.started_at)
    finished = parse_rfc3339(record.state.finished_at)
    return max(finished - started, 0.0) if started and finished else 0.0


def restarts_at_daemon_start(record: ContainerRecord) -> bool:
    """moby's restore: a stopped container that ran before is started when its policy wants
    it with a fresh restart manager (``always`` even after ``docker stop``, ``unless-stopped``
    unless stopped by the user, ``on-failure`` after a non-zero exit)."""
    policy = policy_of(record)
    manual = record.manually_stopped and policy.name == "unless-stopped"
    return record.has_been_started and policy.wants_restart(
        record.state.exit_code, manual, record.restart_count)


class ContainerRestarts(ContainerServiceBase):
    _hooks: tuple[RunHooks, ...] = ()
    _shutting_down = False

    def add_run_hooks(self, hooks: RunHooks) -> None:
        self._hooks = (*self._hooks, hooks)

    def _notify_started(self, record: ContainerRecord, resumed: bool = False) -> None:
        for hooks in self._hooks:
            hooks.started(record, resumed)

    def _notify_stopped(self, container_id: str) -> None:
        for hooks in self._hooks:
            hooks.stopped(container_id)

    # ---- health ------------------------------------------------------------------------
    def record_health(self, record: ContainerRecord, health: dict[str, Any],
                      changed: str | None) -> None:
        """A health check's result: ``State.Health`` saved, ``health_status: <status>``
        emitted when the status changed."""
        record.state.health = health
        with contextlib.suppress(NotFound):
            if self._registry.get(record.id) is record:  # (not removed meanwhile)
                self._save(record)
        if changed is not None:
            self._emit(record, "health_status: " + changed)

    async def kill_unhealthy(self, record: ContainerRecord) -> None:
        """SIGKILL by ``health-on-failure=kill``: not the user's, so the policy decides."""
        if record.state.running:
            await self._kill_and_wait(record)

    # ---- the user's stop, kill and start ------------------------------------------------
    def mark_stopped_by_user(self, record: ContainerRecord, signal: int) -> None:
        """moby's ``killWithSignal``: the policy is cancelled for SIGKILL, for the container's
        stop signal, or for any signal when it sets none; any signal marks it manually
        stopped, except during the daemon's shutdown."""
        stop_signal = record.config.get("StopSignal")
        if signal == signal_module.SIGKILL or not stop_signal \
                or cc.parse_signal(stop_signal) == signal:
            self.live(record.id).exit_on_next = True
        if not self._shutting_down and not record.manually_stopped:
            record.manually_stopped = True
            self._save(record)

    def _reset_restarts(self, record: ContainerRecord) -> None:
        """A start by the user: a fresh restart manager (count, back-off, manual stop)."""
        live = self.live(record.id)
        live.exit_on_next = False
        live.backoff = RestartBackoff()
        record.restart_count = 0
        record.manually_stopped = False

    # ---- after an exit ------------------------------------------------------------------
    def _restart_delay(self, record: ContainerRecord) -> float | None:
        """The back-off before restarting after this exit, or None when it stays exited."""
        live = self.live(record.id)
        if live.exit_on_next or live.removing or self._shutting_down:
            return None
        policy = policy_of(record)
        manual = record.manually_stopped and policy.name == "unless-stopped"
        if not policy.wants_restart(record.state.exit_code, manual, record.restart_count):
            return None
        return live.backoff.next_delay(ran_for(record))

    def _mark_restarting(self, record: ContainerRecord) -> None:
        record.restart_count += 1
        record.state.status = "restarting"
        record.state.restarting = True

    def _schedule_restart(self, record: ContainerRecord, delay: float) -> None:
        self.live(record.id).restart_task = asyncio.create_task(
            self._restart_later(record.id, delay))

    async def _restart_later(self, container_id: str, delay: float) -> None:
        await restart_sleep(delay)
        try:
            record = self._registry.get(container_id)
        except NotFound:
            return
        live = self.live(container_id)
        async with self._lock(container_id):
            live.restart_task = None
            if record.state.status != "restarting":
                return
            try:
                await self._start_locked(record)
            except Exception as err:  # dockerd: a failed restart leaves it stopped
                log.warning("restarting container %s: %s", container_id, err)
                self._settle_exited(record)

    def cancel_restart(self, record: ContainerRecord) -> bool:
        """Drop a pending restart (a stop, kill or removal during the back-off): the
        container stays exited. False when none was pending."""
        live = self.live(record.id)
        task, live.restart_task = live.restart_task, None
        if task is not None:
            task.cancel()
        if record.state.status != "restarting":
            return False
        self._settle_exited(record)
        return True

    def _settle_exited(self, record: ContainerRecord) -> None:
        record.state.status = "exited"
        record.state.restarting = False
        self._save(record)

    async def _cancel_all_restarts(self) -> None:
        """At the daemon's stop: pending restarts are dropped (the records stay
        ``restarting``; the next daemon applies the policies at its start)."""
        tasks = [live.restart_task for live in self._live.values() if live.restart_task]
        for task in tasks:
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*tasks, return_exceptions=True)
