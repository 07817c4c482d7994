"""POST /containers/create with malformed, invalid, unsupported and lenient bodies (real routes
and services, fake lower layers): a 400 that names the field or says what is not supported,
never a 500 and never a container that differs from what was asked."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from tests.unit.api.harness import Api, api

MB = 1024 * 1024


def run(tmp_path: Path, scenario: Callable[[Api], Awaitable[None]]) -> None:
    async def main() -> None:
        async with api(tmp_path) as a:
            await scenario(a)
    asyncio.run(main())


async def post(a: Api, body: bytes | dict[str, Any]) -> tuple[int, dict[str, Any]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    resp = await a.client.post("/v1.47/containers/create", data=raw,
                               headers={"Content-Type": "application/json"})
    return resp.status, await resp.json()


def with_image(body: dict[str, Any]) -> dict[str, Any]:
    return {"Image": "busybox", **body}


def host(**fields: Any) -> dict[str, Any]:
    return with_image({"HostConfig": fields})


# (body, the text the 400's message must contain)
WRONG_TYPES: list[tuple[bytes | dict[str, Any], str]] = [
    (with_image({"Env": [1, 2]}), "invalid value for Env[0]: expected `str`, got `int`"),
    (with_image({"HostConfig": "x"}), "invalid value for HostConfig: expected `object`"),
    (host(Binds=[5]), "invalid value for HostConfig.Binds[0]: expected `str`"),
    (with_image({"ExposedPorts": [1]}), "invalid value for ExposedPorts: expected `object`"),
    (host(Memory="lots"), "invalid value for HostConfig.Memory: expected `int`, got `str`"),
    (host(PidsLimit="x"), "invalid value for HostConfig.PidsLimit: expected `int`"),
    (with_image({"Labels": {"a": 5}}), "invalid value for Labels[...]: expected `str`"),
    (with_image({"User": {"x": 1}}), "invalid value for User: expected `str`, got `object`"),
    (with_image({"Cmd": 5}), "invalid value for Cmd"),
    (with_image({"Entrypoint": {"a": 1}}), "invalid value for Entrypoint"),
    (with_image({"Tty": "yes"}), "invalid value for Tty: expected `bool`"),
    (host(Privileged=1), "invalid value for HostConfig.Privileged: expected `bool`"),
    (host(CapAdd=[1]), "invalid value for HostConfig.CapAdd"),
    (host(Memory=1.5), "invalid value for HostConfig.Memory: expected `int`, got `float`"),
    (host(Memory=2**63), "invalid value for HostConfig.Memory: expected `int` <="),
    (host(RestartPolicy="always"), "invalid value for HostConfig.RestartPolicy"),
    (host(PortBindings={"80/tcp": "x"}), "invalid value for HostConfig.PortBindings[...]"),
    (host(Mounts=[{"Type": 1}]), "invalid value for HostConfig.Mounts[0].Type"),
    (with_image({"NetworkingConfig": {"EndpointsConfig": []}}),
     "invalid value for NetworkingConfig.EndpointsConfig: expected `object`"),
    (with_image({"Healthcheck": {"Test": 7}}), "invalid value for Healthcheck.Test"),
    (with_image({"StopTimeout": "10"}), "invalid value for StopTimeout: expected `int`"),
    (host(LogConfig={"Config": {"max-size": 10}}),
     "invalid value for HostConfig.LogConfig.Config[...]: expected `str`"),
    (with_image({"Volumes": {"/data": 5}}), "invalid value for Volumes[...]"),
    (b"[1]", "the request body must be a JSON object"),
    (b"{", "invalid JSON"),
    (b"", "request body is empty"),
]

# dockerd's own checks, with its messages
INVALID: list[tuple[dict[str, Any], str]] = [
    (with_image({"WorkingDir": "rel/dir"}),
     "the working directory 'rel/dir' is invalid, it needs to be an absolute path"),
    (host(SecurityOpt=["seccomp=/etc/passwd"]), "Decoding seccomp profile failed"),
    (host(SecurityOpt=['seccomp={"defaultAction": "SCMP_ACT_NOPE"}']),
     "invalid seccomp profile: Invalid enum value 'SCMP_ACT_NOPE'"),
    (host(SecurityOpt=["bogus"]), "invalid --security-opt 1: 'bogus'"),
    ({**host(NetworkMode="container:abc"), "Hostname": "h"},
     "conflicting options: hostname and the network mode"),
    ({**host(NetworkMode="host"), "MacAddress": "02:42:ac:11:00:02"},
     "conflicting options: mac-address and the network mode"),
    (host(NetworkMode="host", Links=["a:b"]),
     "conflicting options: host type networking can't be used with links. This would result "
     "in undefined behavior"),
    (host(NetworkMode="container:"),
     "Invalid network mode: invalid container format container:<name|id>"),
    (host(PortBindings={"80/tcp": [{"HostIp": "nowhere", "HostPort": "80"}]}),
     "invalid IP address: nowhere"),
    (host(Memory=1000), "Minimum memory limit allowed is 6MB"),
    (host(Memory=-1), "Minimum memory limit allowed is 6MB"),
    (host(Memory=10 * MB, MemorySwap=8 * MB),
     "Minimum memoryswap limit should be larger than memory limit, see usage"),
    (host(MemorySwap=8 * MB),
     "You should always set the Memory limit when using Memoryswap limit, see usage"),
    (host(RestartPolicy={"Name": "bogus"}),
     "invalid restart policy: unknown policy 'bogus'; use one of 'no', 'always', "
     "'on-failure', or 'unless-stopped'"),
    (host(RestartPolicy={"Name": "always", "MaximumRetryCount": 3}),
     "invalid restart policy: maximum retry count can only be used with 'on-failure'"),
    (host(AutoRemove=True, RestartPolicy={"Name": "always"}),
     "can't create 'AutoRemove' container with restart policy"),
    (host(CapAdd=["FOO"]), 'invalid CapAdd: unknown capability: "CAP_FOO"'),
    (host(CapDrop="bar"), 'invalid CapDrop: unknown capability: "CAP_BAR"'),
    (host(NanoCpus=10**9, CpuPeriod=100000),
     "Conflicting options: Nano CPUs and CPU Period cannot both be set"),
    (host(NanoCpus=10**15), "Range of CPUs is from 0.01 to"),
    (host(CpuPeriod=10), "CPU cfs period can not be less than 1ms (i.e. 1000)"),
    (host(CpuQuota=10), "CPU cfs quota can not be less than 1ms (i.e. 1000)"),
    (host(CpuShares=-5), "shares: invalid argument"),
    (with_image({"StopSignal": "SIGFOO"}), "Invalid signal: SIGFOO"),
    (with_image({"Env": ["=x"]}), "invalid environment variable: =x"),
    (with_image({"Healthcheck": {"Test": ["CMD", "true"], "Interval": 5}}),
     "Interval in Healthcheck cannot be less than 1ms"),
    (host(LogConfig={"Type": "nope"}), "logger: no log driver named 'nope' is registered"),
    (host(LogConfig={"Type": "json-file", "Config": {"max-file": "0"}}),
     "max-file cannot be less than 1"),
    (host(LogConfig={"Config": {"max-size": "lots"}}), "invalid size: 'lots'"),
    (host(LogConfig={"Config": {"bogus": "1"}}),
     "unknown log opt 'bogus' for json-file log driver"),
    (host(OomScoreAdj=5000), "Invalid value 5000, range for oom score adj is [-1000, 1000]"),
    (host(Isolation="hyperv"), "invalid isolation 'hyperv' on linux"),
    (host(IpcMode="bogus"), "invalid IPC mode: bogus"),
    (host(PidMode="bogus"), "invalid PID mode: bogus"),
    (host(UTSMode="bogus"), "invalid UTS mode: bogus"),
    (host(CgroupnsMode="bogus"), "invalid cgroup namespace mode: bogus"),
    (host(ShmSize=-1), "SHM size can not be less than 0"),
    (host(MemorySwappiness=101), "valid memory swappiness range is 0-100"),
    (host(BlkioWeight=5), "Range of blkio weight is from 10 to 1000"),
    (host(IOMaximumIOps=5), "Invalid QoS settings: linux does not support Maximum IO"),
    (host(Binds=["/tmp:rel"]), "mount path must be absolute"),
    (host(Binds=["/tmp:/x:bogus"]), "invalid mode: bogus"),
    (host(Mounts=[{"Type": "bind", "Source": "/nonexistent-wharf-path", "Target": "/x"}]),
     'invalid mount config for type "bind": bind source path does not exist: '
     "/nonexistent-wharf-path"),
    (host(VolumesFrom=["other:bogus"]), "invalid mode: bogus"),
    (host(Binds=["a:/data"]), "create a: volume name is too short"),
    (host(Binds=["ok:/data", "no/slash:/other"]),
     'create no/slash: "no/slash" includes invalid characters for a local volume name'),
    (host(Mounts=[{"Type": "bind", "Target": "/x"}]), "field Source must not be empty"),
    (with_image({"Hostname": "h", "HostConfig": {"UTSMode": "host"}}),
     "Conflicting options: hostname and the UTS mode"),
    (host(Runtime="kata"), "unknown or invalid runtime name: kata"),
    (host(RestartPolicy={"Name": "on-failure", "MaximumRetryCount": -1}),
     "invalid restart policy: maximum retry count cannot be negative"),
    (with_image({"Healthcheck": {"Test": ["CMD", "true"], "Interval": 5}}),
     "Interval in Healthcheck cannot be less than 1ms"),
    (with_image({"Labels": {"wharf.health-on-failure": "sometimes"}}),
     "invalid value for wharf.health-on-failure"),
    (with_image({"Runtime": "kata"}), "unknown or invalid runtime name: kata"),
]

# valid, but not implemented yet (create_policy)
UNSUPPORTED: list[tuple[dict[str, Any], str]] = [
    (host(Devices=[{"PathOnHost": "/dev/null", "PathInContainer": "/dev/x"}]),
     "--device is not supported yet"),
    (host(Ulimits=[{"Name": "nofile", "Soft": 10, "Hard": 10}]), "--ulimit is not supported"),
    (host(VolumeDriver="flocker"), "--volume-driver is not supported yet"),
    (host(Mounts=[{"Type": "volume", "Source": "v", "Target": "/v",
                   "VolumeOptions": {"DriverConfig": {"Name": "flocker"}}}]),
     "--mount volume-driver=flocker (volume plugins) is not supported yet"),
    (host(PidMode="container:abc"), "--pid container:abc is not supported yet"),
    (host(IpcMode="none"), "--ipc none is not supported yet"),
    (host(SecurityOpt=["apparmor=docker-default"]),
     "--security-opt apparmor=docker-default is not supported yet"),
    (host(SecurityOpt=["label=user:system_u"]),
     "--security-opt label=user:system_u is not supported yet"),
    (host(LogConfig={"Type": "syslog"}), "--log-driver syslog is not supported yet"),
    (host(LogConfig={"Type": "none"}), "--log-driver none is not supported yet"),
    (host(LogConfig={"Config": {"max-size": "1m", "compress": "true"}}),
     "--log-opt compress is not supported yet"),
    (host(Sysctls={"net.ipv4.ip_forward": "1"}), "--sysctl is not supported yet"),
    (host(CgroupParent="/x"), "--cgroup-parent is not supported yet"),
    (host(CpusetCpus="0"), "--cpuset-cpus is not supported yet"),
    (host(OomKillDisable=True), "--oom-kill-disable is not supported yet"),
    (host(StorageOpt={"size": "1G"}), "--storage-opt is not supported yet"),
    (host(UsernsMode="private"), "--userns private is not supported yet"),
    (with_image({"NetworkingConfig": {"EndpointsConfig": {"n": {"DriverOpts": {"a": "b"}}}}}),
     "--network driver options (driver-opt) are not supported yet"),
    (with_image({"NetworkingConfig": {"EndpointsConfig": {"n": {
        "IPAMConfig": {"LinkLocalIPs": ["169.254.1.1"]}}}}}),
     "--link-local-ip is not supported yet"),
]


@pytest.mark.parametrize(("body", "expected"), [*WRONG_TYPES, *INVALID, *UNSUPPORTED])
def test_bad_bodies_get_a_400_and_no_container(tmp_path: Path, body: bytes | dict[str, Any],
                                                expected: str) -> None:
    async def scenario(a: Api) -> None:
        status, answer = await post(a, body)
        assert status == 400, answer
        assert expected in answer["message"], answer["message"]
        listed = await (await a.client.get("/containers/json?all=1")).json()
        assert listed == []
    run(tmp_path, scenario)


async def inspect(a: Api, body: dict[str, Any]) -> dict[str, Any]:
    status, answer = await post(a, body)
    assert status == 201, answer
    resp = await a.client.get(f"/containers/{answer['Id']}/json")
    return dict(await resp.json())


def test_dockers_lenient_forms_are_accepted(tmp_path: Path) -> None:
    async def scenario(a: Api) -> None:
        data = await inspect(a, {
            "Image": "busybox", "Cmd": "echo hi", "Entrypoint": None, "Env": None,
            "Labels": None, "Bogus": {"ignored": True}, "hostname": "lower",
            "hostconfig": {"memory": 8 * MB, "CapAdd": "NET_ADMIN", "CPURealtimePeriod": 0,
                           "Binds": None, "LxcConf": [], "KernelMemory": 0},
            "NetworkingConfig": {"EndpointsConfig": {"default": {}}},
        })
        assert data["Config"]["Cmd"] == ["echo hi"]
        assert data["Config"]["Hostname"] == "lower"
        assert data["HostConfig"]["Memory"] == 8 * MB
        assert data["HostConfig"]["CapAdd"] == ["NET_ADMIN"]
        assert "Bogus" not in data["Config"] and "LxcConf" not in data["HostConfig"]
    run(tmp_path, scenario)


def test_log_config_is_json_file_with_rotation_by_default_and_keeps_its_options(
        tmp_path: Path) -> None:
    """As dockerd shows a container's LogConfig: the daemon's defaults (wharf's rotation
    unless daemon.json says otherwise) fill what the container left out."""
    defaults = {"max-size": "20m", "max-file": "5"}

    async def scenario(a: Api) -> None:
        plain = await inspect(a, with_image({}))
        assert plain["HostConfig"]["LogConfig"] == {"Type": "json-file", "Config": defaults}
        empty = await inspect(a, host(LogConfig={"Type": "", "Config": None}))
        assert empty["HostConfig"]["LogConfig"] == {"Type": "json-file", "Config": defaults}
        rotated = await inspect(a, host(LogConfig={
            "Type": "json-file", "Config": {"max-size": "10m", "max-file": "3"}}))
        assert rotated["HostConfig"]["LogConfig"] == {
            "Type": "json-file", "Config": {"max-size": "10m", "max-file": "3"}}
        unbounded = await inspect(a, host(LogConfig={"Config": {"max-size": "-1"}}))
        assert unbounded["HostConfig"]["LogConfig"]["Config"] == {"max-size": "-1",
                                                                   "max-file": "5"}
    run(tmp_path, scenario)


def test_top_level_runtime_is_honoured(tmp_path: Path) -> None:
    """docker-py sends ``Runtime`` beside ``Image``; HostConfig.Runtime still wins."""
    async def scenario(a: Api) -> None:
        top = await inspect(a, with_image({"Runtime": "runc"}))
        assert top["HostConfig"]["Runtime"] == "runc"
        both = await inspect(a, {"Image": "busybox", "Runtime": "runc",
                                 "HostConfig": {"Runtime": "wharf"}})
        assert both["HostConfig"]["Runtime"] == "wharf"
        default = await inspect(a, with_image({}))
        assert default["HostConfig"]["Runtime"] == "wharf"
    run(tmp_path, scenario)


def test_warnings_for_what_linux_discards(tmp_path: Path) -> None:
    async def scenario(a: Api) -> None:
        status, answer = await post(a, host(CpuPercent=50, CpuCount=2))
        assert status == 201
        assert answer["Warnings"] == ["linux does not support CPU percent. Percent discarded.",
                                      "linux does not support CPU count. Count discarded."]
    run(tmp_path, scenario)


def test_exec_bodies_are_typed(tmp_path: Path) -> None:
    async def scenario(a: Api) -> None:
        cid = await a.create("ex", Cmd=["sleep", "1"])
        for body, field in (({"Cmd": 5}, "Cmd"), ({"Cmd": ["true"], "Env": [1]}, "Env[0]"),
                            ({"Cmd": ["true"], "Tty": "x"}, "Tty")):
            resp = await a.client.post(f"/containers/{cid}/exec", json=body)
            assert resp.status == 400
            assert f"invalid value for {field}" in (await resp.json())["message"]
        resp = await a.client.post("/exec/nosuch/start", json={"Detach": "yes"})
        assert resp.status == 400
        assert "invalid value for Detach" in (await resp.json())["message"]
    run(tmp_path, scenario)
