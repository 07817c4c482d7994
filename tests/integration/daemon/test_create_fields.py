"""Every field of the v1.47 ContainerConfig, HostConfig and NetworkingConfig against a real
wharfd: an effect in a real container for each implemented field, Docker's storing for each
no-op, the 400 for each refused one (``services/create_policy.py`` is the table). The stock
docker CLI's defaults and docker-py's still pass.

Effects are batched into a handful of containers: ``core`` (most settings at once), ``tty``,
``host`` (privileged, every host namespace), ``runc`` (the top-level Runtime and ConsoleSize,
which wharf-runtime does not apply yet) and ``rm``.
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import tarfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker  # type: ignore[import-untyped]
import msgspec
import pytest
from tests.support.daemons import Daemon

from wharf.core.capabilities import CAPABILITY_NUMBERS
from wharf.runtime.cgroups import detect_layout
from wharf.services import engine_types
from wharf.services.create_policy import IMPLEMENTED, NOOP, POLICY, REFUSED

pytestmark = pytest.mark.root
MB = 1024 * 1024

# Which container (or check) shows each implemented field's effect.
EFFECTS = {
    "Config": {
        "Hostname": "core", "Domainname": "core", "User": "core", "Tty": "tty",
        "OpenStdin": "cli", "StdinOnce": "cli", "Env": "core", "Cmd": "core", "Image": "core",
        "WorkingDir": "core", "Entrypoint": "core", "NetworkDisabled": "core",
        "Labels": "core", "StopSignal": "core", "StopTimeout": "tty",
        "MacAddress": "network",
        "Volumes": "volumes",  # tests/integration/volumes
        "Healthcheck": "health",  # tests/integration/health_restart
    },
    "HostConfig": {
        "CpuShares": "core", "Memory": "core", "CpuPeriod": "core", "CpuQuota": "core",
        "MemorySwap": "core", "NanoCpus": "tty", "Init": "core", "PidsLimit": "core",
        "Binds": "core", "LogConfig": "core", "NetworkMode": "core+host",
        "RestartPolicy": "core", "AutoRemove": "rm", "Mounts": "core", "ConsoleSize": "runc",
        "Annotations": "core", "CapAdd": "core", "CapDrop": "core", "CgroupnsMode": "core+host",
        "GroupAdd": "core", "IpcMode": "core+host", "OomScoreAdj": "core", "PidMode": "host",
        "Privileged": "host", "ReadonlyRootfs": "tty", "SecurityOpt": "core",
        "UTSMode": "host", "UsernsMode": "host", "ShmSize": "core", "Runtime": "runc",
        "MaskedPaths": "core", "ReadonlyPaths": "core", "Tmpfs": "tmpfs",
        "ExtraHosts": "tmpfs", "VolumesFrom": "volumes",
        # "network": tests/integration/container_network and tests/unit/services/
        # test_container_network show these
        "PortBindings": "network", "PublishAllPorts": "network", "Dns": "network",
        "DnsOptions": "network", "DnsSearch": "network", "Links": "network",
    },
    "NetworkingConfig": {"EndpointsConfig": "network"},
    "Body": {"Runtime": "runc"},
}

# A value each refused field is refused for (what a client would send).
REFUSED_SAMPLES: dict[str, dict[str, Any]] = {
    "Config": {},
    "HostConfig": {
        "CgroupParent": "/elsewhere", "BlkioWeight": 300,
        "BlkioWeightDevice": [{"Path": "/dev/null", "Weight": 300}],
        "BlkioDeviceReadBps": [{"Path": "/dev/null", "Rate": 1024}],
        "BlkioDeviceWriteBps": [{"Path": "/dev/null", "Rate": 1024}],
        "BlkioDeviceReadIOps": [{"Path": "/dev/null", "Rate": 10}],
        "BlkioDeviceWriteIOps": [{"Path": "/dev/null", "Rate": 10}],
        "CpuRealtimePeriod": 1000000, "CpuRealtimeRuntime": 950000, "CpusetCpus": "0",
        "CpusetMems": "0", "Devices": [{"PathOnHost": "/dev/null", "PathInContainer": "/dev/n",
                                        "CgroupPermissions": "rwm"}],
        "DeviceCgroupRules": ["c 1:3 rwm"],
        "DeviceRequests": [{"Driver": "nvidia", "Count": -1, "Capabilities": [["gpu"]]}],
        "KernelMemoryTCP": 64 * MB, "MemoryReservation": 32 * MB, "MemorySwappiness": 10,
        "OomKillDisable": True, "Ulimits": [{"Name": "nofile", "Soft": 64, "Hard": 64}],
        "IOMaximumIOps": 10, "IOMaximumBandwidth": 1024,
        "VolumeDriver": "flocker",
        "Cgroup": "container:other",
        "StorageOpt": {"size": "1G"},
        "Sysctls": {"net.ipv4.ip_unprivileged_port_start": "80"},
    },
    "NetworkingConfig": {},
}
# Implemented fields whose other values are refused: one such value each.
PARTLY_REFUSED: list[tuple[str, str, Any]] = [
    ("HostConfig", "LogConfig", {"Type": "syslog"}),
    ("NetworkingConfig", "EndpointsConfig", {"n": {"DriverOpts": {"k": "v"}}}),
    ("HostConfig", "Mounts", [{"Type": "volume", "Target": "/t",
                               "VolumeOptions": {"DriverConfig": {"Name": "flocker"}}}]),
    ("HostConfig", "IpcMode", "container:other"),
    ("HostConfig", "PidMode", "container:other"),
    ("HostConfig", "UsernsMode", "private"),
    ("HostConfig", "SecurityOpt", ["apparmor=docker-default"]),
]
NOOP_SAMPLES: dict[str, dict[str, Any]] = {
    "Config": {"AttachStdin": True, "AttachStdout": True, "AttachStderr": True,
               "ExposedPorts": {"8080/tcp": {}}, "ArgsEscaped": True,
               "OnBuild": ["RUN true"], "Shell": ["/bin/sh", "-c"]},
    "HostConfig": {"ContainerIDFile": "/tmp/cid", "CpuCount": 2, "CpuPercent": 50,
                   "Isolation": "default"},
}

SECTION_TYPES = {"Config": engine_types.ContainerConfig, "HostConfig": engine_types.HostConfig,
                 "NetworkingConfig": engine_types.NetworkingConfig}


def unique(prefix: str) -> str:
    return f"fw-{prefix}-{uuid.uuid4().hex[:8]}"


def swagger_fields(section: str) -> list[str]:
    """The JSON names of a section's fields, from the types generated from the swagger."""
    return [f.encode_name for f in msgspec.structs.fields(SECTION_TYPES[section])]


