"""The shim end to end: start, attach, log, wait, kill, stdin, TTY, exec, exit status, cleanup."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

import pytest

from wharf.core.errors import RuntimeFailure
from wharf.runtime.shim_client import ShimLauncher, ShimStream, read_exit_status

from .conftest import ContainerFactory, cgroup_dirs, pid_alive

T = TypeVar("T")


def run(coro: Awaitable[T], timeout: float = 20) -> T:
    return asyncio.run(asyncio.wait_for(coro, timeout))  # type: ignore[arg-type]


async def collect(stream: ShimStream) -> tuple[bytes, bytes, int | None]:
    """All output of a stream until its end, and the exit code from its exit frame."""
    out, err, code = b"", b"", None
    while (frame := await stream.read_frame()) is not None:
        kind, payload = frame
        if kind == 1:
            out += payload
        elif kind == 2:
            err += payload
        elif kind == 3:
            code = json.loads(payload)["exit_code"]
    return out, err, code


async def read_until(stream: ShimStream, needle: bytes, limit: float = 10) -> bytes:
    seen = b""
    deadline = time.monotonic() + limit
    while needle not in seen and time.monotonic() < deadline:
        frame = await asyncio.wait_for(stream.read_frame(), limit)
        if frame is None:
            break
        seen += frame[1]
    return seen


def test_attach_before_start_log_wait_and_cleanup(
    make_container: ContainerFactory, launcher: ShimLauncher
) -> None:
    c = make_container(["sh", "-c", "echo hello; echo oops >&2; exit 3"])

    async def scenario() -> None:
        client = await launcher.launch(c.config)
        stream = await client.attach(stdin=False, stdout=True, stderr=True)
        pid = await client.start()
        assert pid > 0
        out, err, code = await collect(stream)
        assert (out, err, code) == (b"hello\n", b"oops\n", 3)
        status = await client.wait()
        assert status.exit_code == 3 and status.pid == pid and not status.oom_killed
        assert status.started_at <= status.finished_at

    run(scenario())
    logged = {(e["stream"], e["log"]) for e in c.log_entries}
    assert logged == {("stdout", "hello\n"), ("stderr", "oops\n")}
    exit_record = json.loads((c.dir / "exit.json").read_text())
    assert exit_record["exit_code"] == 3
    _assert_no_leftovers(c.dir, c.config.runtime_root, f"{c.cgroup_parent}/{c.id}")


def _assert_no_leftovers(container_dir: Path, state_root: Path, cgroup: str) -> None:
    """Shim gone, socket gone, cgroup gone, runtime state of the container gone, no mounts."""
    shim_pid = int((container_dir / "shim.pid").read_text())
    deadline = time.monotonic() + 10
    while pid_alive(shim_pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not pid_alive(shim_pid), "shim still running after the container exited"
    assert not (container_dir / "shim.sock").exists()
    assert cgroup_dirs(cgroup) == []
    container_id = cgroup.rsplit("/", 1)[1]
    assert not (state_root / container_id).exists()
    mounts = Path("/proc/self/mountinfo").read_text()
    assert str(container_dir) not in mounts


def test_output_logged_without_attach_and_wait_after_shim_is_gone(
    make_container: ContainerFactory, launcher: ShimLauncher
) -> None:
    c = make_container(["sh", "-c", "for i in 1 2 3; do echo line$i; done; printf tail"])

    async def scenario() -> None:
        client = await launcher.launch(c.config)
        await client.start()
        assert (await client.wait()).exit_code == 0
        deadline = time.monotonic() + 10
        while await launcher.connect(c.dir) is not None and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert await launcher.connect(c.dir) is None
        assert (await client.wait()).exit_code == 0  # from exit.json

    run(scenario())
    assert [e["log"] for e in c.log_entries] == ["line1\n", "line2\n", "line3\n", "tail"]
    status = read_exit_status(c.dir)
    assert status is not None and status.exit_code == 0


def test_kill_gives_137_and_state(make_container: ContainerFactory, launcher: ShimLauncher) -> None:
    c = make_container(["sleep", "100"])

    async def scenario() -> None:
        client = await launcher.launch(c.config)
        assert (await client.state())["status"] == "created"
        pid = await client.start()
        state = await client.state()
        assert state["status"] == "running" and state["pid"] == pid
        assert state["exit_code"] is None
        await client.kill(9)
        status = await client.wait()
        assert status.exit_code == 137

    run(scenario())
    _assert_no_leftovers(c.dir, c.config.runtime_root, f"{c.cgroup_parent}/{c.id}")


def test_stdin_through_attach_and_half_close(
    make_container: ContainerFactory, launcher: ShimLauncher
) -> None:
    c = make_container(["cat"], open_stdin=True, stdin_once=True)

    async def scenario() -> None:
        client = await launcher.launch(c.config)
        stream = await client.attach(stdin=True, stdout=True, stderr=True)
        await client.start()
        await stream.write(b"ping\n")
        assert await read_until(stream, b"ping\n") == b"ping\n"
        await stream.write(b"last line\n")
        await stream.close_stdin()
        out, _err, code = await collect(stream)
        assert out == b"last line\n" and code == 0

    run(scenario())
    assert [e["log"] for e in c.log_entries] == ["ping\n", "last line\n"]


def test_tty_echo_and_resize(make_container: ContainerFactory, launcher: ShimLauncher) -> None:
    c = make_container(["sh", "-c", "read line; echo got:$line; stty size"], tty=True,
                       open_stdin=True, stdin_once=True)

    async def scenario() -> None:
        client = await launcher.launch(c.config)
        stream = await client.attach(stdin=True, stdout=True, stderr=True)
        await client.start()
        await client.resize(33, 111)
        await stream.write(b"hi\n")
        out, err, code = await collect(stream)
        assert err == b"" and code == 0
        assert b"hi\r\n" in out  # the terminal's echo
        assert b"got:hi\r\n" in out
        assert b"33 111" in out

    run(scenario())
    assert all(e["stream"] == "stdout" for e in c.log_entries)
    assert "got:hi\r\n" in [e["log"] for e in c.log_entries]


def _non_socket_fds(pid: int) -> list[str]:
    """What the process's fds point at, client connections left out (they close async)."""
    targets = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            targets.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except FileNotFoundError:
            continue
    return sorted(t for t in targets if not t.startswith("socket:"))


