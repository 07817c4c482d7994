"""CVE-2024-21626 class: no host fd reaches a container process, and its cwd is always
inside the container's root (init and exec).

The test process leaks a host directory fd on purpose (inheritable, as a careless caller
might); the container must not see it in /proc/self/fd nor be able to enter it as its cwd
through ``/proc/self/fd/<n>``."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from wharf.runtime import oci
from wharf.runtime.oci.errors import RuntimeCreateError

from .bundles import docker_config
from .helpers import run_captured, stdio_to, wait_exit

MakeBundle = Callable[[dict[str, Any]], Path]
BREAKOUT = "possible container breakout detected"
LIST_FDS = "ls /proc/$$/fd; echo --; pwd; cat wharf-marker 2>&1"  # (no pipe: sh's own fd)


def fds_and_rest(output: str) -> tuple[list[str], list[str]]:
    """(the fds the container's shell had, the lines after: pwd, the marker file)."""
    fds, _, rest = output.partition("--\n")
    return fds.split(), rest.splitlines()


@pytest.fixture
def leaked_fd(tmp_path: Path) -> Iterator[int]:
    """An inheritable fd of a host directory (holding a file the container must not see)."""
    host_dir = tmp_path / "host-secret-dir"
    host_dir.mkdir()
    (host_dir / "wharf-marker").write_text("HOST\n")
    fd = os.open(host_dir, os.O_RDONLY | os.O_DIRECTORY)
    os.set_inheritable(fd, True)
    yield fd
    os.close(fd)


def bundle_for(make_bundle: MakeBundle, container_id: str, args: list[str],
               cwd: str = "/") -> Path:
    config = docker_config(args, container_id)
    config["process"]["cwd"] = cwd
    bundle = make_bundle(config)
    rootfs = bundle / "rootfs"
    (rootfs / "etc/wharf-marker").write_text("CONTAINER\n")
    (rootfs / "escape").symlink_to("../../../../../../../..")
    (rootfs / "abs").symlink_to("/")
    return bundle


def exec_captured(state_root: Path, container_id: str, process: dict[str, Any]) -> str:
    with tempfile.NamedTemporaryFile(prefix="wharf-exec-") as out:
        with stdio_to(Path(out.name)):
            code = oci.exec_process(state_root, container_id, process, detach=False)
        return f"{Path(out.name).read_text()}exit={code}"


def exec_process(args: list[str], cwd: str = "/") -> dict[str, Any]:
    return {"args": args, "env": ["PATH=/bin:/usr/bin"], "cwd": cwd,
            "user": {"uid": 0, "gid": 0}}


@pytest.fixture
def running(make_bundle: MakeBundle, state_root: Path, container_id: str) -> Iterator[int]:
    bundle = bundle_for(make_bundle, container_id, ["sleep", "30"])
    with tempfile.NamedTemporaryFile(prefix="wharf-out-") as out:
        with stdio_to(Path(out.name)):
            pid = oci.run(state_root, container_id, bundle)
        yield pid
        oci.kill(state_root, container_id, 9)
        wait_exit(pid)


def test_init_has_only_stdio(make_bundle: MakeBundle, state_root: Path, container_id: str,
                             leaked_fd: int) -> None:
    bundle = bundle_for(make_bundle, container_id, ["sh", "-c", LIST_FDS])
    result = run_captured(state_root, container_id, bundle)
    assert fds_and_rest(result.output)[0] == ["0", "1", "2"], result.output


def test_init_keeps_preserved_fds(make_bundle: MakeBundle, state_root: Path,
                                  container_id: str) -> None:
    """``--preserve-fds 1``: fd 3 of the caller (a shell gives it one) reaches the container."""
    bundle = bundle_for(make_bundle, container_id, ["sh", "-c", LIST_FDS])
    runtime = shlex.join([sys.executable, "-m", "wharf.runtime.oci.main", "--root",
                          str(state_root), "run", "--preserve-fds", "1", "--bundle",
                          str(bundle), container_id])
    result = subprocess.run(["sh", "-c", f"exec 3</dev/null 4</dev/null; exec {runtime}"],
                            capture_output=True, text=True, timeout=30, check=False)
    assert fds_and_rest(result.stdout)[0] == ["0", "1", "2", "3"], result


def test_exec_has_only_stdio(running: int, state_root: Path, container_id: str,
                             leaked_fd: int) -> None:
    output = exec_captured(state_root, container_id, exec_process(["sh", "-c", LIST_FDS]))
    assert fds_and_rest(output)[0] == ["0", "1", "2"], output


def proc_fd_cwds(leaked_fd: int) -> list[str]:
    return [f"/proc/self/fd/{n}" for n in range(3, leaked_fd + 2)] + \
        [f"/proc/1/fd/{leaked_fd}", f"/proc/self/cwd/../proc/self/fd/{leaked_fd}"]


def test_init_cwd_through_proc_fd_is_refused(make_bundle: MakeBundle, state_root: Path,
                                             container_id: str, leaked_fd: int) -> None:
    for index, cwd in enumerate(proc_fd_cwds(leaked_fd)):
        name = f"{container_id}-{index}"
        bundle = bundle_for(make_bundle, name, ["sh", "-c", LIST_FDS], cwd=cwd)
        try:
            result = run_captured(state_root, name, bundle)
        except RuntimeCreateError as exc:
            assert f'chdir to cwd ("{cwd}") set in config.json failed' in exc.message or \
                BREAKOUT in exc.message, exc.message
            continue
        assert "HOST" not in result.output, (cwd, result.output)


def test_exec_cwd_through_proc_fd_is_refused(running: int, state_root: Path,
                                             container_id: str, leaked_fd: int) -> None:
    for cwd in proc_fd_cwds(leaked_fd):
        with pytest.raises(RuntimeCreateError, match=f"chdir to cwd|{BREAKOUT}"):
            exec_captured(state_root, container_id,
                          exec_process(["sh", "-c", LIST_FDS], cwd=cwd))


@pytest.mark.parametrize("cwd", ["/escape/etc", "/abs/etc", "/etc/../../../etc"])
def test_init_cwd_through_symlinks_stays_inside(make_bundle: MakeBundle, state_root: Path,
                                                container_id: str, cwd: str) -> None:
    bundle = bundle_for(make_bundle, container_id, ["sh", "-c", LIST_FDS], cwd=cwd)
    result = run_captured(state_root, container_id, bundle)
    assert fds_and_rest(result.output)[1][:2] == ["/etc", "CONTAINER"], result.output


@pytest.mark.parametrize("cwd", ["/escape/etc", "/abs/etc"])
def test_exec_cwd_through_symlinks_stays_inside(running: int, state_root: Path,
                                                container_id: str, cwd: str) -> None:
    output = exec_captured(state_root, container_id,
                           exec_process(["sh", "-c", LIST_FDS], cwd=cwd))
    assert fds_and_rest(output)[1][:2] == ["/etc", "CONTAINER"], output


def test_preserved_host_directory_as_cwd_is_refused(make_bundle: MakeBundle, state_root: Path,
                                                    container_id: str, tmp_path: Path) -> None:
    """A preserved fd is the caller's choice, but entering it as the cwd would leave the
    root: the kernel's own answer (getcwd) refuses it."""
    host_dir = tmp_path / "host-secret-dir"
    host_dir.mkdir()
    bundle = bundle_for(make_bundle, container_id, ["sh", "-c", LIST_FDS],
                        cwd="/proc/self/fd/3")
    runtime = shlex.join([sys.executable, "-m", "wharf.runtime.oci.main", "--root",
                          str(state_root), "run", "--preserve-fds", "1", "--bundle",
                          str(bundle), container_id])
    result = subprocess.run(["sh", "-c", f"exec 3<{shlex.quote(str(host_dir))}; exec {runtime}"],
                            capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode != 0
    assert BREAKOUT in result.stdout + result.stderr, result
