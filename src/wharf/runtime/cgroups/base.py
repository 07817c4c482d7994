"""The ``Cgroup`` Protocol both versions implement, and shared file helpers."""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path
from typing import Any, Protocol

REMOVE_ATTEMPTS = 50
REMOVE_DELAY = 0.02
FREEZE_TIMEOUT = 5.0


class Cgroup(Protocol):
    """One container's cgroup (in every v1 hierarchy, or the one v2 directory)."""

    path: str

    def create(self) -> None: ...
    def apply(self, resources: dict[str, Any]) -> None: ...
    def add(self, pid: int) -> None: ...
    def pids(self) -> list[int]: ...
    def freeze(self) -> None: ...
    def thaw(self) -> None: ...
    def frozen(self) -> bool: ...
    def oom_killed(self) -> bool: ...
    def memory_usage(self) -> int: ...
    def stats(self) -> dict[str, Any]: ...  # Docker's memory/cpu/pids/blkio stats sections
    def update(self, resources: dict[str, Any]) -> None: ...  # live, as ``runc update``
    def kill_all(self, signal: int) -> None: ...
    def remove(self) -> None: ...
    def mount_sources(self) -> dict[str, Path]: ...


def write_value(path: Path, value: str | int) -> None:
    """Write one value to a cgroup control file (no truncation semantics to rely on)."""
    with open(path, "w") as out:
        out.write(str(value))


def read_value(path: Path, default: str = "") -> str:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        return default


def read_keyed(path: Path) -> dict[str, int]:
    """``key value`` lines (memory.events, memory.oom_control) as a dict."""
    values: dict[str, int] = {}
    for line in read_value(path).splitlines():
        key, _, number = line.partition(" ")
        if number.strip().lstrip("-").isdigit():
            values[key] = int(number)
    return values


def read_pids(path: Path) -> list[int]:
    return [int(line) for line in read_value(path).split() if line.isdigit()]


def remove_tree(directory: Path) -> None:
    """rmdir a cgroup and its child cgroups, deepest first, retrying while the kernel
    still reports it busy (a bounded number of times). A cgroup without children (the usual
    case) is one rmdir: its control files are not looked at."""
    for attempt in range(REMOVE_ATTEMPTS):
        try:
            os.rmdir(directory)
            return
        except FileNotFoundError:
            return
        except OSError as exc:
            if exc.errno not in (errno.EBUSY, errno.EAGAIN, errno.ENOTEMPTY) \
                    or attempt == REMOVE_ATTEMPTS - 1:
                raise
            if attempt == 0 and _remove_children(directory):
                continue
            time.sleep(REMOVE_DELAY)


def _remove_children(directory: Path) -> bool:
    """Remove the child cgroups (directories) of ``directory``; False when it has none."""
    try:
        with os.scandir(directory) as entries:
            children = sorted((Path(e.path) for e in entries
                               if e.is_dir(follow_symlinks=False)), reverse=True)
    except FileNotFoundError:
        return False
    for child in children:
        remove_tree(child)
    return bool(children)


def wait_until(predicate: Any, timeout: float = FREEZE_TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return bool(predicate())


def kill_pids(pids: list[int], signal: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal)
        except ProcessLookupError:
            continue
