"""The containers at the daemon's start and stop.

At start, :meth:`restore` loads every record and then makes the host agree with them, as
containerd does with its tasks: what has a record is adopted (its shim reconnected, a container
whose "running" state was never saved is marked running with the pid its shim reports, one
whose shim died is cleaned up); what has none (a crash between launching a shim, or creating the
files, and saving the record) is killed and removed: its shim, every process in its cgroup, the
cgroup, the runtime's state, its filesystem and its directory. Leftovers are found by id under
the daemon's own data root (``containers/<id>``, ``runtime/<id>``); the cgroup parent
``/wharf`` may be shared with other wharf daemons, so a cgroup is only ever touched for an id
found there.

Then :meth:`start_by_policy` starts what the restart policies want started (moby's restore:
a stopped container that ran before, by ``always``, ``unless-stopped`` unless the user stopped
it, ``on-failure`` after a non-zero exit; once the run hooks are registered, so their health
checks run).

At stop, :meth:`stop_all` stops the running containers (no live-restore), :meth:`shutdown`
stops watching the rest; no restart policy acts during the shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import shutil

from wharf.core.errors import WharfError
from wharf.core.timefmt import now_rfc3339
from wharf.services import container_config as cc
from wharf.services import container_network_restore as netrestore
from wharf.services.container_record import ContainerRecord, ContainerState
from wharf.services.container_restart import restarts_at_daemon_start
from wharf.services.container_supervision import ContainerSupervision

log = logging.getLogger(__name__)

STOP_ALL_CONCURRENCY = 16
_CONTAINER_ID = re.compile(r"^[0-9a-f]{64}$")


class ContainerLifecycle(ContainerSupervision):
    # ---- start of the daemon ------------------------------------------------------------
    async def restore(self) -> None:
        """Load every record, adopt what runs for them, remove what runs for none."""
        for text in self._deps.store.load_all():
            try:
                record = ContainerRecord.from_json(text)
            except (ValueError, TypeError, KeyError) as err:
                log.error("skipping an unreadable container record: %s", err)
                continue
            self._registry.add(record)
            if record.state.status == "removing":  # a removal cut short: finish it, as dockerd
                record.state.status = "dead"
                with contextlib.suppress(WharfError):
                    await self.remove(record.id, force=True, volumes=False)
            elif record.state.running:
                if self._deps.networking is not None:
                    netrestore.restore(self._deps.networking, record)
                await self._reattach(record)
            else:
                await self._settle_stopped(record)
        await self._remove_orphans()
        if self._deps.networking is not None:
            await netrestore.reconcile(self._deps.networking, self.get,
                                       self._deps.host_resolv_conf)

    async def start_by_policy(self) -> None:
        """Start the stopped containers whose restart policy wants it at the daemon's start
        (a fresh restart manager: count and manual stop reset, as dockerd's restore)."""
        for record in self.all():
            if record.state.running or record.state.status not in ("exited", "restarting"):
                continue
            if self.live(record.id).restart_task is not None:
                continue  # its exit was seen during the restore: its back-off runs
            if not restarts_at_daemon_start(record):
                if record.state.status == "restarting":
                    self._settle_exited(record)
                continue
            async with self._lock(record.id):
                self._reset_restarts(record)
                try:
                    await self._start_locked(record)
                except WharfError as err:
                    log.warning("starting %s by its restart policy: %s", record.id, err.message)
                    self._settle_exited(record)

    async def _reattach(self, record: ContainerRecord) -> None:
        container_dir = self._deps.paths.container_dir(record.id)
        shim = await self._deps.shims.connect(container_dir)
        if shim is None:
            await self._on_exit(record.id, await self._after_lost_shim(record.id))
            return
        live = self.live(record.id)
        live.shim = shim
        live.watcher = asyncio.create_task(self._watch(record.id, shim))

    async def _settle_stopped(self, record: ContainerRecord) -> None:
        """A record saved as not running: its shim may have started it before a crash."""
        container_dir = self._deps.paths.container_dir(record.id)
        shim = await self._deps.shims.connect(container_dir)
        state: dict[str, object] = {}
        if shim is not None:
            with contextlib.suppress(WharfError, OSError):
                state = await shim.state()
        if shim is not None and state.get("status") in ("running", "exited"):
            log.info("adopting container %s, started before the daemon's crash", record.id)
            record.state = ContainerState(
                status="running", pid=int(str(state.get("pid") or 0)),
                started_at=str(state.get("started_at") or now_rfc3339()))
            record.has_been_started = True
            self._save(record)
            await self._reattach(record)
            return
        if shim is not None:  # launched, never started: nothing of it is wanted
            await self._deps.shims.destroy(container_dir)
        if shim is not None or self._has_leftovers(record.id):
            await asyncio.to_thread(self._destroy_leftovers, record.id)
        if record.has_been_started:
            with contextlib.suppress(Exception):  # a mount left by a crash
                self._deps.rootfs.unmount(record.id)

    def _has_leftovers(self, container_id: str) -> bool:
        return (self._deps.paths.runtime_root / container_id).exists() or \
            self._deps.cgroups.exists(cc.cgroups_path(container_id))

    async def _remove_orphans(self) -> None:
        """Kill and remove everything of containers that have no record."""
        known = {record.id for record in self._registry}
        paths = self._deps.paths
        found: set[str] = set()
        for parent in (paths.data_root / "containers", paths.runtime_root):
            with contextlib.suppress(FileNotFoundError):
                found.update(p.name for p in parent.iterdir() if _CONTAINER_ID.match(p.name))
        for container_id in sorted(found - known):
            log.warning("removing container %s: it has no record (a crash during create "
                        "or removal)", container_id)
            await self._deps.shims.destroy(paths.container_dir(container_id))
            await asyncio.to_thread(self._remove_orphan_files, container_id)
        swept = await asyncio.to_thread(self._deps.rootfs.remove_orphans, known)
        for snapshot in swept:
            log.warning("removed the filesystem of unknown container %s", snapshot)

    def _remove_orphan_files(self, container_id: str) -> None:
        if self._has_leftovers(container_id):
            self._destroy_leftovers(container_id)
        with contextlib.suppress(Exception):
            self._deps.rootfs.unmount(container_id)
        try:
            self._deps.rootfs.remove(container_id)
        except Exception as err:
            log.warning("removing the filesystem of %s: %s", container_id, err)
        shutil.rmtree(self._deps.paths.container_dir(container_id), ignore_errors=True)

    # ---- stop of the daemon -------------------------------------------------------------
    async def stop_all(self, concurrency: int = STOP_ALL_CONCURRENCY) -> None:
        """Stop every running container, each with its stop signal and timeout, at most
        ``concurrency`` at a time (the daemon's shutdown without live-restore)."""
        self._shutting_down = True
        await self._cancel_all_restarts()
        gate = asyncio.Semaphore(concurrency)

        async def stop(record: ContainerRecord) -> None:
            async with gate:
                stop_signal = cc.parse_signal(record.config.get("StopSignal"))
                timeout = record.config.get("StopTimeout")
                timeout = cc.DEFAULT_STOP_TIMEOUT if timeout is None else int(timeout)
                try:
                    await self._stop_running(record, stop_signal, timeout)
                except Exception as err:
                    log.warning("stopping %s at shutdown: %s", record.id, err)
                    return
                self._emit(record, "stop")

        await asyncio.gather(*(stop(r) for r in self.all() if r.state.running))

    async def shutdown(self) -> None:
        """Stop watching (the containers still running keep running under their shims)."""
        self._shutting_down = True
        await self._cancel_all_restarts()
        for container_id in list(self._live):
            self._notify_stopped(container_id)
        if self._deps.networking is not None:
            await self._deps.networking.drain()
        tasks = [live.watcher for live in self._live.values() if live.watcher]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
