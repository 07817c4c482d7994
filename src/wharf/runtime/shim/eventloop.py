"""A tiny level-triggered event loop on ``selectors``, with SIGCHLD delivered as an event.

The owner says, each turn, which fds it wants to read or write (``set_interest``); the loop
registers, modifies and unregisters to match, so back-pressure is simply not asking to read.
SIGCHLD arrives through the signal wake-up fd; ``reap`` then collects every exited child.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
from collections.abc import Callable

__all__ = ["READ", "WRITE", "EventLoop", "Handler"]

READ = selectors.EVENT_READ
WRITE = selectors.EVENT_WRITE
Handler = Callable[[int], None]


class EventLoop:
    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        self._masks: dict[int, int] = {}
        self._handlers: dict[int, Handler] = {}
        self._wake_r, self._wake_w = os.pipe()

    @property
    def wake_fd(self) -> int:
        """Readable when a signal (SIGCHLD) arrived; read it with :meth:`drain_wakeups`."""
        return self._wake_r

    def catch_sigchld(self) -> None:
        for fd in (self._wake_r, self._wake_w):
            os.set_blocking(fd, False)
        signal.signal(signal.SIGCHLD, lambda _signum, _frame: None)
        signal.set_wakeup_fd(self._wake_w)

    def drain_wakeups(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while os.read(self._wake_r, 512):
                pass

    def on(self, fd: int, handler: Handler) -> None:
        """Call ``handler(mask)`` when ``fd`` is ready for what its interest asks."""
        self._handlers[fd] = handler

    def forget(self, fd: int) -> None:
        """Stop watching ``fd`` (before closing it)."""
        if self._masks.pop(fd, None) is not None:
            self._selector.unregister(fd)
        self._handlers.pop(fd, None)

    def set_interest(self, wanted: dict[int, int]) -> None:
        for fd in list(self._masks):
            if fd not in wanted:
                self._selector.unregister(fd)
                del self._masks[fd]
        for fd, mask in wanted.items():
            if fd not in self._masks:
                self._selector.register(fd, mask)
            elif self._masks[fd] != mask:
                self._selector.modify(fd, mask)
            self._masks[fd] = mask

    def poll(self, timeout: float | None) -> None:
        """Wait for events (at most ``timeout`` seconds) and run their handlers."""
        for key, mask in self._selector.select(timeout):
            handler = self._handlers.get(key.fd)
            if handler is not None:
                handler(mask)

    def close(self) -> None:
        signal.set_wakeup_fd(-1)
        self._selector.close()
        os.close(self._wake_r)
        os.close(self._wake_w)


def reap_children(limit: int = 100_000) -> list[tuple[int, int]]:
    """Every exited child as ``(pid, wait status)``, without blocking."""
    reaped: list[tuple[int, int]] = []
    for _ in range(limit):
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        reaped.append((pid, status))
    return reaped