def test_exec_streams_output_and_exit_code(
    make_container: ContainerFactory, launcher: ShimLauncher
) -> None:
    c = make_container(["sleep", "100"])

    async def scenario() -> None:
        client = await launcher.launch(c.config)
        init_pid = await client.start()
        deadline = time.monotonic() + 5
        while os.readlink(f"/proc/{init_pid}/exe") != "/bin/busybox" and (
            time.monotonic() < deadline
        ):
            await asyncio.sleep(0.01)  # the runtime's init is still on its way to exec
        assert sorted(os.listdir(f"/proc/{init_pid}/fd")) == ["0", "1", "2"]  # nothing leaked in
        shim_fds = _non_socket_fds(c.shim_pid())
        process = {"args": ["sh", "-c", "read x; echo out:$x; echo err >&2; exit 7"],
                   "env": ["PATH=/bin:/usr/bin"], "cwd": "/", "user": {"uid": 0, "gid": 0}}
        stream = await client.exec("e1", process, tty=False, stdin=True)
        await stream.write(b"abc\n")
        await stream.close_stdin()
        assert await collect(stream) == (b"out:abc\n", b"err\n", 7)
        tty_process = dict(process, args=["tty"])
        stream = await client.exec("e2", tty_process, tty=True, stdin=False)
        out, _err, code = await collect(stream)
        assert out.startswith(b"/dev/pts/") and code == 0
        with pytest.raises(RuntimeFailure, match="executable file not found"):
            await client.exec("e3", dict(process, args=["nope"]), tty=False, stdin=False)
        stream = await client.exec("e4", {"args": ["grep", "CapEff", "/proc/self/status"]},
                                   tty=False, stdin=False)
        out, _err, code = await collect(stream)  # a terse exec has the container's caps
        assert out.split() == [b"CapEff:", b"00000000a80425fb"] and code == 0
        assert _non_socket_fds(c.shim_pid()) == shim_fds  # no pipe, pty or file left behind
        await client.kill(9)
        assert (await client.wait()).exit_code == 137

    run(scenario())
    assert c.log_entries == []  # exec output is not the container's log


