"""Signals to running containers: kill, stop (with the grace period), restart, wait for an
exit, pause and unpause."""

from __future__ import annotations

import contextlib
import signal as signal_module

from wharf.core.errors import Conflict, InvalidParameter, NotModified
from wharf.services import container_config as cc
from wharf.services.container_base import ContainerServiceBase
from wharf.services.container_record import ContainerRecord
from wharf.services.container_support import wait_event


class ContainerSignals(ContainerServiceBase):
    # ---- signals ------------------------------------------------------------------------
    async def kill(self, ref: str, signal: str | None) -> None:
        record = self.get(ref)
        number = cc.parse_signal(signal, signal_module.SIGKILL)
        try:
            shim = self.shim_of(record)
        except Conflict as err:
            raise Conflict(f"Cannot kill container: {ref}: {err.message}") from None
        if record.state.paused and number == signal_module.SIGKILL:
            with contextlib.suppress(Exception):
                self._deps.cgroups.thaw(cc.cgroups_path(record.id))
        await shim.kill(number)
        self._emit(record, "kill", signal=str(number))

    async def stop(self, ref: str, timeout: int | None, signal: str | None = None) -> None:
        record = self.get(ref)
        if not record.state.running:
            raise NotModified("container already stopped")
        stop_signal = cc.parse_signal(signal or record.config.get("StopSignal"))
        if timeout is None:
            timeout = record.config.get("StopTimeout")
            timeout = cc.DEFAULT_STOP_TIMEOUT if timeout is None else int(timeout)
        await self._stop_running(record, stop_signal, timeout)
        self._emit(record, "stop")

    async def _stop_running(self, record: ContainerRecord, stop_signal: int, timeout: int) -> None:
        live = self.live(record.id)
        shim = live.shim
        if shim is None:
            return
        if record.state.paused:
            with contextlib.suppress(Exception):
                self._deps.cgroups.thaw(cc.cgroups_path(record.id))
        with contextlib.suppress(Exception):
            await shim.kill(stop_signal)
            self._emit(record, "kill", signal=str(stop_signal))
        if timeout < 0 or await wait_event(live.exited, float(timeout)):
            await live.exited.wait()
            return
        with contextlib.suppress(Exception):
            await shim.kill(signal_module.SIGKILL, all_processes=True)
            self._emit(record, "kill", signal=str(int(signal_module.SIGKILL)))
        await wait_event(live.exited, 30.0)

    async def restart(self, ref: str, timeout: int | None) -> None:
        record = self.get(ref)
        if record.state.running:
            await self.stop(ref, timeout)
        async with self._lock(record.id):
            await self._start_locked(record)
        self._emit(record, "restart")

    # ---- wait ---------------------------------------------------------------------------
    async def wait(self, ref: str, condition: str) -> int:
        """The exit code after ``condition`` (``not-running``, ``next-exit``, ``removed``)."""
        record = self.get(ref)
        live = self.live(record.id)
        if condition in ("", "not-running"):
            if record.state.running:
                await live.exited.wait()
        elif condition == "next-exit":
            if not record.state.running:
                live.exited.clear()
            await live.exited.wait()
        elif condition == "removed":
            await live.removed.wait()
        else:
            raise InvalidParameter(f"invalid condition: {condition!r}")
        return record.state.exit_code

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
