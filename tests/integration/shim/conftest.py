"""Real containers (busybox rootfs, real runtime) driven through a real shim. Needs root."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from wharf.lib.bootstrap import build_busybox_rootfs
from wharf.runtime.shim_client import ShimConfig, ShimLauncher
from wharf.runtime.spec import SpecInput, build_spec

CGROUP_ROOT = Path("/sys/fs/cgroup")


def _wharf_runtime_ready() -> bool:
    try:
        import wharf.runtime.oci as oci
    except ImportError:
        return False
    return all(hasattr(oci, n) for n in ("create", "start", "kill", "delete", "exec_process"))


RUNTIMES = ["runc", pytest.param("wharf", marks=pytest.mark.skipif(
    not _wharf_runtime_ready(), reason="wharf.runtime.oci is not there yet"))]


@pytest.fixture(scope="session", autouse=True)
def _need_root() -> None:
    if os.geteuid() != 0 or shutil.which("runc") is None:
        pytest.skip("needs root and runc")


@pytest.fixture(scope="session")
def busybox_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("busybox")
    build_busybox_rootfs(path)
    return path


@pytest.fixture(scope="session")
def shim_server() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="wss-", dir="/tmp"))
    sock = directory / "server.sock"
    process = subprocess.Popen(
        [sys.executable, "-m", "wharf.runtime.shim_forkserver", str(sock)],
        stdin=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        for _ in range(200):
            if sock.exists():
                break
            time.sleep(0.02)
        yield sock
    finally:
        process.kill()
        process.wait(10)
        shutil.rmtree(directory, ignore_errors=True)


@dataclass
class Container:
    id: str
    dir: Path
    config: ShimConfig
    cgroup_parent: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def log_entries(self) -> list[dict[str, str]]:
        text = self.config.log_path.read_text() if self.config.log_path.exists() else ""
        return [json.loads(line) for line in text.splitlines()]

    def shim_pid(self) -> int:
        return int((self.dir / "shim.pid").read_text())


def _cgroup_dirs(relative: str) -> list[Path]:
    found = []
    for controller in CGROUP_ROOT.iterdir():
        candidate = controller / relative.strip("/")
        if candidate.exists():
            found.append(candidate)
    unified = CGROUP_ROOT / relative.strip("/")
    if (CGROUP_ROOT / "cgroup.controllers").exists() and unified.exists():
        found.append(unified)
    return found


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _is_our_shim(pid: int, container_dir: Path) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return b"wharf.runtime" in cmdline and "State:\tZ" not in status and (
        str(container_dir).encode() in cmdline or b"shimserver" in cmdline
    )


def _force_delete(runtime: str, c: Container) -> None:
    """Kill and delete the container in its runtime, if a failed test left it there."""
    if runtime != "wharf":
        subprocess.run([runtime, "--root", str(c.config.runtime_root), "delete", "--force", c.id],
                       capture_output=True, timeout=30, check=False)
        return
    import wharf.runtime.oci as oci

    with contextlib.suppress(Exception):
        oci.delete(c.config.runtime_root, c.id, force=True)


class ContainerFactory:
    def __init__(self, template: Path, runtime: str) -> None:
        self._template = template
        self.runtime = runtime
        self.made: list[Container] = []

    def __call__(self, args: list[str], *, tty: bool = False, open_stdin: bool = False,
                 stdin_once: bool = False, long_path: bool = False,
                 **spec_args: Any) -> Container:
        cid = "wt" + os.urandom(6).hex()
        root = Path(tempfile.mkdtemp(prefix="ws-", dir="/tmp"))
        container_dir = root / ("d" * 100 if long_path else "") / "c"  # > sun_path's 108 bytes
        container_dir.mkdir(parents=True)
        rootfs = container_dir / "rootfs"
        shutil.copytree(self._template, rootfs, symlinks=True)
        parent = f"wharf-test-{os.getpid()}"
        spec = build_spec(SpecInput(
            container_id=cid, rootfs=rootfs, args=args, hostname=cid[:12], tty=tty,
            open_stdin=open_stdin, cgroups_path=f"/{parent}/{cid}", **spec_args,
        ))
        (container_dir / "config.json").write_text(json.dumps(spec))
        config = ShimConfig(
            id=cid, bundle=container_dir, runtime=self.runtime, runtime_root=root / "state",
            tty=tty, open_stdin=open_stdin, stdin_once=stdin_once,
            log_path=container_dir / f"{cid}-json.log",
        )
        container = Container(cid, container_dir, config, parent)
        self.made.append(container)
        return container

    def cleanup(self) -> None:
        for c in self.made:
            with contextlib.suppress(OSError, ValueError):
                pid = c.shim_pid()
                if _is_our_shim(pid, c.dir):
                    os.kill(pid, signal.SIGKILL)
            _force_delete(self.runtime, c)
            for relative in (f"{c.cgroup_parent}/{c.id}", c.cgroup_parent):
                for path in _cgroup_dirs(relative):
                    with contextlib.suppress(OSError):
                        path.rmdir()
            shutil.rmtree(Path("/tmp") / c.dir.relative_to("/tmp").parts[0], ignore_errors=True)


@pytest.fixture(params=RUNTIMES)
def make_container(
    request: pytest.FixtureRequest, busybox_template: Path
) -> Iterator[ContainerFactory]:
    factory = ContainerFactory(busybox_template, request.param)
    try:
        yield factory
    finally:
        factory.cleanup()


@pytest.fixture
def wharf_runtime_binary(busybox_template: Path) -> Iterator[ContainerFactory]:
    """Containers run by wharf's runtime through its runc-compatible command line."""
    binary = Path(sys.executable).parent / "wharf-runtime"
    if not binary.exists() or not _wharf_runtime_ready():
        pytest.skip("wharf-runtime is not installed")
    factory = ContainerFactory(busybox_template, str(binary))
    try:
        yield factory
    finally:
        factory.cleanup()


@pytest.fixture(params=["spawn", "server"])
def launcher(request: pytest.FixtureRequest) -> ShimLauncher:
    if request.param == "server":
        return ShimLauncher(server_socket=request.getfixturevalue("shim_server"))
    return ShimLauncher()


def cgroup_dirs(relative: str) -> list[Path]:
    return _cgroup_dirs(relative)


def pid_alive(pid: int) -> bool:
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
