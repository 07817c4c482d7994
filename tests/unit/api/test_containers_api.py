"""Container endpoints over HTTP with fake lower layers."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from tests.unit.api.harness import Api, api
from tests.unit.services.fakes import frame


def run(tmp_path: Path, scenario) -> None:  # type: ignore[no-untyped-def]
    async def main() -> None:
        async with api(tmp_path) as a:
            await scenario(a)
    asyncio.run(main())


def test_create_validates_names_and_reports_conflicts(tmp_path: Path) -> None:
    async def scenario(a: Api) -> None:
        bad = await a.client.post("/containers/create?name=-x", json={"Image": "busybox"})
        assert bad.status == 400
        assert (await bad.json())["message"] == (
            "Invalid container name (-x), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
        first = await a.create("web")
        assert len(first) == 64 and all(c in "0123456789abcdef" for c in first)
        clash = await a.client.post("/containers/create?name=/web", json={"Image": "busybox"})
        assert clash.status == 409
        assert (await clash.json())["message"] == (
            f'Conflict. The container name "/web" is already in use by container "{first}". '
            "You have to remove (or rename) that container to be able to reuse that name.")
        missing = await a.client.post("/containers/create", json={"Image": "nosuch:1"})
        assert missing.status == 404
        assert (await missing.json())["message"] == "No such image: nosuch:1"
        runtime = await a.client.post("/containers/create", json={
            "Image": "busybox", "HostConfig": {"Runtime": "kata"}})
        assert runtime.status == 400
        assert (await runtime.json())["message"] == "unknown or invalid runtime name: kata"
    run(tmp_path, scenario)


def test_random_names_look_like_dockers(tmp_path: Path) -> None:
    async def scenario(a: Api) -> None:
        cid = await a.create()
        name = (await (await a.client.get(f"/containers/{cid}/json")).json())["Name"]
        adjective, _, surname = name[1:].partition("_")
        assert name.startswith("/") and adjective.isalpha() and surname.isalnum()
    run(tmp_path, scenario)


def test_inspect_has_dockers_shape(tmp_path: Path) -> None:
    async def scenario(a: Api) -> None:
        cid = await a.create("shape", Cmd=["echo", "hi"], Labels={"a": "1"})
        data = await (await a.client.get(f"/v1.45/containers/{cid[:10]}/json")).json()
        for key in ("Id", "Created", "Path", "Args", "State", "Image", "ResolvConfPath",
                    "HostnamePath", "HostsPath", "LogPath", "Name", "RestartCount", "Driver",
                    "Platform", "MountLabel", "ProcessLabel", "AppArmorProfile", "ExecIDs",
                    "HostConfig", "GraphDriver", "Mounts", "Config", "NetworkSettings"):
            assert key in data, key
        assert data["Path"] == "echo" and data["Args"] == ["hi"]
        assert data["State"]["Status"] == "created"
        assert data["State"]["StartedAt"] == "0001-01-01T00:00:00Z"
        assert data["Config"]["Env"][0].startswith("PATH=")
        assert data["Config"]["Labels"] == {"a": "1"}
        assert data["Config"]["Hostname"] == cid[:12]
        assert data["HostConfig"]["Runtime"] == "wharf"
        missing = await a.client.get("/containers/nope/json")
        assert missing.status == 404
        assert (await missing.json())["message"] == "No such container: nope"
    run(tmp_path, scenario)


def test_wait_sends_headers_before_the_container_exits(tmp_path: Path) -> None:
    async def scenario(a: Api) -> None:
        cid = await a.create("waiter", Cmd=["sleep", "10"])
        resp = await asyncio.wait_for(
            a.client.post(f"/containers/{cid}/wait?condition=next-exit"), 2)
        assert resp.status == 200  # the headers arrived although nothing exited yet
        assert (await a.client.post(f"/containers/{cid}/start")).status == 204
        assert (await a.client.post(f"/containers/{cid}/start")).status == 304
        assert (await a.client.post(f"/containers/{cid}/kill")).status == 204
        assert json.loads(await resp.read()) == {"StatusCode": 137, "Error": None}
        state = (await (await a.client.get(f"/containers/{cid}/json")).json())["State"]
        assert state["Status"] == "exited" and state["ExitCode"] == 137
        again = await a.client.post(f"/containers/{cid}/kill")
        assert again.status == 409
        assert (await again.json())["message"] == (
            f"Cannot kill container: {cid}: Container {cid} is not running")
    run(tmp_path, scenario)


def test_exit_codes_logs_and_events(tmp_path: Path) -> None:
    async def scenario(a: Api) -> None:
        cid = await a.create("three", Cmd=["sh", "-c", "exit 3"])
        await a.client.post(f"/containers/{cid}/start")
        waited = await (await a.client.post(f"/containers/{cid}/wait")).json()
        assert waited["StatusCode"] == 3
        log = a.containers.log_path(a.containers.get(cid))
        log.write_text(json.dumps({"log": "out\n", "stream": "stdout",
                                   "time": "2024-01-01T00:00:00.000000001Z"}) + "\n"
                       + json.dumps({"log": "err\n", "stream": "stderr",
                                     "time": "2024-01-01T00:00:01.000000000Z"}) + "\n")
        body = await (await a.client.get(
            f"/containers/{cid}/logs?stdout=1&stderr=1")).read()
        assert body == frame(1, b"out\n") + frame(2, b"err\n")
        tail = await (await a.client.get(
            f"/containers/{cid}/logs?stdout=1&stderr=1&tail=1&timestamps=1")).read()
        assert tail == frame(2, b"2024-01-01T00:00:01.000000000Z err\n")
        until = time.time() + 0.3
        events = await (await a.client.get(
            f'/events?since=0&until={until:.3f}&filters={{"container":["three"]}}')).read()
        actions = [json.loads(line)["Action"] for line in events.splitlines()]
        assert actions == ["create", "start", "die"]
        first = json.loads(events.splitlines()[0])
        assert first["Type"] == "container" and first["id"] == cid
        assert first["Actor"]["Attributes"]["name"] == "three"
    run(tmp_path, scenario)


def test_start_failure_keeps_the_runtime_message(tmp_path: Path) -> None:
    async def scenario(a: Api) -> None:
        cid = await a.create("missing", Cmd=["nosuchcommand"])
        resp = await a.client.post(f"/containers/{cid}/start")
        assert resp.status == 400
        assert "executable file not found in $PATH" in (await resp.json())["message"]
        state = (await (await a.client.get(f"/containers/{cid}/json")).json())["State"]
        assert state["ExitCode"] == 127 and "executable file not found" in state["Error"]
        assert cid not in a.world.rootfs.mounted
    run(tmp_path, scenario)


def test_rm_running_is_409_and_force_works(tmp_path: Path) -> None:
    async def scenario(a: Api) -> None:
        cid = await a.create("busy", Cmd=["sleep", "60"])
        await a.client.post(f"/containers/{cid}/start")
        refused = await a.client.delete(f"/containers/{cid}")
        assert refused.status == 409
        assert (await refused.json())["message"] == (
            f"You cannot remove a running container {cid}. Stop the container before "
            "attempting removal or force remove")
        assert (await a.client.delete("/containers/busy?force=1")).status == 204
        assert (await a.client.get(f"/containers/{cid}/json")).status == 404
        assert cid not in a.world.store.rows
    run(tmp_path, scenario)


def test_stop_escalates_to_sigkill(tmp_path: Path) -> None:
    async def scenario(a: Api) -> None:
        cid = await a.create("stubborn", Cmd=["stubborn"])
        await a.client.post(f"/containers/{cid}/start")
        assert (await a.client.post(f"/containers/{cid}/stop?t=0")).status == 204
        shim = a.world.launcher.shims[cid]
        assert shim.signals == [15, 9]
        assert (await a.client.post(f"/containers/{cid}/stop")).status == 304
    run(tmp_path, scenario)


def test_list_filters(tmp_path: Path) -> None:
    async def scenario(a: Api) -> None:
        one = await a.create("one", Labels={"tier": "web"})
        two = await a.create("two", Cmd=["sleep", "1"])
        await a.client.post(f"/containers/{two}/start")

        async def names(query: str) -> list[str]:
            resp = await a.client.get("/containers/json" + query)
            assert resp.status == 200, await resp.text()
            return [c["Names"][0] for c in await resp.json()]

        assert await names("") == ["/two"]
        assert await names("?all=1") == ["/two", "/one"]
        assert await names('?all=1&filters={"label":["tier=web"]}') == ["/one"]
        assert await names('?filters={"status":["created"]}') == ["/one"]
        assert await names('?all=1&filters={"name":{"tw":true}}') == ["/two"]
        assert await names(f'?all=1&filters={{"id":["{one[:8]}"]}}') == ["/one"]
        assert await names('?all=1&filters={"since":["one"]}') == ["/two"]
        assert await names('?all=1&filters={"ancestor":["busybox"]}') == ["/two", "/one"]
        assert await names("?all=1&limit=1") == ["/two"]
        bad = await a.client.get('/containers/json?filters={"status":["zzz"]}')
        assert bad.status == 400
        entry = (await (await a.client.get("/containers/json")).json())[0]
        assert entry["State"] == "running" and entry["Status"].startswith("Up ")
    run(tmp_path, scenario)


def test_rename_pause_top_prune(tmp_path: Path) -> None:
    async def scenario(a: Api) -> None:
        cid = await a.create("old", Cmd=["sleep", "1"])
        assert (await a.client.post(f"/containers/{cid}/rename?name=new")).status == 204
        assert (await a.client.get("/containers/old/json")).status == 404
        assert (await a.client.post(f"/containers/{cid}/pause")).status == 409
        await a.client.post("/containers/new/start")
        assert (await a.client.post("/containers/new/pause")).status == 204
        assert a.world.cgroups.frozen == {f"/wharf/{cid}"}
        data = await (await a.client.get("/containers/new/json")).json()
        assert data["State"]["Status"] == "paused" and data["State"]["Paused"] is True
        refused = await a.client.post("/containers/new/attach?stream=1&stdout=1")
        assert refused.status == 409
        assert "unpause it first" in (await refused.json())["message"]
        assert (await a.client.post("/containers/new/unpause")).status == 204
        top = await (await a.client.get("/containers/new/top")).json()
        assert "PID" in top["Titles"] and len(top["Processes"]) == 1
        other = await a.create("stopped")
        pruned = await (await a.client.post("/containers/prune")).json()
        assert pruned["ContainersDeleted"] == [other]
    run(tmp_path, scenario)


async def _hijack(a: Api, path: str, body: bytes = b"") -> tuple[asyncio.StreamReader,
                                                                  asyncio.StreamWriter, bytes]:
    url = a.client.make_url("/")
    reader, writer = await asyncio.open_connection(url.host, url.port)
    writer.write(f"POST {path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                 f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                 .encode() + body)
    head = await reader.readuntil(b"\r\n\r\n")
    return reader, writer, head


def test_attach_before_start_streams_and_stdin_eof_reaches_the_container(tmp_path: Path) -> None:
    async def scenario(a: Api) -> None:
        cid = await a.create("cat", Cmd=["cat"], OpenStdin=True, StdinOnce=True)
        reader, writer, head = await _hijack(
            a, f"/v1.47/containers/{cid}/attach?stream=1&stdin=1&stdout=1&stderr=1")
        assert head.startswith(b"HTTP/1.1 101 UPGRADED\r\n")
        assert b"Content-Type: application/vnd.docker.multiplexed-stream" in head
        assert b"Upgrade: tcp" in head and b"Api-Version: 1.47" in head
        assert (await a.client.post(f"/containers/{cid}/start")).status == 204
        writer.write(b"hello\n")
        await writer.drain()
        writer.write_eof()  # half-close: the output must still come back
        rest = await asyncio.wait_for(reader.read(), 5)
        assert rest == frame(1, b"hello\n")
        writer.close()
    run(tmp_path, scenario)


def test_exec_create_start_inspect(tmp_path: Path) -> None:
    async def scenario(a: Api) -> None:
        cid = await a.create("ex", Cmd=["sleep", "1"])
        refused = await a.client.post(f"/containers/{cid}/exec", json={"Cmd": ["true"]})
        assert refused.status == 409
        await a.client.post(f"/containers/{cid}/start")
        created = await a.client.post(f"/containers/{cid}/exec", json={
            "Cmd": ["echo", "in"], "AttachStdout": True, "User": "nobody", "Env": ["A=1"]})
        assert created.status == 201
        exec_id = (await created.json())["Id"]
        reader, writer, head = await _hijack(a, f"/exec/{exec_id}/start",
                                             b'{"Detach":false,"Tty":false}')
        assert head.startswith(b"HTTP/1.1 101 UPGRADED")
        assert await asyncio.wait_for(reader.read(), 5) == frame(1, b"exec:echo in\n")
        writer.close()
        info = await (await a.client.get(f"/exec/{exec_id}/json")).json()
        assert info["ExitCode"] == 5 and info["Running"] is False
        assert info["ProcessConfig"]["entrypoint"] == "echo"
        process = a.world.launcher.shims[cid].execs[0]
        assert process["user"] == {"uid": 1000, "gid": 1000, "additionalGids": []}
        assert "A=1" in process["env"]
        assert "capabilities" not in process
        privileged = await (await a.client.post(f"/containers/{cid}/exec", json={
            "Cmd": ["id"], "Privileged": True})).json()
        assert (await a.client.post(f"/exec/{privileged['Id']}/start",
                                    json={"Detach": True})).status == 200
        await asyncio.sleep(0.05)
        caps = a.world.launcher.shims[cid].execs[1]["capabilities"]
        assert caps["effective"] == ["CAP_SYS_ADMIN", "CAP_CHOWN"]
        inspect = await (await a.client.get(f"/containers/{cid}/json")).json()
        assert inspect["ExecIDs"] == [exec_id, privileged["Id"]]
        assert (await a.client.get("/exec/nope/json")).status == 404
    run(tmp_path, scenario)


def test_attach_without_upgrade_answers_200_and_streams(tmp_path: Path) -> None:
    async def scenario(a: Api) -> None:
        cid = await a.create("plain", Cmd=["cat"], OpenStdin=True, StdinOnce=True)
        await a.client.post(f"/containers/{cid}/start")
        url = a.client.make_url("/")
        reader, writer = await asyncio.open_connection(url.host, url.port)
        writer.write(f"POST /containers/{cid}/attach?stream=1&stdout=1 HTTP/1.1\r\n"
                     "Host: x\r\nContent-Length: 0\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"application/vnd.docker.multiplexed-stream" in head
        await asyncio.sleep(0.05)
        shim = a.world.launcher.shims[cid]
        shim.streams[0].stdin += b"fed\n"
        await shim.streams[0].close_stdin()
        assert await asyncio.wait_for(reader.read(), 5) == frame(1, b"fed\n")
        writer.close()
    run(tmp_path, scenario)