def body_with(section: str, name: str, value: Any) -> dict[str, Any]:
    if section == "Config":
        return {"Image": "busybox", name: value}
    return {"Image": "busybox", section: {name: value}}


def post_create(wharfd: Daemon, body: dict[str, Any], name: str = "") -> tuple[int, Any]:
    path = "/containers/create" + (f"?name={name}" if name else "")
    status, data = wharfd.request("POST", path, json.dumps(body).encode(),
                                  {"Content-Type": "application/json"})
    return status, json.loads(data) if data else None


# ---- refused and no-op ------------------------------------------------------------------------


def test_the_walk_covers_every_field() -> None:
    for section in SECTION_TYPES:
        for name in swagger_fields(section):
            policy = POLICY[section][name]  # KeyError: a swagger field with no policy
            if policy.status == IMPLEMENTED:
                assert name in EFFECTS[section], f"no effect shown for {section}.{name}"
            elif policy.status == REFUSED:
                assert name in REFUSED_SAMPLES[section], f"no sample for {section}.{name}"
            else:
                assert policy.status == NOOP
                assert name in NOOP_SAMPLES[section], f"no sample for {section}.{name}"
    assert set(EFFECTS["Body"]) == set(POLICY["Body"])


def refused_cases() -> Iterator[tuple[str, str, Any]]:
    for section, samples in REFUSED_SAMPLES.items():
        for name, value in samples.items():
            yield section, name, value
    yield from PARTLY_REFUSED


