"""``POST /build``, ``/build/prune`` and ``/build/cancel`` against a fake build service: the
message stream, errors before and after the first message, quiet builds, cancellation."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import tarfile
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from wharf.api.routes.build import BuildRoutes
from wharf.api.server import RouteDef, build_app
from wharf.core.errors import InvalidParameter, NotFound, WharfError
from wharf.services.build import BuildService
from wharf.services.build_types import BuildOptions
from wharf.services.progress import ProgressSink

IMAGE_ID = "sha256:" + "ab" * 32
Script = Callable[[ProgressSink], Any]


@dataclass
class FakeBuild(BuildService):
    """Records what it was asked; ``script`` decides what the build does. (The dataclass's
    own ``__init__`` leaves ``BuildService``'s out: a fake has no dependencies.)"""

    script: Script | None = None
    calls: list[tuple[bytes, BuildOptions]] = field(default_factory=list)
    pruned: list[tuple[bool, dict[str, list[str]]]] = field(default_factory=list)
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)

    async def build(self, context: BinaryIO, options: BuildOptions, emit: ProgressSink) -> str:
        body = await asyncio.to_thread(_read_all, context)
        self.calls.append((body, options))
        try:
            result = self.script(emit) if self.script else _steps(emit)
            if asyncio.iscoroutine(result):
                result = await result
            return str(result)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise

    def prune(self, everything: bool, filters: dict[str, list[str]]) -> dict[str, Any]:
        self.pruned.append((everything, filters))
        return {"CachesDeleted": ["x"], "SpaceReclaimed": 7}