def test_failed_start_reports_runtime_error(
    make_container: ContainerFactory, launcher: ShimLauncher
) -> None:
    c = make_container(["/no/such/binary"])

    async def scenario() -> None:
        client = await launcher.launch(c.config)
        stream = await client.attach(stdin=False, stdout=True, stderr=True)
        with pytest.raises(RuntimeFailure, match="no such file or directory"):
            await client.start()
        kinds = []
        while (frame := await stream.read_frame()) is not None:
            kinds.append(frame[0])
        assert kinds == [4, 3]
        assert (await client.wait()).exit_code == 128

    run(scenario())
    assert c.log_entries == []
    _assert_no_leftovers(c.dir, c.config.runtime_root, f"{c.cgroup_parent}/{c.id}")


def test_oom_killed(make_container: ContainerFactory, launcher: ShimLauncher) -> None:
    c = make_container(["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"],
                       memory=16 * 1024 * 1024, memory_swap=16 * 1024 * 1024)

    async def scenario() -> None:
        client = await launcher.launch(c.config)
        await client.start()
        status = await client.wait()
        assert status.exit_code == 137 and status.oom_killed

    run(scenario())


LAUNCH_AND_LEAVE = """
import asyncio, sys
from pathlib import Path
from wharf.runtime.shim_client import ShimConfig, ShimLauncher
async def main():
    config = ShimConfig.from_json(Path(sys.argv[1]).read_text())
    server = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    await ShimLauncher(server_socket=server).launch(config)
asyncio.run(main())
"""