@pytest.mark.parametrize(("section", "name", "value"), list(refused_cases()))
def test_refused_fields_get_a_400(wharfd: Daemon, section: str, name: str, value: Any) -> None:
    status, answer = post_create(wharfd, body_with(section, name, value))
    assert status == 400, answer
    message = answer["message"]
    assert "not supported yet" in message or "linux does not support" in message, message
    flag = POLICY[section][name].flag.split()[0] if POLICY[section][name].flag else ""
    assert flag in message or "volume" in message or "linux" in message, message


def test_no_op_fields_are_accepted_and_stored(wharfd: Daemon) -> None:
    body: dict[str, Any] = {"Image": "busybox", **NOOP_SAMPLES["Config"],
                            "HostConfig": dict(NOOP_SAMPLES["HostConfig"])}
    status, answer = post_create(wharfd, body, unique("noop"))
    assert status == 201, answer
    try:
        data = inspect(wharfd, answer["Id"])
        for key, value in NOOP_SAMPLES["Config"].items():
            assert data["Config"][key] == value, key
        assert data["HostConfig"]["ContainerIDFile"] == "/tmp/cid"
        assert not Path("/tmp/cid").exists() or Path("/tmp/cid").read_text() != answer["Id"]
        assert "linux does not support CPU percent. Percent discarded." in answer["Warnings"]
    finally:
        remove(wharfd, answer["Id"])


# ---- effects ----------------------------------------------------------------------------------


def inspect(wharfd: Daemon, cid: str) -> dict[str, Any]:
    data = wharfd.json("GET", f"/containers/{cid}/json")
    assert isinstance(data, dict)
    return data


def remove(wharfd: Daemon, cid: str) -> None:
    wharfd.request("DELETE", f"/containers/{cid}?force=1")


def logs(wharfd: Daemon, cid: str, tty: bool = False) -> str:
    status, data = wharfd.request("GET", f"/containers/{cid}/logs?stdout=1&stderr=1")
    assert status == 200
    if tty:
        return data.decode(errors="replace")
    out, offset = b"", 0
    while offset + 8 <= len(data):  # stdcopy frames
        size = int.from_bytes(data[offset + 4:offset + 8], "big")
        out += data[offset + 8:offset + 8 + size]
        offset += 8 + size
    return out.decode(errors="replace")


def start_until_marked(wharfd: Daemon, body: dict[str, Any], tty: bool = False,
                       timeout: float = 30) -> tuple[str, dict[str, str]]:
    """Create and start; wait for the line ``END`` in the logs; the ``key=value`` lines."""
    status, answer = post_create(wharfd, body, unique("c"))
    assert status == 201, answer
    cid = answer["Id"]
    wharfd.json("POST", f"/containers/{cid}/start")
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = logs(wharfd, cid, tty)
        if "END" in text:
            break
        time.sleep(0.1)
    assert "END" in text, f"{text!r}\n{wharfd.log_tail()}"
    lines = [line.strip() for line in text.splitlines() if "=" in line]
    return cid, dict(line.split("=", 1) for line in lines)


def cgroup_file(pid: int, controller: str, v1_name: str, v2_name: str) -> str:
    """A cgroup file of ``pid``'s cgroup, read on the host (v1 or v2; in a CI container the
    paths /proc names are taken relative to each mount's root)."""
    layout = detect_layout()
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if layout.version == 2 and controllers == "" and layout.unified is not None:
            return (layout.unified / layout.visible_path("", path) / v2_name).read_text().strip()
        if layout.version == 1 and controller in controllers.split(","):
            key = ",".join(sorted(controllers.split(",")))
            base = layout.hierarchies[key] / layout.visible_path(key, path)
            return (base / v1_name).read_text().strip()
    raise AssertionError(f"no {controller} cgroup for {pid}")


def status_field(pid: int, key: str) -> str:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(key)


