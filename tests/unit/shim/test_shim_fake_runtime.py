"""The shim with a scripted runc-compatible runtime: no root, no namespaces, same protocol."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

import pytest

from wharf.core.errors import RuntimeFailure
from wharf.runtime.shim_client import ShimClient, ShimConfig, ShimLauncher, ShimStream

T = TypeVar("T")
FAKE = Path(__file__).with_name("fake_runtime.py")


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(asyncio.wait_for(coro, 20))  # type: ignore[arg-type]


@pytest.fixture
def runtime_binary(tmp_path: Path) -> str:
    wrapper = tmp_path / "fake-runc"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


class Box:
    """A 'container' directory whose process runs on the host through the fake runtime."""

    def __init__(self, root: Path, runtime: str, args: list[str], *, tty: bool = False,
                 open_stdin: bool = False, stdin_once: bool = False, name: str = "c") -> None:
        self.dir = root / name
        self.dir.mkdir()
        process = {"args": args, "env": [f"PATH={os.environ.get('PATH', '/bin:/usr/bin')}"],
                   "cwd": "/", "terminal": tty}
        (self.dir / "config.json").write_text(json.dumps({"process": process}))
        self.config = ShimConfig(id="box", bundle=self.dir, runtime=runtime,
                                 runtime_root=root / "state", tty=tty, open_stdin=open_stdin,
                                 stdin_once=stdin_once, log_path=self.dir / "box-json.log")

    def log(self) -> list[tuple[str, str]]:
        lines = self.config.log_path.read_text().splitlines()
        return [(e["stream"], e["log"]) for e in map(json.loads, lines)]

    def shim_gone(self) -> bool:
        deadline = time.monotonic() + 10
        pid = int((self.dir / "shim.pid").read_text())
        while time.monotonic() < deadline:
            try:
                if "State:\tZ" in Path(f"/proc/{pid}/status").read_text():
                    return True
            except OSError:
                return True
            time.sleep(0.02)
        return False


async def collect(stream: ShimStream) -> tuple[bytes, bytes, int | None]:
    out, err, code = b"", b"", None
    while (frame := await stream.read_frame()) is not None:
        if frame[0] == 1:
            out += frame[1]
        elif frame[0] == 2:
            err += frame[1]
        elif frame[0] == 3:
            code = json.loads(frame[1])["exit_code"]
    return out, err, code


async def launched(box: Box) -> ShimClient:
    return await ShimLauncher().launch(box.config)


def test_output_log_exit_and_shim_exit(tmp_path: Path, runtime_binary: str) -> None:
    box = Box(tmp_path, runtime_binary, ["sh", "-c", "echo a; echo b >&2; exit 3"])

    async def scenario() -> None:
        client = await launched(box)
        stream = await client.attach(stdin=False, stdout=True, stderr=True)
        assert (await client.state())["status"] == "created"
        await client.start()
        assert await collect(stream) == (b"a\n", b"b\n", 3)
        assert (await client.wait()).exit_code == 3

    run(scenario())
    assert sorted(box.log()) == [("stderr", "b\n"), ("stdout", "a\n")]
    assert json.loads((box.dir / "exit.json").read_text())["exit_code"] == 3
    assert box.shim_gone() and not (box.dir / "shim.sock").exists()
    assert not (tmp_path / "state" / "box").exists()  # the runtime's delete ran


def test_stdin_once_and_kill(tmp_path: Path, runtime_binary: str) -> None:
    box = Box(tmp_path, runtime_binary, ["cat"], open_stdin=True, stdin_once=True)

    async def scenario() -> None:
        client = await launched(box)
        stream = await client.attach(stdin=True, stdout=True, stderr=False)
        await client.start()
        await stream.write(b"echo me\n")
        await stream.close_stdin()
        assert await collect(stream) == (b"echo me\n", b"", 0)

    run(scenario())
    sleeper = Box(tmp_path, runtime_binary, ["sleep", "100"], name="sleeper")

    async def kill_scenario() -> None:
        client = await launched(sleeper)
        await client.start()
        await client.kill(9)
        assert (await client.wait()).exit_code == 137

    run(kill_scenario())


def test_tty_and_exec(tmp_path: Path, runtime_binary: str) -> None:
    box = Box(tmp_path, runtime_binary, ["sh", "-c", "read x; echo got:$x"], tty=True,
              open_stdin=True)

    async def scenario() -> None:
        client = await launched(box)
        stream = await client.attach(stdin=True, stdout=True, stderr=True)
        await client.start()
        exec_stream = await client.exec("e", {"args": ["sh", "-c", "echo in-exec; exit 4"]},
                                        tty=False, stdin=False)
        assert await collect(exec_stream) == (b"in-exec\n", b"", 4)
        with pytest.raises(RuntimeFailure, match='exec: "nope": executable file not found'):
            await client.exec("n", {"args": ["nope"]}, tty=False, stdin=False)
        await client.resize(10, 20)
        await stream.write(b"hi\n")
        out, _err, code = await collect(stream)
        assert b"hi\r\n" in out and b"got:hi\r\n" in out and code == 0

    run(scenario())


def test_failed_create(tmp_path: Path, runtime_binary: str) -> None:
    box = Box(tmp_path, runtime_binary, ["no-such-program"])

    async def scenario() -> None:
        client = await launched(box)
        with pytest.raises(RuntimeFailure, match="runc create failed: exec: \"no-such-program\""):
            await client.start()
        assert (await client.wait()).exit_code == 128

    run(scenario())