def test_shim_survives_its_launcher(
    make_container: ContainerFactory, request: pytest.FixtureRequest
) -> None:
    c = make_container(["sh", "-c", "read x; echo $x"], open_stdin=True, stdin_once=True)
    (c.dir / "shim.json").write_text(c.config.to_json())
    for use_server in (False, True):
        extra = [str(request.getfixturevalue("shim_server"))] if use_server else []
        launcher = subprocess.Popen([sys.executable, "-c", LAUNCH_AND_LEAVE,
                                     str(c.dir / "shim.json"), *extra])
        assert launcher.wait(timeout=30) == 0  # it has exited; the shim it launched lives on
        shim_pid = c.shim_pid()
        assert pid_alive(shim_pid)
        assert os.getsid(shim_pid) != os.getsid(0)  # a session of its own
        ppid = int(Path(f"/proc/{shim_pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        # re-parented away from its launcher (to init, or to a subreaper such as this test
        # process when an earlier in-process runtime test made it one)
        assert ppid != launcher.pid

        async def scenario() -> None:
            client = await ShimLauncher().connect(c.dir)
            assert client is not None
            stream = await client.attach(stdin=True, stdout=True, stderr=False)
            await client.start()
            await stream.write(b"still here\n")
            out, _err, code = await collect(stream)
            assert out == b"still here\n" and code == 0

        run(scenario())
        deadline = time.monotonic() + 10
        while pid_alive(shim_pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        (c.dir / "exit.json").unlink()


def test_slow_reader_loses_nothing_and_attaches_are_independent(
    make_container: ContainerFactory, launcher: ShimLauncher
) -> None:
    total = 4 * 1024 * 1024  # more than the shim's high-water mark: the container is paused
    c = make_container(["sh", "-c", f"yes 0123456789abcdef | head -c {total}"])

    async def scenario() -> None:
        client = await launcher.launch(c.config)
        slow = await client.attach(stdin=False, stdout=True, stderr=False)
        fast = await client.attach(stdin=False, stdout=False, stderr=True)  # wants stderr only
        await client.start()
        await asyncio.sleep(0.5)  # nobody reads meanwhile
        assert (await client.state())["status"] == "running"  # held back by the slow reader
        out, _err, code = await collect(slow)
        assert len(out) == total and code == 0
        assert await collect(fast) == (b"", b"", 0)

    run(scenario(), timeout=60)
    assert sum(len(e["log"]) for e in c.log_entries) == total


def test_half_close_without_stdin_once_keeps_stdin_open(
    make_container: ContainerFactory, launcher: ShimLauncher
) -> None:
    c = make_container(["sh", "-c", "read a; echo a=$a; read b; echo b=$b"], open_stdin=True)

    async def scenario() -> None:
        client = await launcher.launch(c.config)
        first = await client.attach(stdin=True, stdout=True, stderr=False)
        await client.start()
        await first.write(b"1\n")
        assert await read_until(first, b"a=1\n") == b"a=1\n"
        await first.close_stdin()  # ends this attach's input only
        second = await client.attach(stdin=True, stdout=True, stderr=False)
        await second.write(b"2\n")
        out, _err, code = await collect(second)
        assert out == b"b=2\n" and code == 0

    run(scenario())


def test_exec_tty_resize_and_kill_all(make_container: ContainerFactory) -> None:
    c = make_container(["sleep", "100"])

    async def scenario() -> None:
        client = await ShimLauncher().launch(c.config)
        await client.start()
        process = {"args": ["sh", "-c", "read x; stty size"], "env": ["PATH=/bin"]}
        stream = await client.exec("sized", process, tty=True, stdin=True)
        await client.resize(40, 120, exec_id="sized")
        with pytest.raises(RuntimeFailure, match="no such exec"):
            await client.resize(1, 1, exec_id="other")
        await stream.write(b"\n")
        out, _err, code = await collect(stream)
        assert b"40 120" in out and code == 0
        background = await client.exec("bg", {"args": ["sleep", "100"]}, tty=False, stdin=False)
        await client.kill(9, all_processes=True)
        assert (await client.wait()).exit_code == 137
        assert (await collect(background))[2] == 137

    run(scenario())


def test_long_container_path(make_container: ContainerFactory, launcher: ShimLauncher) -> None:
    c = make_container(["sh", "-c", "echo deep"], tty=True, long_path=True)
    assert len(str(c.dir / "shim.sock")) > 108

    async def scenario() -> None:
        client = await launcher.launch(c.config)
        stream = await client.attach(stdin=False, stdout=True, stderr=True)
        await client.start()
        assert await collect(stream) == (b"deep\r\n", b"", 0)

    run(scenario())


def test_any_runc_compatible_binary(wharf_runtime_binary: ContainerFactory) -> None:
    """The CLI driver with another runtime than runc: wharf's own, as a binary."""
    c = wharf_runtime_binary(["sh", "-c", "echo from-cli; exit 5"])

    async def scenario() -> None:
        client = await ShimLauncher().launch(c.config)
        stream = await client.attach(stdin=False, stdout=True, stderr=True)
        await client.start()
        assert await collect(stream) == (b"from-cli\n", b"", 5)

    run(scenario())
    _assert_no_leftovers(c.dir, c.config.runtime_root, f"{c.cgroup_parent}/{c.id}")
    bad = wharf_runtime_binary(["sleep", "100"])

    async def exec_scenario() -> None:
        client = await ShimLauncher().launch(bad.config)
        await client.start()
        with pytest.raises(RuntimeFailure, match=r'exec: "nope": executable file not found'):
            await client.exec("x", {"args": ["nope"]}, tty=False, stdin=False)
        stream = await client.exec("y", {"args": ["sh", "-c", "exit 4"]}, tty=False, stdin=False)
        assert (await collect(stream))[2] == 4
        await client.kill(9)
        assert (await client.wait()).exit_code == 137

    run(exec_scenario())


def test_privileged_container_runs(make_container: ContainerFactory) -> None:
    c = make_container(["sh", "-c", "grep CapEff /proc/self/status; test -c /dev/full"],
                       privileged=True)

    async def scenario() -> None:
        client = await ShimLauncher().launch(c.config)
        stream = await client.attach(stdin=False, stdout=True, stderr=True)
        await client.start()
        out, err, code = await collect(stream)
        assert (err, code) == (b"", 0)
        bounding = Path("/proc/self/status").read_text().split("CapBnd:")[1].split()[0]
        assert out.split() == [b"CapEff:", bounding.encode()]  # every capability we can give

    run(scenario())