def _read_all(stream: BinaryIO) -> bytes:
    chunks = []
    while chunk := stream.read(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _steps(emit: ProgressSink) -> str:
    emit({"stream": "Step 1/1 : FROM busybox\n"})
    emit({"stream": " ---> 0123456789ab\n"})
    emit({"aux": {"ID": IMAGE_ID}})
    emit({"stream": "Successfully built abababababab\n"})
    return IMAGE_ID


def _context() -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        data = b"FROM busybox\n"
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


@asynccontextmanager
async def served(fake: FakeBuild) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    r = BuildRoutes(fake, upload_stall_timeout=5, poll=0.05)
    routes = [RouteDef("POST", "/build", r.build), RouteDef("POST", "/build/prune", r.prune),
              RouteDef("POST", "/build/cancel", r.cancel)]
    client = TestClient(TestServer(build_app(routes)))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def run(scenario: Callable[[], Any]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_a_build_streams_the_services_messages_and_passes_options_and_body() -> None:
    async def scenario() -> None:
        fake = FakeBuild()
        async with served(fake) as client:
            body = _context()
            resp = await client.post(
                "/v1.47/build?t=app&t=app:latest&t=localhost:5000/x:1&dockerfile=sub/Df"
                '&buildargs={"A":"1","B":null}&labels={"l":"v"}&nocache=1&pull=1&target=t'
                "&networkmode=host&extrahosts=db:10.0.0.1&memory=1048576&shmsize=65536"
                '&cachefrom=["c:1"]&ulimits=null&version=1', data=body)
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "application/json"
            messages = _lines(await resp.text())
        assert messages[0] == {"stream": "Step 1/1 : FROM busybox\n"}
        assert {"aux": {"ID": IMAGE_ID}} in messages
        (sent, options), = fake.calls
        assert sent == body
        assert options.tags == ("app:latest", "localhost:5000/x:1")
        assert options.dockerfile == "sub/Df"
        assert options.build_args == {"A": "1", "B": None}
        assert options.labels == {"l": "v"}
        assert (options.no_cache, options.pull, options.remove) == (True, True, True)
        assert (options.target, options.network_mode) == ("t", "host")
        assert options.extra_hosts == ("db:10.0.0.1",)
        assert (options.memory, options.shm_size) == (1048576, 65536)
        assert options.cache_from == ("c:1",)
    run(scenario)


def test_clients_older_than_api_1_30_get_no_aux_message() -> None:
    async def scenario() -> None:
        async with served(FakeBuild()) as client:
            old = _lines(await (await client.post("/v1.29/build", data=_context())).text())
            new = _lines(await (await client.post("/v1.30/build", data=_context())).text())
        assert {"aux": {"ID": IMAGE_ID}} not in old and {"aux": {"ID": IMAGE_ID}} in new
        assert old[-1] == {"stream": "Successfully built abababababab\n"}
    run(scenario)


def test_a_failure_before_any_message_is_an_http_error() -> None:
    def script(emit: ProgressSink) -> str:
        raise NotFound("No such image: nope:latest")

    async def scenario() -> None:
        async with served(FakeBuild(script)) as client:
            resp = await client.post("/build", data=_context())
            assert resp.status == 404
            assert await resp.json() == {"message": "No such image: nope:latest"}
    run(scenario)


class StepFailed(WharfError):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def test_a_failure_after_a_message_ends_the_stream_with_error_detail() -> None:
    def script(emit: ProgressSink) -> str:
        emit({"stream": "Step 1/2 : FROM busybox\n"})
        raise StepFailed("The command '/bin/sh -c exit 3' returned a non-zero code: 3", 3)

    async def scenario() -> None:
        async with served(FakeBuild(script)) as client:
            resp = await client.post("/build", data=_context())
            assert resp.status == 200
            messages = _lines(await resp.text())
        text = "The command '/bin/sh -c exit 3' returned a non-zero code: 3"
        assert messages[0] == {"stream": "Step 1/2 : FROM busybox\n"}
        assert messages[-1] == {"errorDetail": {"code": 3, "message": text}, "error": text}
    run(scenario)


def test_a_quiet_build_sends_only_the_image_id() -> None:
    async def scenario() -> None:
        fake = FakeBuild()
        async with served(fake) as client:
            resp = await client.post("/build?q=1", data=_context())
            assert resp.status == 200
            assert _lines(await resp.text()) == [{"stream": IMAGE_ID + "\n"}]
        assert fake.calls[0][1].quiet
    run(scenario)


def test_a_quiet_build_that_fails_sends_what_it_held_then_the_error() -> None:
    def script(emit: ProgressSink) -> str:
        emit({"stream": "Step 1/1 : RUN false\n"})
        raise InvalidParameter("The command '/bin/sh -c false' returned a non-zero code: 1")

    async def scenario() -> None:
        async with served(FakeBuild(script)) as client:
            resp = await client.post("/build?q=true", data=_context())
            messages = _lines(await resp.text())
        assert messages[0] == {"stream": "Step 1/1 : RUN false\n"}
        assert "non-zero code: 1" in messages[-1]["error"]
    run(scenario)


def test_a_quiet_build_that_fails_silently_is_an_http_error() -> None:
    def script(emit: ProgressSink) -> str:
        raise InvalidParameter("dockerfile parse error on line 1: unknown instruction: FOO")

    async def scenario() -> None:
        async with served(FakeBuild(script)) as client:
            resp = await client.post("/build?q=1", data=_context())
            assert resp.status == 400
            assert "unknown instruction: FOO" in (await resp.json())["message"]
    run(scenario)


def test_a_crash_in_the_builder_is_still_answered() -> None:
    def script(emit: ProgressSink) -> str:
        emit({"stream": "Step 1/1 : FROM busybox\n"})
        raise RuntimeError("boom")

    async def scenario() -> None:
        async with served(FakeBuild(script)) as client:
            resp = await client.post("/build", data=_context())
            assert _lines(await resp.text())[-1]["error"] == "boom"
    run(scenario)


def test_messages_sent_from_worker_threads_arrive_in_order() -> None:
    async def script(emit: ProgressSink) -> str:
        def worker() -> None:
            for i in range(200):
                emit({"stream": f"{i}\n"})
        await asyncio.to_thread(worker)
        return IMAGE_ID

    async def scenario() -> None:
        async with served(FakeBuild(script)) as client:
            resp = await client.post("/build", data=_context())
            messages = _lines(await resp.text())
        assert [m["stream"] for m in messages] == [f"{i}\n" for i in range(200)]
    run(scenario)


@pytest.mark.parametrize(("query", "words"), [
    ("version=2", "BuildKit"),
    ("version=3", 'invalid version "3"'),
    ('outputs=[{"Type":"moby"}]', "outputs"),
    ("isolation=hyperv", 'unsupported isolation: "hyperv"'),
    ("cpusetcpus=0-1", "cpusetcpus"),
    ("cpusetmems=0", "cpusetmems"),
    ("cgroupparent=x", "cgroupparent"),
    ('ulimits=[{"Name":"nofile","Hard":1,"Soft":1}]', "ulimits"),
    ("securityopt=seccomp=unconfined", "security options are not supported on linux"),
    ("remote=https://example.invalid/x.git", "remote"),
    ("buildargs={bad", "error reading build args"),
    ('labels={"a":1}', "error reading labels"),
    ("cachefrom=3", "error reading cache-from"),
    ("t=Bad", "invalid reference format"),
    ("t=busybox@sha256:" + "a" * 64, "build tag cannot contain a digest"),
    ("extrahosts=nocolon", "bad format for add-host"),
    ("extrahosts=h:999.1.1.1", "invalid IP address in add-host"),
    ("networkmode=container:x", "network mode"),
    ("memory=lots", "invalid value for memory"),
    ("volume=relative:/x", "invalid volume specification"),
    ("secrets=[{\"id\":\"a\"}]", "invalid secret"),
])
def test_bad_or_unsupported_parameters_are_refused_before_the_build(
        query: str, words: str) -> None:
    async def scenario() -> None:
        fake = FakeBuild()
        async with served(fake) as client:
            resp = await client.post(f"/build?{query}", data=_context())
            assert resp.status == 400, await resp.text()
            assert words in (await resp.json())["message"]
        assert fake.calls == []
    run(scenario)


def test_registry_config_header_is_decoded_for_the_builds_pulls() -> None:
    config = {"localhost:5000": {"username": "u", "password": "p"}}
    header = base64.urlsafe_b64encode(json.dumps(config).encode()).decode()

    async def scenario() -> None:
        fake = FakeBuild()
        async with served(fake) as client:
            resp = await client.post("/build", data=_context(),
                                     headers={"X-Registry-Config": header})
            await resp.read()
            bad = await client.post("/build", data=_context(),
                                    headers={"X-Registry-Config": "%%%"})
            assert bad.status == 400
        auth = fake.calls[0][1].registry_auths["localhost:5000"]
        assert (auth.username, auth.password) == ("u", "p")
    run(scenario)


def test_a_client_that_goes_away_cancels_the_build() -> None:
    started = threading.Event()

    async def script(emit: ProgressSink) -> str:
        emit({"stream": "Step 1/1 : RUN sleep 1000\n"})
        started.set()
        await asyncio.sleep(1000)
        return IMAGE_ID

    async def scenario() -> None:
        fake = FakeBuild(script)
        async with served(fake) as client:
            resp = await client.post("/build", data=_context())
            assert (await resp.content.readline()).startswith(b'{"stream":"Step 1/1')
            resp.close()  # drops the connection
            await asyncio.wait_for(fake.cancelled.wait(), 10)
    run(scenario)


def test_build_cancel_by_build_id_ends_the_stream_with_an_error() -> None:
    async def script(emit: ProgressSink) -> str:
        emit({"stream": "Step 1/1 : RUN sleep 1000\n"})
        await asyncio.sleep(1000)
        return IMAGE_ID

    async def scenario() -> None:
        fake = FakeBuild(script)
        async with served(fake) as client:
            resp = await client.post("/build?buildid=b1", data=_context())
            await resp.content.readline()
            assert (await client.post("/build/cancel")).status == 400
            assert (await client.post("/build/cancel?id=unknown")).status == 200
            assert (await client.post("/build/cancel?id=b1")).status == 200
            rest = _lines((await resp.content.read()).decode())
            assert rest[-1]["error"] == "context canceled"
        assert fake.cancelled.is_set()
    run(scenario)


def test_prune_passes_all_and_filters_and_refuses_keep_storage() -> None:
    async def scenario() -> None:
        fake = FakeBuild()
        async with served(fake) as client:
            resp = await client.post('/build/prune?all=1&filters={"until":["1h"]}')
            assert resp.status == 200
            assert await resp.json() == {"CachesDeleted": ["x"], "SpaceReclaimed": 7}
            assert (await client.post("/build/prune?keep-storage=0")).status == 200
            kept = await client.post("/build/prune?keep-storage=10")
            assert kept.status == 400
            assert "keep-storage" in (await kept.json())["message"]
            junk = await client.post("/build/prune?keep-storage=x")
            assert (await junk.json())["message"] == (
                "keep-storage is in bytes and expects an integer, got x")
        assert fake.pruned == [(True, {"until": ["1h"]}), (False, {})]
    run(scenario)