def namespace(pid: int | str, kind: str) -> str:
    return os.readlink(f"/proc/{pid}/ns/{kind}")


def wait_exit(wharfd: Daemon, cid: str) -> int:
    answer = wharfd.json("POST", f"/containers/{cid}/wait")
    assert isinstance(answer, dict)
    return int(answer["StatusCode"])


CORE_SCRIPT = """
echo "hostname=$(hostname) $(cat /etc/hostname)"
echo "domainname=$(cat /proc/sys/kernel/domainname)"
echo "ids=$(id -u) $(id -G)"
echo "env=$FW_ENV"
echo "pwd=$(pwd)"
echo "net=$(ls /sys/class/net | tr '\\n' ' ')"
echo "shm=$(grep ' /dev/shm ' /proc/mounts | cut -d' ' -f4)"
echo "masked=$(wc -c < /proc/version)"
touch /tmp/x 2>/dev/null && echo tmp=rw || echo tmp=ro
echo "bindro=$(cat /mnt/ro/probe)"
touch /mnt/ro/new 2>/dev/null && echo bindwrite=rw || echo bindwrite=ro
touch /mnt/rw/new && echo mountwrite=rw
echo "pid1=$(tr '\\0' ' ' < /proc/1/cmdline)"
echo END
trap 'exit 7' USR1
sleep 60 & wait
"""


@pytest.fixture()
def shared_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "shared"
    directory.mkdir()
    directory.chmod(0o777)
    (directory / "probe").write_text("probe-content")
    return directory


def test_core_fields_take_effect(wharfd: Daemon, shared_dir: Path) -> None:
    body = {
        "Image": "busybox", "Hostname": "fieldwalk", "Domainname": "example.test",
        "User": "nobody", "Env": ["FW_ENV=on"], "WorkingDir": "/etc",
        "Entrypoint": ["/bin/sh", "-c"], "Cmd": [CORE_SCRIPT],
        "Labels": {"fieldwalk": "yes"}, "NetworkDisabled": True,
        "StopSignal": "SIGUSR1", "StopTimeout": 20,
        "HostConfig": {
            "GroupAdd": ["mail", "4242"], "Memory": 64 * MB, "MemorySwap": 96 * MB,
            "CpuShares": 512, "CpuPeriod": 50000, "CpuQuota": 25000, "PidsLimit": 50,
            "OomScoreAdj": 123, "CapAdd": ["NET_ADMIN"], "CapDrop": ["CHOWN"],
            "ShmSize": 32 * MB, "SecurityOpt": ["no-new-privileges"],
            "MaskedPaths": ["/proc/version"], "ReadonlyPaths": ["/tmp"],
            "Annotations": {"org.wharf.fieldwalk": "yes"}, "Init": True,
            "LogConfig": {"Type": "json-file", "Config": {"max-size": "1m", "max-file": "2"}},
            "NetworkMode": "none", "IpcMode": "private", "CgroupnsMode": "private",
            "RestartPolicy": {"Name": "no"},
            "Binds": [f"{shared_dir}:/mnt/ro:ro"],
            "Mounts": [{"Type": "bind", "Source": str(shared_dir), "Target": "/mnt/rw"}],
        },
    }
    cid, seen = start_until_marked(wharfd, body)
    try:
        assert seen["hostname"] == "fieldwalk fieldwalk"
        assert seen["domainname"] == "example.test"
        assert seen["ids"].split()[0] == "65534" and {"12", "4242"} <= set(seen["ids"].split())
        assert seen["env"] == "on" and seen["pwd"] == "/etc"
        assert seen["net"].split() == ["lo"]
        assert "size=32768k" in seen["shm"]
        assert seen["masked"] == "0" and seen["tmp"] == "ro"
        assert seen["bindro"] == "probe-content" and seen["bindwrite"] == "ro"
        assert seen["mountwrite"] == "rw" and (shared_dir / "new").exists()
        assert seen["pid1"].startswith("/sbin/docker-init -- /bin/sh -c")
        data = inspect(wharfd, cid)
        pid = int(data["State"]["Pid"])
        assert Path(f"/proc/{pid}/oom_score_adj").read_text().strip() == "123"
        assert status_field(pid, "NoNewPrivs") == "1"
        bounding = int(status_field(pid, "CapBnd"), 16)
        assert bounding >> CAPABILITY_NUMBERS["CAP_NET_ADMIN"] & 1
        assert not bounding >> CAPABILITY_NUMBERS["CAP_CHOWN"] & 1
        assert cgroup_file(pid, "memory", "memory.limit_in_bytes", "memory.max") == str(64 * MB)
        with_swap = cgroup_file(pid, "memory", "memory.memsw.limit_in_bytes", "memory.swap.max") \
            if _swap_accounting(pid) else None
        assert with_swap in (None, str(96 * MB), str(32 * MB))
        assert cgroup_file(pid, "cpu", "cpu.cfs_quota_us", "cpu.max").split()[0] == "25000"
        assert cgroup_file(pid, "cpu", "cpu.cfs_period_us", "cpu.max").split()[-1] == "50000"
        assert cgroup_file(pid, "cpu", "cpu.shares", "cpu.weight") in ("512", "20")
        assert cgroup_file(pid, "pids", "pids.max", "pids.max") == "50"
        for kind in ("pid", "ipc", "uts", "net", "mnt"):
            assert namespace(pid, kind) != namespace("self", kind), kind
        bundle = wharfd.data_root / "containers" / cid / "config.json"
        assert json.loads(bundle.read_text())["annotations"] == {"org.wharf.fieldwalk": "yes"}
        assert data["Config"]["Labels"]["fieldwalk"] == "yes"
        assert data["HostConfig"]["LogConfig"] == {
            "Type": "json-file", "Config": {"max-size": "1m", "max-file": "2"}}
        listed = wharfd.json("GET", '/containers/json?filters={"label":["fieldwalk=yes"]}')
        assert isinstance(listed, list) and [c["Id"] for c in listed] == [cid]
        wharfd.json("POST", f"/containers/{cid}/stop")  # StopSignal: the trap exits 7
        assert wait_exit(wharfd, cid) == 7
        assert inspect(wharfd, cid)["State"]["Status"] == "exited"  # RestartPolicy "no"
    finally:
        remove(wharfd, cid)


