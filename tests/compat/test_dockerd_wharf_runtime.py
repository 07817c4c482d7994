"""wharf-runtime keeps runc's command-line contract: a real dockerd runs containers with it.

One private dockerd (Debian's docker.io, no bridge, no iptables) serves every test of this
module; containerd-shim-runc-v2 drives ``wharf-runtime`` through create, start, state, exec,
pause/resume, update, ps, kill and delete, exactly as it drives runc.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemons import DOCKER_CLI, Daemon, dockerd_with_busybox
from wharf.runtime.cgroups import detect_layout

RUNTIME = Path(sys.executable).parent / "wharf-runtime"
RUN = ("run", "--runtime", "wharf", "--network", "none")

pytestmark = [
    pytest.mark.skipif(shutil.which("dockerd") is None, reason="dockerd (docker.io) not installed"),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
]


@pytest.fixture(scope="module")
def dockerd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    tmp = tmp_path_factory.mktemp("dockerd-wharf")
    with dockerd_with_busybox(tmp, {"wharf": str(RUNTIME)}) as daemon:
        yield daemon
    leftovers = [line for line in Path("/proc/self/mounts").read_text().splitlines()
                 if str(tmp) in line]
    assert not leftovers, f"mounts left behind: {leftovers}"


LAYOUT = detect_layout()
# (file, value) per cgroup version: a frozen container, a memory limit
FROZEN = {1: ("freezer.state", "FROZEN"), 2: ("cgroup.freeze", "1")}
MEMORY_LIMIT = {1: "memory.limit_in_bytes", 2: "memory.max"}


def host_cgroup(dockerd: Daemon, controller: str, container_id: str) -> Path:
    """The container's cgroup directory of ``controller`` (v1) or of the unified tree (v2)."""
    mount = LAYOUT.unified if LAYOUT.version == 2 else LAYOUT.hierarchies[controller]
    assert mount is not None
    return mount / dockerd.cgroup_parent / container_id


def memory_limit_inside() -> str:
    """The container's own memory limit file, as it sees /sys/fs/cgroup."""
    if LAYOUT.version == 2:
        return "/sys/fs/cgroup/memory.max"
    return "/sys/fs/cgroup/memory/memory.limit_in_bytes"


def runtime_state_dir(dockerd: Daemon, container_id: str) -> Path:
    """Where wharf-runtime keeps the container's state (containerd passes --root)."""
    exec_root = dockerd.data_root.parent / "exec"
    return exec_root / "runtime-runc" / "moby" / container_id


def test_run_prints_output(dockerd: Daemon) -> None:
    res = dockerd.docker(*RUN, "--rm", "busybox", "echo", "ok")
    assert res.stdout == b"ok\n"


def test_exit_code_is_reported(dockerd: Daemon) -> None:
    res = dockerd.docker(*RUN, "--rm", "busybox", "sh", "-c", "exit 5", check=False)
    assert res.returncode == 5, res.stderr


def test_missing_executable_maps_to_127(dockerd: Daemon) -> None:
    res = dockerd.docker(*RUN, "--rm", "busybox", "no-such-binary", check=False)
    assert res.returncode == 127, res.stderr
    assert b"executable file not found" in res.stderr


def test_detached_exec_pause_stop_rm(dockerd: Daemon) -> None:
    script = 'trap "exit 7" TERM; while :; do sleep 0.1; done'
    container_id = dockerd.docker(*RUN, "-d", "busybox", "sh", "-c", script).stdout.decode().strip()
    assert runtime_state_dir(dockerd, container_id).is_dir()

    res = dockerd.docker("exec", container_id, "sh", "-c", "echo from-exec; hostname")
    assert res.stdout == f"from-exec\n{container_id[:12]}\n".encode()
    assert dockerd.docker("exec", container_id, "sh", "-c", "exit 3", check=False).returncode == 3

    dockerd.docker("pause", container_id)
    frozen_file, frozen_value = FROZEN[LAYOUT.version]
    frozen = host_cgroup(dockerd, "freezer", container_id) / frozen_file
    assert frozen.read_text().strip() == frozen_value
    dockerd.docker("unpause", container_id)
    top = dockerd.docker("top", container_id).stdout.decode()
    assert "while" in top or "sleep" in top

    dockerd.docker("stop", "-t", "10", container_id)
    exit_code = dockerd.docker("inspect", "-f", "{{.State.ExitCode}}", container_id)
    assert exit_code.stdout.strip() == b"7"  # SIGTERM reached the container's trap
    dockerd.docker("rm", container_id)
    assert not runtime_state_dir(dockerd, container_id).exists()
    assert not host_cgroup(dockerd, "memory", container_id).exists()


