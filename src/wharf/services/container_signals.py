"""Signals to running containers: kill, stop (with the grace period), restart, wait for an
exit, pause and unpause."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal as signal_module

from wharf.core.errors import Conflict, InvalidParameter, NotModified, RuntimeFailure, WharfError
from wharf.services import container_config as cc
from wharf.services.container_base import ContainerServiceBase
from wharf.services.container_record import ContainerRecord
from wharf.services.container_support import wait_event

log = logging.getLogger(__name__)

KILL_WAIT_SECONDS = 10.0  # after SIGKILL, as dockerd waits before it gives up
KILL_RACE_SECONDS = 2.0  # a SIGKILL that failed: the container may be exiting on its own


class ContainerSignals(ContainerServiceBase):
    # ---- signals ------------------------------------------------------------------------
    async def kill(self, ref: str, signal: str | None) -> None:
        """Send ``signal`` (SIGKILL by default). SIGKILL answers only once the exit is recorded
        (state saved, ``die`` emitted), as dockerd's kill does: ``kill`` then ``rm`` never
        races. Any other signal answers once delivered."""
        record = self.get(ref)
        number = cc.parse_signal(signal, signal_module.SIGKILL)
        if record.state.status == "restarting":  # no process: the pending restart may go
            self.mark_stopped_by_user(record, number)
            if self.live(record.id).exit_on_next:
                self.cancel_restart(record)
            return
        if record.state.running:
            self.mark_stopped_by_user(record, number)
        try:
            shim = self.shim_of(record)
        except Conflict as err:
            raise Conflict(f"Cannot kill container: {ref}: {err.message}") from None
        if number != signal_module.SIGKILL:
            await shim.kill(number)
            self._emit(record, "kill", signal=str(number))
            return
        try:
            await self._kill_and_wait(record)
        except RuntimeFailure as err:
            raise RuntimeFailure(f"Cannot kill container: {ref}: {err.message}") from None

    async def _kill_and_wait(self, record: ContainerRecord) -> None:
        """SIGKILL the container and wait (bounded) until its exit is recorded. With a pid
        namespace of its own, killing its init ends every process in it (the kernel does);
        sharing the host's, each process is killed through the cgroup (runc's ``kill --all``,
        which freezes the cgroup first: not worth it otherwise)."""
        live = self.live(record.id)
        shim = live.shim
        if record.state.paused:
            with contextlib.suppress(Exception):
                self._deps.cgroups.thaw(cc.cgroups_path(record.id))
        if shim is not None:
            try:
                await shim.kill(signal_module.SIGKILL,
                                all_processes=record.host_config.get("PidMode") == "host")
            except WharfError as err:  # it may have exited meanwhile
                if not await wait_event(live.exited, KILL_RACE_SECONDS):
                    raise err from None
                return
            self._emit(record, "kill", signal=str(int(signal_module.SIGKILL)))
        if not await wait_event(live.exited, KILL_WAIT_SECONDS):
            raise RuntimeFailure("tried to kill container, but did not receive an exit event")

    async def stop(self, ref: str, timeout: int | None, signal: str | None = None) -> None:
        record = self.get(ref)
        if record.state.status == "restarting":  # dockerd: the pending restart is cancelled
            self.mark_stopped_by_user(record, signal_module.SIGKILL)
            self.cancel_restart(record)
            self._emit(record, "stop")
            return
        if not record.state.running:
            raise NotModified("container already stopped")
        stop_signal = cc.parse_signal(signal or record.config.get("StopSignal"))
        if timeout is None:
            timeout = record.config.get("StopTimeout")
            timeout = cc.DEFAULT_STOP_TIMEOUT if timeout is None else int(timeout)
        await self._stop_running(record, stop_signal, timeout)
        if self._deps.networking is not None:  # its endpoints are released when stop returns
            await self._deps.networking.wait_teardown(record.id)  # (a network rm may follow)
        self._emit(record, "stop")

    async def _stop_running(self, record: ContainerRecord, stop_signal: int, timeout: int) -> None:
        """Send the stop signal, wait ``timeout`` seconds (forever when negative), then SIGKILL;
        return only once the exit is recorded (dockerd's ``containerStop``)."""
        live = self.live(record.id)
        shim = live.shim
        if shim is None:
            return
        if record.state.paused:
            with contextlib.suppress(Exception):
                self._deps.cgroups.thaw(cc.cgroups_path(record.id))
        self.mark_stopped_by_user(record, stop_signal)
        try:
            await shim.kill(stop_signal)
            self._emit(record, "kill", signal=str(stop_signal))
        except WharfError as err:  # dockerd then goes straight to SIGKILL
            log.info("sending signal %d to %s failed (%s): killing it", stop_signal, record.id,
                     err.message)
            timeout = 0
        if timeout < 0:
            await live.exited.wait()
        elif not await wait_event(live.exited, float(timeout)):
            await self._kill_and_wait(record)

    async def restart(self, ref: str, timeout: int | None) -> None:
        record = self.get(ref)
        if record.state.running or record.state.status == "restarting":
            await self.stop(ref, timeout)
        async with self._lock(record.id):
            self.cancel_restart(record)
            self._reset_restarts(record)
            await self._start_locked(record)
        self._emit(record, "restart")

    # ---- wait ---------------------------------------------------------------------------
    async def wait(self, ref: str, condition: str) -> int:
        """The exit code after ``condition`` (``not-running``, ``next-exit``, ``removed``)."""
        record = self.get(ref)
        live = self.live(record.id)
        if condition in ("", "not-running"):
            await self._wait_not_running(record)
        elif condition == "next-exit":
            if not record.state.running:
                live.exited.clear()
            await live.exited.wait()
        elif condition == "removed":
            await live.removed.wait()
        else:
            raise InvalidParameter(f"invalid condition: {condition!r}")
        if self._deps.networking is not None:  # stopped means its endpoints are released
            await self._deps.networking.wait_teardown(record.id)  # (a network rm may follow)
        return record.state.exit_code

    async def _wait_not_running(self, record: ContainerRecord) -> None:
        """Until it stops for good: a restart by its policy is waited through (dockerd
        counts a restarting container as running)."""
        live = self.live(record.id)
        while record.state.running or record.state.status == "restarting":
            task = live.restart_task
            if task is not None:
                await asyncio.wait({task})
            elif record.state.running:
                await live.exited.wait()
            else:
                return

    # ---- pause --------------------------------------------------------------------------
    def pause(self, ref: str) -> None:
        record = self.get(ref)
        if not record.state.running:
            raise Conflict(f"Container {record.id} is not running")
        if record.state.paused:
            raise Conflict(f"Container {record.id} is already paused")
        self._deps.cgroups.freeze(cc.cgroups_path(record.id))
        record.state.status = "paused"
        self._save(record)
        self._emit(record, "pause")

    def unpause(self, ref: str) -> None:
        record = self.get(ref)
        if not record.state.paused:
            raise Conflict(f"Container {record.id} is not paused")
        self._deps.cgroups.thaw(cc.cgroups_path(record.id))
        record.state.status = "running"
        self._save(record)
        self._emit(record, "unpause")