def _swap_accounting(pid: int) -> bool:
    try:
        cgroup_file(pid, "memory", "memory.memsw.limit_in_bytes", "memory.swap.max")
    except OSError:
        return False
    return True


TTY_SCRIPT = """
touch /rootfs-probe 2>/dev/null && echo rootfs=rw || echo rootfs=ro
[ -t 1 ] && echo tty=yes || echo tty=no
echo END
sleep 60 & wait
"""


def test_tty_readonly_rootfs_cpus_and_stop_timeout(wharfd: Daemon) -> None:
    body = {"Image": "busybox", "Tty": True, "Cmd": ["sh", "-c", TTY_SCRIPT],
            "StopTimeout": 1,
            "HostConfig": {"ReadonlyRootfs": True, "NanoCpus": 500_000_000}}
    cid, seen = start_until_marked(wharfd, body, tty=True)
    try:
        assert seen["rootfs"] == "ro" and seen["tty"] == "yes"
        pid = int(inspect(wharfd, cid)["State"]["Pid"])
        quota = cgroup_file(pid, "cpu", "cpu.cfs_quota_us", "cpu.max").split()[0]
        assert quota == "50000"
        started = time.monotonic()  # sh as PID 1 ignores SIGTERM: the kill follows after 1s
        wharfd.json("POST", f"/containers/{cid}/stop")
        assert 0.8 < time.monotonic() - started < 6
    finally:
        remove(wharfd, cid)


