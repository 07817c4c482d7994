"""Running a container from a test with its stdio captured in a file."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from wharf.runtime import oci

WAIT_TIMEOUT = 20.0


@contextlib.contextmanager
def stdio_to(path: Path) -> Iterator[None]:
    """Make fds 1 and 2 point at ``path`` (the init inherits them), then restore."""
    target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    saved = [os.dup(1), os.dup(2)]
    try:
        os.dup2(target, 1)
        os.dup2(target, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, target):
            os.close(fd)


def wait_exit(pid: int, timeout: float = WAIT_TIMEOUT) -> int:
    """Wait (bounded) for our child or reparented orphan ``pid``: exit code or 128+signal."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) \
                else 128 + os.WTERMSIG(status)
        time.sleep(0.01)
    raise TimeoutError(f"process {pid} did not exit")


@dataclass(frozen=True)
class Result:
    exit_code: int
    output: str


def create_captured(state_root: Path, container_id: str, bundle: Path, out: Path,
                    no_pivot: bool = False) -> int:
    with stdio_to(out):
        return oci.create(state_root, container_id, bundle, no_pivot=no_pivot)


def run_captured(state_root: Path, container_id: str, bundle: Path,
                 no_pivot: bool = False) -> Result:
    """create + start + wait + delete; returns the exit code and stdout+stderr."""
    with tempfile.NamedTemporaryFile(prefix="wharf-out-") as out:
        pid = create_captured(state_root, container_id, bundle, Path(out.name), no_pivot)
        oci.start(state_root, container_id)
        code = wait_exit(pid)
        oci.delete(state_root, container_id)
        return Result(code, Path(out.name).read_text())


def wharf_runtime(state_root: Path, *args: str, timeout: float = 30) -> \
        subprocess.CompletedProcess[str]:
    """``wharf-runtime --root <state_root> args...`` as a program, output captured."""
    return subprocess.run([sys.executable, "-m", "wharf.runtime.oci.main", "--root",
                           str(state_root), *args], capture_output=True, text=True,
                          timeout=timeout, check=False)


def wharf_runtime_detached(state_root: Path, *args: str) -> int:
    """For create / run --detach: the init keeps stdio, so give it a file, not our pipes."""
    with open(state_root.parent / "container-output", "a") as out:
        return subprocess.run([sys.executable, "-m", "wharf.runtime.oci.main", "--root",
                               str(state_root), *args], stdin=subprocess.DEVNULL, stdout=out,
                              stderr=out, timeout=30, check=False).returncode
