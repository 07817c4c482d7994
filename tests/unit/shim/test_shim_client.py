"""The asyncio client against a scripted shim (no root, no runtime)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from wharf.core.errors import RuntimeFailure
from wharf.runtime.shim.protocol import SOCKET_FILE, ShimConfig, encode_frame
from wharf.runtime.shim_client import ShimClient, ShimLauncher, read_exit_status

T = TypeVar("T")
Script = Callable[[dict[str, Any], asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(asyncio.wait_for(coro, 10))  # type: ignore[arg-type]


async def serve(directory: Path, script: Script) -> asyncio.AbstractServer:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = json.loads(await reader.readline())
        await script(request, reader, writer)
        writer.close()

    return await asyncio.start_unix_server(handle, str(directory / SOCKET_FILE))


def test_requests_replies_and_errors(tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []

    async def script(request: dict[str, Any], _r: Any, writer: asyncio.StreamWriter) -> None:
        seen.append(request)
        replies = {"start": {"error": 'exec: "x": executable file not found in $PATH'},
                   "state": {"status": "running", "pid": 42}, "kill": {"ok": True},
                   "resize": {"ok": True}}
        writer.write(json.dumps(replies[request["op"]]).encode() + b"\n")
        await writer.drain()

    async def scenario() -> None:
        server = await serve(tmp_path, script)
        client = ShimClient(tmp_path)
        with pytest.raises(RuntimeFailure, match="executable file not found"):
            await client.start()
        assert (await client.state())["pid"] == 42
        await client.kill(15, all_processes=True)
        await client.resize(24, 80, exec_id="e")
        server.close()

    run(scenario())
    assert seen[2] == {"op": "kill", "signal": 15, "all": True}
    assert seen[3] == {"op": "resize", "height": 24, "width": 80, "exec_id": "e"}


def test_attach_stream_frames_and_half_close(tmp_path: Path) -> None:
    received = bytearray()

    async def script(request: dict[str, Any], reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> None:
        assert request == {"op": "attach", "stdin": True, "stdout": True, "stderr": False}
        writer.write(b'{"ok": true}\n' + encode_frame(1, b"out"))
        received.extend(await reader.read())  # until the client's half-close
        writer.write(encode_frame(3, b'{"exit_code": 0}'))
        await writer.drain()

    async def scenario() -> None:
        server = await serve(tmp_path, script)
        stream = await ShimClient(tmp_path).attach(stdin=True, stdout=True, stderr=False)
        assert await stream.read_frame() == (1, b"out")
        await stream.write(b"input")
        await stream.close_stdin()
        assert await stream.read_frame() == (3, b'{"exit_code": 0}')
        assert await stream.read_frame() is None
        stream.close()
        server.close()

    run(scenario())
    assert received == b"input"


def test_exec_error_raises(tmp_path: Path) -> None:
    async def script(_request: dict[str, Any], _r: Any, writer: asyncio.StreamWriter) -> None:
        writer.write(b'{"error": "container abc is not running"}\n')
        await writer.drain()

    async def scenario() -> None:
        server = await serve(tmp_path, script)
        with pytest.raises(RuntimeFailure, match="not running"):
            await ShimClient(tmp_path).exec("e", {"args": ["ls"]}, tty=False, stdin=False)
        server.close()

    run(scenario())


def test_wait_falls_back_to_exit_json(tmp_path: Path) -> None:
    async def scenario() -> None:
        assert await ShimLauncher().connect(tmp_path) is None
        with pytest.raises(RuntimeFailure):
            await ShimClient(tmp_path).wait()
        (tmp_path / "exit.json").write_text(json.dumps({
            "exit_code": 137, "finished_at": "f", "oom_killed": True, "started_at": "s", "pid": 9,
        }))
        status = await ShimClient(tmp_path).wait()
        assert (status.exit_code, status.oom_killed, status.pid) == (137, True, 9)

    run(scenario())


def test_read_exit_status_rejects_damage(tmp_path: Path) -> None:
    assert read_exit_status(tmp_path) is None
    (tmp_path / "exit.json").write_text('{"exit_code": "x"}')
    assert read_exit_status(tmp_path) is None


def test_launch_reports_why_the_shim_failed(tmp_path: Path) -> None:
    config = ShimConfig(id="c", bundle=tmp_path, runtime="no-such-runtime-binary",
                        runtime_root=tmp_path / "state", tty=False, open_stdin=False,
                        stdin_once=False, log_path=tmp_path / "c-json.log")
    (tmp_path / "exit.json").write_text("{}")  # a stale one from an earlier run

    async def scenario() -> None:
        with pytest.raises(RuntimeFailure, match="runtime 'no-such-runtime-binary' not found"):
            await ShimLauncher().launch(config)

    run(scenario())
    assert not (tmp_path / "exit.json").exists()
    assert ShimConfig.from_json((tmp_path / "shim.json").read_text()) == config