def test_host_namespaces_and_privileged(wharfd: Daemon) -> None:
    body = {"Image": "busybox", "Cmd": ["sh", "-c", "echo host=$(hostname); echo END; "
                                                   "sleep 60 & wait"],
            "HostConfig": {"Privileged": True, "NetworkMode": "host", "PidMode": "host",
                           "IpcMode": "host", "UTSMode": "host", "CgroupnsMode": "host",
                           "UsernsMode": "host"}}
    cid, seen = start_until_marked(wharfd, body)
    try:
        assert seen["host"] == socket.gethostname()
        pid = int(inspect(wharfd, cid)["State"]["Pid"])
        for kind in ("pid", "ipc", "uts", "net", "cgroup", "user"):
            assert namespace(pid, kind) == namespace("self", kind), kind
        assert namespace(pid, "mnt") != namespace("self", "mnt")
        ours = int(status_field(os.getpid(), "CapBnd"), 16)
        assert int(status_field(pid, "CapEff"), 16) == ours
    finally:
        remove(wharfd, cid)


@pytest.mark.parametrize("runtime", ["wharf", "runc"])
def test_top_level_runtime_and_console_size(wharfd: Daemon, runtime: str) -> None:
    """docker-py's top-level Runtime picks the runtime; each applies ConsoleSize before the
    process starts."""
    body = {"Image": "busybox", "Runtime": runtime, "Tty": True,
            "Cmd": ["sh", "-c", "echo size=$(stty size); echo END"],
            "HostConfig": {"ConsoleSize": [33, 77]}}
    cid, seen = start_until_marked(wharfd, body, tty=True)
    try:
        assert seen["size"] == "33 77"
        assert inspect(wharfd, cid)["HostConfig"]["Runtime"] == runtime
    finally:
        remove(wharfd, cid)


def test_auto_remove(wharfd: Daemon) -> None:
    status, answer = post_create(wharfd, {"Image": "busybox", "Cmd": ["true"],
                                          "HostConfig": {"AutoRemove": True}}, unique("rm"))
    assert status == 201
    cid = answer["Id"]
    wharfd.json("POST", f"/containers/{cid}/start")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and wharfd.request("GET", f"/containers/{cid}/json")[0] \
            != 404:
        time.sleep(0.1)
    assert wharfd.request("GET", f"/containers/{cid}/json")[0] == 404


TMPFS_SCRIPT = """
echo "scratch=$(grep ' /scratch ' /proc/mounts | cut -d' ' -f4)"
echo "entry=$(grep ' /entry ' /proc/mounts | cut -d' ' -f4)"
echo "entrymode=$(stat -c %a /entry)"
echo x > /scratch/f && echo scratchwrite=ok
echo x > /entry/f 2>/dev/null && echo entrywrite=rw || echo entrywrite=ro
printf '#!/bin/sh\\necho ran\\n' > /scratch/run.sh && chmod +x /scratch/run.sh
echo "exec=$(/scratch/run.sh 2>/dev/null || echo refused)"
echo "hosts=$(tail -3 /etc/hosts | tr '\\t\\n' ',,')"
echo "db=$(grep -w db /etc/hosts | cut -f1)"
echo END
"""


def test_tmpfs_mounts_and_extra_hosts(wharfd: Daemon) -> None:
    """``--tmpfs`` (dockerd's defaults merged with the user's options), ``--mount
    type=tmpfs`` (size, mode, read-only) and ``--add-host`` records in /etc/hosts; inspect
    lists the ``--mount`` one only; nothing of a tmpfs lands in the container's layer."""
    body = {"Image": "busybox", "Cmd": ["sh", "-c", TMPFS_SCRIPT], "HostConfig": {
        "Tmpfs": {"/scratch": "exec,size=2m"},
        "Mounts": [{"Type": "tmpfs", "Target": "/entry", "ReadOnly": True,
                    "TmpfsOptions": {"SizeBytes": 1 << 20, "Mode": 0o750}}],
        "ExtraHosts": ["db:192.0.2.10", "v6:2001:db8::7"]}}
    cid, seen = start_until_marked(wharfd, body)
    try:
        assert seen["scratch"].split(",")[:3] == ["rw", "nosuid", "nodev"]
        assert "noexec" not in seen["scratch"] and "size=2048k" in seen["scratch"]
        assert seen["entry"].startswith("ro,nosuid,nodev,noexec,")
        assert "size=1024k" in seen["entry"]
        assert seen["entrymode"] == "750" and seen["entrywrite"] == "ro"
        assert seen["scratchwrite"] == "ok" and seen["exec"] == "ran"
        assert seen["db"] == "192.0.2.10"
        hosts = seen["hosts"].split(",")
        assert hosts[:4] == ["192.0.2.10", "db", "2001:db8::7", "v6"], hosts
        data = inspect(wharfd, cid)
        assert data["Mounts"] == [{"Type": "tmpfs", "Source": "", "Destination": "/entry",
                                   "Mode": "", "RW": False, "Propagation": ""}]
        assert data["HostConfig"]["ExtraHosts"] == ["db:192.0.2.10", "v6:2001:db8::7"]
        assert wait_exit(wharfd, cid) == 0
        status, exported = wharfd.request("GET", f"/containers/{cid}/export")
        assert status == 200
        with tarfile.open(fileobj=io.BytesIO(exported)) as tar:
            names = {name.strip("./") for name in tar.getnames()}
        assert "bin/sh" in names and "scratch/f" not in names  # the tmpfs held it
    finally:
        remove(wharfd, cid)


