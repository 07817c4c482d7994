"""CVE-2019-5736 class: no process of the runtime, nor a container that reaches one through
``/proc/<pid>/exe`` or ``/proc/self/exe``, can write the host's interpreter.

The probe image holds the host's dynamic loader, the interpreter's libraries and the
``encodings`` package, so ``/proc/self/exe`` really runs the binary it reaches inside the
container, which then tries to open that binary for writing. Unprotected, the binary is the
host's /usr/bin/python3.11 and the open fails only with ETXTBSY ("busy": it is running right
now, and would be writable once it is not); protected, it fails with EROFS (the private
read-only overlay) or EPERM (the sealed memfd).
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wharf.runtime.oci.sealedexe import interpreter_path, is_sealed

from .bundles import docker_config
from .helpers import wharf_runtime, wharf_runtime_detached

MakeBundle = Callable[[dict[str, Any]], Path]
SEALED_ERRNOS = (errno.EROFS, errno.EPERM)
PROBE = ("import os\n"
         "try:\n"
         "    os.close(os.open('/proc/self/exe', os.O_WRONLY))\n"
         "    print('PROBE opened for writing')\n"
         "except OSError as e:\n"
         "    print('PROBE errno', e.errno)\n")
PROBE_ENV = ["PATH=/bin:/usr/bin", "PYTHONHOME=/usr", "PYTHONDONTWRITEBYTECODE=1"]


def _libraries(binary: Path) -> list[Path]:
    """The loader and shared libraries ``binary`` needs (from ldd)."""
    out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=True)
    return [Path(p) for p in re.findall(r"(/\S+) \(0x", out.stdout)]


def add_host_interpreter_pieces(rootfs: Path) -> None:
    """Make the host interpreter runnable in ``rootfs`` (loader, libraries, encodings) and
    add ``/probe``, a ``#!/proc/self/exe`` script."""
    for library in _libraries(interpreter_path()):
        target = rootfs / library.relative_to("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(library.resolve(), target)
    stdlib = Path(os.__file__).parent
    shutil.copytree(stdlib / "encodings", rootfs / stdlib.relative_to("/") / "encodings",
                    ignore=shutil.ignore_patterns("__pycache__"))
    probe = rootfs / "probe"
    probe.write_text("#!/proc/self/exe\n" + PROBE)
    probe.chmod(0o755)


@pytest.fixture
def probe_bundle(make_bundle: MakeBundle, container_id: str) -> Callable[[list[str]], Path]:
    def make(args: list[str]) -> Path:
        config = docker_config(args, container_id)
        config["process"]["env"] = PROBE_ENV
        bundle = make_bundle(config)
        add_host_interpreter_pieces(bundle / "rootfs")
        return bundle
    return make


def probe_result(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("PROBE")]
    assert lines, f"the probe did not run: {output!r}"
    return lines[-1]


def assert_write_refused(output: str) -> None:
    result = probe_result(output)
    assert result.startswith("PROBE errno"), result
    assert int(result.split()[-1]) in SEALED_ERRNOS, \
        f"{result}: the runtime's binary is only busy, not read-only"


def assert_exe_sealed(pid: int) -> None:
    """From the host, as root: /proc/<pid>/exe is not the host interpreter and cannot be
    opened for writing (EROFS/EPERM, not ETXTBSY)."""
    assert os.readlink(f"/proc/{pid}/exe") != str(interpreter_path())
    with pytest.raises(OSError) as caught:
        os.close(os.open(f"/proc/{pid}/exe", os.O_WRONLY))
    assert caught.value.errno in SEALED_ERRNOS, caught.value


def test_created_init_runs_from_a_sealed_interpreter(make_bundle: MakeBundle, state_root: Path,
                                                      container_id: str) -> None:
    bundle = make_bundle(docker_config(["true"], container_id))
    pid_file = state_root.parent / "init.pid"
    assert wharf_runtime_detached(state_root, "create", "--bundle", str(bundle),
                                  "--pid-file", str(pid_file), container_id) == 0
    init = int(pid_file.read_text())
    assert_exe_sealed(init)  # blocked before execve: still the runtime's Python


def _wait_until_sealed(pid: int, timeout: float = 10.0) -> None:
    """Until ``pid`` re-executed from the sealed interpreter (it starts from the venv's)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not is_sealed(f"/proc/{pid}/exe"):
        time.sleep(0.01)


def test_exec_runs_from_a_sealed_interpreter(make_bundle: MakeBundle, state_root: Path,
                                             container_id: str) -> None:
    """The exec'd process is a fork of the ``wharf-runtime exec`` process: its exe too."""
    bundle = make_bundle(docker_config(["sleep", "30"], container_id))
    assert wharf_runtime_detached(state_root, "run", "--detach", "--bundle", str(bundle),
                                  container_id) == 0
    command = [sys.executable, "-m", "wharf.runtime.oci.main", "--root", str(state_root),
               "exec", container_id, "sleep", "2"]
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as cli:
        try:
            _wait_until_sealed(cli.pid)
            assert_exe_sealed(cli.pid)
        finally:
            assert cli.wait(timeout=20) == 0


@pytest.mark.parametrize("args", [["/proc/self/exe", "-c", PROBE], ["/probe"]],
                         ids=["entrypoint", "shebang"])
def test_container_cannot_write_the_runtime_binary_as_init(
        probe_bundle: Callable[[list[str]], Path], state_root: Path, container_id: str,
        args: list[str]) -> None:
    bundle = probe_bundle(args)
    result = wharf_runtime(state_root, "run", "--bundle", str(bundle), container_id)
    assert_write_refused(result.stdout + result.stderr)


@pytest.mark.parametrize("args", [["/proc/self/exe", "-c", PROBE], ["/probe"]],
                         ids=["exec-binary", "exec-shebang"])
def test_container_cannot_write_the_runtime_binary_through_exec(
        probe_bundle: Callable[[list[str]], Path], state_root: Path, container_id: str,
        args: list[str]) -> None:
    bundle = probe_bundle(["sleep", "30"])
    assert wharf_runtime_detached(state_root, "run", "--detach", "--bundle", str(bundle),
                                  container_id) == 0
    process = state_root.parent / "process.json"
    process.write_text(json.dumps({"args": args, "env": PROBE_ENV, "cwd": "/",
                                   "user": {"uid": 0, "gid": 0}}))
    result = wharf_runtime(state_root, "exec", "--process", str(process), container_id)
    assert_write_refused(result.stdout + result.stderr)


def test_fork_server_runs_from_a_sealed_interpreter(tmp_path: Path) -> None:
    """Shims and the runtime children they fork inherit the fork server's exe."""
    socket_path = tmp_path / "forkserver.sock"
    with subprocess.Popen([sys.executable, "-m", "wharf.runtime.shim_forkserver",
                           str(socket_path)], stdin=subprocess.DEVNULL) as server:
        try:
            deadline = time.monotonic() + 20
            while not socket_path.exists() and time.monotonic() < deadline:
                assert server.poll() is None, "the fork server exited"
                time.sleep(0.02)
            assert socket_path.exists()
            assert_exe_sealed(server.pid)
        finally:
            server.kill()
            server.wait(timeout=10)


def test_reexec_keeps_the_venv_and_drops_its_marker() -> None:
    code = ("import os, sys\n"
            "from wharf.runtime.oci.sealedexe import SEALED_ENV, is_sealed, reexec_sealed\n"
            "reexec_sealed()\n"
            "print(is_sealed(), sys.prefix, sys.executable, SEALED_ENV in os.environ)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=30).stdout.split()
    assert out == ["True", sys.prefix, sys.executable, "False"]


def test_unsealed_process_is_recognised() -> None:
    assert not is_sealed()  # pytest itself runs the host interpreter