def test_memory_limit_and_update(dockerd: Daemon) -> None:
    container_id = dockerd.docker(*RUN, "-d", "--memory", "64m", "busybox",
                                  "sleep", "60").stdout.decode().strip()
    try:
        inside = dockerd.docker("exec", container_id, "cat", memory_limit_inside())
        assert inside.stdout.strip() == str(64 << 20).encode()
        dockerd.docker("update", "--memory", "128m", "--memory-swap", "256m", container_id)
        limit = host_cgroup(dockerd, "memory", container_id) / MEMORY_LIMIT[LAYOUT.version]
        assert limit.read_text().strip() == str(128 << 20)
    finally:
        dockerd.docker("rm", "-f", container_id)


def run_in_terminal(dockerd: Daemon, *docker_args: str) -> subprocess.CompletedProcess[bytes]:
    """``docker`` run under ``script``, so the CLI has a terminal and asks for a PTY (the
    shim then hands the runtime a console socket)."""
    command = " ".join(shlex.quote(a) for a in (DOCKER_CLI, *docker_args))
    return subprocess.run(["script", "-qec", command, "/dev/null"], env=dockerd.docker_env(),
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=60)


@pytest.mark.skipif(shutil.which("script") is None, reason="script (util-linux) not installed")
def test_interactive_tty_through_console_socket(dockerd: Daemon) -> None:
    res = run_in_terminal(dockerd, *RUN, "--rm", "-it", "busybox", "sh", "-c",
                          "tty; echo hi; exit 4")
    assert res.returncode == 4, res.stdout
    assert b"/dev/pts/0\r\nhi\r\n" in res.stdout

    container_id = dockerd.docker(*RUN, "-d", "busybox", "sleep", "60").stdout.decode().strip()
    try:
        res = run_in_terminal(dockerd, "exec", "-it", container_id, "sh", "-c", "tty; exit 2")
        assert res.returncode == 2, res.stdout
        assert b"/dev/pts/" in res.stdout
    finally:
        dockerd.docker("rm", "-f", container_id)


@pytest.mark.parametrize("runtime", ["wharf", "runc"])
def test_tty_output_through_console_socket_keeps_onlcr(dockerd: Daemon, runtime: str) -> None:
    """Through containerd's console socket the container's pty keeps ONLCR, with runc as
    with wharf-runtime: "hi\r\n" for ``run -t`` and ``exec -t`` (what wharfd serves too)."""
    run = ("run", "--runtime", runtime, "--network", "none")
    assert dockerd.docker(*run, "--rm", "-t", "busybox", "echo", "hi").stdout == b"hi\r\n"
    container_id = dockerd.docker(*run, "-d", "busybox", "sleep", "60").stdout.decode().strip()
    try:
        assert dockerd.docker("exec", "-t", container_id, "echo", "hi").stdout == b"hi\r\n"
    finally:
        dockerd.docker("rm", "-f", container_id)


def test_oom_kill_is_reported(dockerd: Daemon) -> None:
    container_id = dockerd.docker("create", *RUN[1:], "--memory", "16m", "--memory-swap", "16m",
                                  "busybox", "sh", "-c", "head -c 64m /dev/zero | tail")
    name = container_id.stdout.decode().strip()
    try:
        assert dockerd.docker("start", "-a", name, check=False).returncode == 137
        state = dockerd.docker("inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}}", name)
        assert state.stdout.strip() == b"true 137"
    finally:
        dockerd.docker("rm", "-f", name)


def test_non_root_user_starts_under_a_umask(dockerd: Daemon) -> None:
    """The exec fifo stays writable for the init after it switched to an unprivileged user
    (Docker gives a non-root user no effective capabilities), whatever the shim's umask."""
    res = dockerd.docker(*RUN, "--rm", "--user", "1000:1000", "busybox", "id")
    assert res.stdout.startswith(b"uid=1000 gid=1000")