@pytest.mark.parametrize(("host_config", "message"), [
    ({"Tmpfs": {"/t": "bogus"}}, 'Invalid tmpfs option ["bogus"]'),
    ({"Mounts": [{"Type": "tmpfs", "Target": "/t", "Source": "/x"}]},
     'invalid mount config for type "tmpfs": field Source must not be specified'),
    ({"ExtraHosts": ["db"]}, 'bad format for add-host: "db"'),
    ({"ExtraHosts": ["db:1.2.3"]}, 'invalid IP address in add-host: "1.2.3"'),
])
def test_bad_tmpfs_and_extra_hosts_are_400s(wharfd: Daemon, host_config: dict[str, Any],
                                              message: str) -> None:
    status, answer = post_create(wharfd, {"Image": "busybox", "HostConfig": host_config})
    assert status == 400, answer
    assert answer["message"] == message


# ---- the stock clients' defaults --------------------------------------------------------------


def test_stock_cli_defaults_pass(wharfd: Daemon) -> None:
    """``docker run``/``docker create`` with no flags, ``-i`` (OpenStdin, StdinOnce) and
    ``-t``; inspect shows Docker's defaults."""
    out = wharfd.docker("run", "--rm", "busybox", "echo", "plain").stdout
    assert out == b"plain\n"
    piped = wharfd.docker("run", "--rm", "-i", "busybox", "cat", stdin=b"through stdin\n")
    assert piped.stdout == b"through stdin\n"
    name = unique("cli")
    wharfd.docker("create", "--name", name, "busybox")
    try:
        data = inspect(wharfd, name)
        # wharf's rotation defaults, shown as dockerd shows the options that apply
        assert data["HostConfig"]["LogConfig"] == {
            "Type": "json-file", "Config": {"max-size": "20m", "max-file": "5"}}
        assert data["HostConfig"]["RestartPolicy"]["Name"] == "no"
        assert data["HostConfig"]["NetworkMode"] == "bridge"
    finally:
        wharfd.docker("rm", "-f", name, check=False)
    ttyed = wharfd.docker("run", "--rm", "-t", "busybox", "echo", "tty", check=False)
    assert ttyed.returncode == 0, ttyed.stderr
    mounted = wharfd.docker(
        "run", "--rm", "--tmpfs", "/scratch:size=1m", "--add-host", "db:192.0.2.10",
        "--mount", "type=tmpfs,destination=/m,tmpfs-size=2097152,tmpfs-mode=1700", "busybox",
        "sh", "-c", "grep -E ' /(scratch|m) ' /proc/mounts; stat -c %a /m; tail -2 /etc/hosts")
    lines = mounted.stdout.decode().splitlines()
    options = {line.split()[1]: line.split()[3] for line in lines[:2]}
    assert options["/scratch"].startswith("rw,nosuid,nodev,noexec,")
    assert "size=1024k" in options["/scratch"]
    assert options["/m"].startswith("rw,nosuid,nodev,noexec,") and "size=2048k" in options["/m"]
    assert lines[2:4] == ["1700", "192.0.2.10\tdb"]
    assert lines[4].split("\t")[0].count(".") == 3  # its own address and hostname
    refused = wharfd.docker("run", "--rm", "--sysctl",
                            "net.ipv4.ip_unprivileged_port_start=80", "busybox", "true",
                            check=False)
    assert refused.returncode == 125
    assert b"--sysctl is not supported yet" in refused.stderr


