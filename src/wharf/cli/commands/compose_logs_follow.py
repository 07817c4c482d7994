"""The log streams of ``compose logs``: a thread per container; with ``-f``, the project's
``start`` events bring the streams of containers that start (again) while following, and the
command waits out a container its restart policy is restarting, as compose's watcher does."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from wharf.cli.command import Context
from wharf.cli.commands.compose_logs import LinePrinter, log_stream, split_lines, split_stamp
from wharf.cli.commands.compose_ops_target import Target
from wharf.cli.flags import Parsed
from wharf.client.transport import ConnectionFailed, StreamTruncated
from wharf.compose.labels import NUMBER, ONEOFF, PROJECT, SERVICE
from wharf.core.errors import NotFound, WharfError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

POLL = 0.2  # seconds between looks at the streams (lets Ctrl-C through)
RECHECK = 1.0  # seconds between looks at containers waiting to be restarted


class Followers:
    """The streams being shown, by container id (thread safe)."""

    def __init__(self, ctx: Context, target: Target, opts: Parsed, printer: LinePrinter):
        self.ctx, self.target, self.opts, self.printer = ctx, target, opts, printer
        self.lock = threading.Lock()
        self.threads: dict[str, threading.Thread] = {}
        self.names: dict[str, str] = {}
        self.starts: set[str] = set()  # a start not yet followed
        self.shown: dict[str, int] = {}  # the stamp of the last line shown of a container
        self.pending: set[str] = set()  # ended while their restart policy restarts them
        self.errors: list[Exception] = []

    def add(self, ident: str, name: str, started: bool = False) -> None:
        """Follow ``ident`` (again when ``started``: a start event met it)."""
        self.printer.register(name)
        with self.lock:
            self.names[ident] = name
            current = self.threads.get(ident)
            if current is not None and current.is_alive():
                if started:
                    self.starts.add(ident)
                return
            self._spawn(ident)

    def _spawn(self, ident: str) -> None:
        """Start following ``ident`` after the last line shown of it (``self.lock`` held)."""
        self.starts.discard(ident)
        self.pending.discard(ident)
        thread = threading.Thread(target=self._follow, args=(ident, self.shown.get(ident, 0)),
                                  daemon=True)
        self.threads[ident] = thread
        thread.start()

    def _follow(self, ident: str, after: int) -> None:
        try:
            self._show(ident, log_stream(self.ctx, ident, self.opts, after))
        except NotFound:
            return  # removed meanwhile (compose down): nothing more to show of it
        except (WharfError, ConnectionFailed, StreamTruncated) as exc:
            self.errors.append(exc)
            return
        restarting = bool(self.opts["follow"]) and self._restarting(ident)
        with self.lock:
            if ident in self.starts:
                self._spawn(ident)
            elif restarting:
                self.pending.add(ident)

    def _show(self, ident: str, payloads: Iterable[bytes]) -> None:
        name, stamped = self.names[ident], bool(self.opts["timestamps"])
        if not self.opts["follow"]:
            self.printer.copy(name, payloads)
            return
        for line in split_lines(payloads):
            moment, text = split_stamp(line)
            if moment and moment <= self.shown.get(ident, 0):
                continue  # shown by the stream before (since is inclusive)
            self.shown[ident] = moment or self.shown.get(ident, 0)
            self.printer.write(name, [line if stamped else text])

    def _restarting(self, ident: str) -> bool:
        try:
            state = self.ctx.client().containers.inspect(ident).get("State") or {}
        except WharfError:
            return False
        return bool(state.get("Restarting"))

    def watch_starts(self, since: float) -> None:
        """Follow the project's containers that start from ``since`` on (a daemon thread)."""
        filters = {"type": ["container"], "event": ["start"],
                   "label": [f"{PROJECT}={self.target.name}"]}
        threading.Thread(target=self._watch, args=(f"{since:.9f}", filters),
                         daemon=True).start()

    def _watch(self, since: str, filters: dict[str, list[str]]) -> None:
        try:
            for event in self.ctx.client().system.events(since=since, filters=filters):
                self._on_start(event)
        except (WharfError, ConnectionFailed, StreamTruncated):
            return  # no more starts to follow; the streams already open go on

    def _on_start(self, event: Mapping[str, Any]) -> None:
        actor = event.get("Actor") or {}
        ident = str(actor.get("ID") or event.get("id") or "")
        attributes = actor.get("Attributes") or {}
        if not ident or not self._wanted(ident, attributes):
            return
        name = self.names.get(ident) or _short(str(attributes.get("name", ident)),
                                                 self.target.name)
        self.add(ident, name, started=True)

    def _wanted(self, ident: str, attributes: Mapping[str, Any]) -> bool:
        if ident in self.names:
            return True
        if str(attributes.get(ONEOFF, "False")) == "True":
            return False
        if self.target.services and attributes.get(SERVICE) not in self.target.services:
            return False
        index = int(self.opts["index"])
        return not index or str(attributes.get(NUMBER)) == str(index)

    def wait(self) -> None:
        """Until no stream is open and no container is being restarted."""
        checked = time.monotonic()
        while True:
            with self.lock:
                alive = [t for t in self.threads.values() if t.is_alive()]
                pending = set(self.pending)
            if not alive and not pending:
                return
            if alive:
                alive[0].join(POLL)
            else:
                time.sleep(POLL)
            if pending and time.monotonic() - checked > RECHECK:
                checked = time.monotonic()
                self._recheck(pending)

    def _recheck(self, pending: set[str]) -> None:
        gone = {ident for ident in pending if not self._restarting(ident)}
        with self.lock:
            self.pending -= gone


def _short(name: str, project: str) -> str:
    return name[len(project) + 1:] if name.startswith(f"{project}-") else name