def test_wharf_cli_tmpfs_mount_and_add_host(wharfd: Daemon) -> None:
    """``wharf run`` sends ``--tmpfs``, ``--mount type=tmpfs`` and ``--add-host`` as the
    docker CLI does."""
    wharf = [str(Path(sys.executable).parent / "wharf")]
    result = subprocess.run(
        [*wharf, "run", "--rm", "--tmpfs", "/scratch:size=1m", "--add-host", "db=192.0.2.10",
         "--mount", "type=tmpfs,dst=/m,tmpfs-mode=700,ro", "busybox", "sh", "-c",
         "grep ' /m ' /proc/mounts | cut -d' ' -f4; stat -c %a /m; grep -w db /etc/hosts"],
        env=wharfd.docker_env(), capture_output=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    options, mode, hosts = result.stdout.decode().splitlines()
    assert options.startswith("ro,nosuid,nodev,noexec,") and mode == "700"
    assert hosts == "192.0.2.10\tdb"
    bad = subprocess.run([*wharf, "run", "--rm", "--mount", "type=tmpfs", "busybox", "true"],
                         env=wharfd.docker_env(), capture_output=True, timeout=60, check=False)
    assert bad.returncode == 125 and b"target is required" in bad.stderr


def test_docker_py_defaults_pass(wharfd: Daemon) -> None:
    client = docker.DockerClient(base_url=wharfd.host, version="1.47", timeout=60)
    try:
        assert client.containers.run("busybox", ["echo", "py"], remove=True) == b"py\n"
        groups = client.containers.run("busybox", ["id", "-G"], remove=True,
                                       group_add=["mail"]).split()
        assert b"12" in groups
        seen = client.containers.run("busybox", ["sh", "-c", "grep ' /x ' /proc/mounts; "
                                     "grep -w db /etc/hosts"], tmpfs={"/x": "size=64k"},
                                     extra_hosts={"db": "192.0.2.10"}, remove=True).decode()
        assert seen.startswith("tmpfs /x tmpfs rw,nosuid,nodev,noexec,") and "size=64k" in seen
        assert seen.endswith("192.0.2.10\tdb\n")
        with pytest.raises(docker.errors.APIError, match="--sysctl is not supported yet"):
            client.containers.run("busybox", ["true"], remove=True,
                                  sysctls={"net.ipv4.ip_unprivileged_port_start": "80"})
        # docker-py sends Runtime at the top level of the create body, as dockerd honours it
        created = client.api.create_container("busybox", ["true"], runtime="runc")
        try:
            assert client.api.inspect_container(created["Id"])["HostConfig"]["Runtime"] == "runc"
        finally:
            client.api.remove_container(created["Id"], force=True)
        with pytest.raises(docker.errors.APIError, match="no log driver named 'nope'"):
            client.containers.create("busybox", ["true"],
                                     log_config=docker.types.LogConfig(type="nope"))
    finally:
        client.close()


def test_cli_refusals_exit_125(wharfd: Daemon) -> None:
    for flags in (["--device", "/dev/null:/dev/x"],
                  ["--ulimit", "nofile=64:64"], ["--cap-add", "NOPE"],
                  ["--mount", "type=volume,dst=/data,volume-driver=flocker"],
                  ["--network", "mynet"], ["--security-opt", "label=user:u"],
                  ["--log-driver", "syslog"]):
        res = wharfd.docker("run", "--rm", *flags, "busybox", "true", check=False,
                            timeout=30)
        assert res.returncode == 125, (flags, res.stderr)
