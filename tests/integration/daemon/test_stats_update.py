"""docker stats / docker update against a real wharfd (cgroup v1 on this host): the numbers
come from the container's own cgroup and network namespace, updates reach the cgroup files and
the record."""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.daemons import Daemon, UnixHTTPConnection

from wharf.runtime.cgroups import detect_layout

pytestmark = pytest.mark.root
MB = 1024 * 1024
WHARF = str(Path(sys.executable).parent / "wharf")


def wharf(daemon: Daemon, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([WHARF, *args], env=daemon.docker_env(), capture_output=True,
                          timeout=60)


def run(daemon: Daemon, name: str, *extra: str) -> str:
    out = daemon.docker("run", "-d", "--name", name, *extra, "busybox", "sleep", "300")
    return out.stdout.decode().strip()


@pytest.fixture(scope="module")
def limited(wharfd: Daemon) -> Iterator[str]:
    container_id = run(wharfd, "limited", "-m", "32m", "--pids-limit", "50")
    yield container_id
    wharfd.docker("rm", "-f", container_id, check=False)


def stats(daemon: Daemon, ref: str, query: str = "stream=false") -> dict[str, Any]:
    result = daemon.json("GET", f"/containers/{ref}/stats?{query}")
    assert isinstance(result, dict)
    return result


def memory_dir(container_id: str, daemon: Daemon, controller: str = "memory") -> Path:
    layout = detect_layout()
    mount = next(path for key, path in layout.hierarchies.items()
                 if controller in key.split(","))
    return mount / daemon.cgroup_parent / container_id


def test_one_sample_has_memory_pids_cpu_and_precpu(wharfd: Daemon, limited: str) -> None:
    sample = stats(wharfd, limited)
    assert sample["id"] == limited and sample["name"] == "/limited"
    assert sample["memory_stats"]["usage"] > 0
    assert sample["memory_stats"]["limit"] == 32 * MB
    assert sample["pids_stats"] == {"current": 1, "limit": 50}
    assert sample["cpu_stats"]["system_cpu_usage"] > sample["precpu_stats"]["system_cpu_usage"]
    assert sample["cpu_stats"]["online_cpus"] >= 1
    assert sample["preread"] < sample["read"]
    assert "eth0" in sample["networks"] and "lo" not in sample["networks"]


def test_one_shot_has_no_precpu(wharfd: Daemon, limited: str) -> None:
    sample = stats(wharfd, limited, "stream=false&one-shot=true")
    assert sample["precpu_stats"]["cpu_usage"]["total_usage"] == 0
    assert sample["preread"] == "0001-01-01T00:00:00Z"


def test_network_bytes_grow_with_traffic(wharfd: Daemon, limited: str) -> None:
    before = stats(wharfd, limited, "stream=false&one-shot=true")["networks"]["eth0"]
    address = wharfd.docker("inspect", "-f", "{{.NetworkSettings.IPAddress}}",
                            limited).stdout.decode().strip()
    wharfd.docker("run", "--rm", "busybox", "ping", "-c", "3", "-W", "2", address)
    after = stats(wharfd, limited, "stream=false&one-shot=true")["networks"]["eth0"]
    assert after["rx_bytes"] > before["rx_bytes"]
    assert after["rx_packets"] >= before["rx_packets"] + 3


def test_stopped_container_gives_empty_stats(wharfd: Daemon) -> None:
    wharfd.docker("create", "--name", "stopped", "busybox", "true")
    try:
        sample = stats(wharfd, "stopped")
        assert sample["read"] == "0001-01-01T00:00:00Z"
        assert sample["memory_stats"] == {} and sample["pids_stats"] == {}
        assert sample["name"] == "/stopped" and "networks" not in sample
    finally:
        wharfd.docker("rm", "-f", "stopped")


def test_stream_sends_headers_before_the_first_sample(wharfd: Daemon, limited: str) -> None:
    conn = UnixHTTPConnection(str(wharfd.socket_path), timeout=10)
    try:
        conn.request("GET", f"/containers/{limited}/stats")
        response = conn.getresponse()
        assert response.status == 200
        assert response.getheader("Content-Type") == "application/json"
        started = time.monotonic()
        first = json.loads(response.readline())
        second = json.loads(response.readline())
        assert time.monotonic() - started < 5
        assert second["preread"] == first["read"]
        assert second["precpu_stats"] == first["cpu_stats"]
    finally:
        conn.close()


def test_update_memory_reaches_cgroup_and_inspect(wharfd: Daemon, limited: str) -> None:
    wharfd.docker("update", "--memory", "48m", "--memory-swap", "96m", "--cpus", "0.5",
                  "--pids-limit", "60", "--memory-reservation", "20m", limited)
    directory = memory_dir(limited, wharfd)
    assert int((directory / "memory.limit_in_bytes").read_text()) == 48 * MB
    assert int((directory / "memory.memsw.limit_in_bytes").read_text()) == 96 * MB
    assert int((directory / "memory.soft_limit_in_bytes").read_text()) == 20 * MB
    cpu = memory_dir(limited, wharfd, "cpu")
    assert (cpu / "cpu.cfs_quota_us").read_text().split() == ["50000"]
    assert (cpu / "cpu.cfs_period_us").read_text().split() == ["100000"]
    assert (memory_dir(limited, wharfd, "pids") / "pids.max").read_text().split() == ["60"]
    host = json.loads(wharfd.docker("inspect", "-f", "{{json .HostConfig}}",
                                    limited).stdout)
    assert (host["Memory"], host["MemorySwap"], host["NanoCpus"], host["PidsLimit"],
            host["MemoryReservation"]) == (48 * MB, 96 * MB, 500_000_000, 60, 20 * MB)
    assert stats(wharfd, limited)["memory_stats"]["limit"] == 48 * MB


def test_update_refusals(wharfd: Daemon, limited: str) -> None:
    status, body = wharfd.request("POST", f"/containers/{limited}/update",
                                  json.dumps({"Memory": 200 * MB}).encode(),
                                  {"Content-Type": "application/json"})
    assert status == 409
    assert b"Memory limit should be smaller than already set memoryswap limit" in body
    status, body = wharfd.request("POST", f"/containers/{limited}/update",
                                  json.dumps({"BlkioWeight": 300}).encode(),
                                  {"Content-Type": "application/json"})
    assert status == 400 and b"not supported yet" in body
    status, body = wharfd.request("POST", f"/containers/{limited}/update",
                                  json.dumps({"Memory": 7 * MB, "MemorySwap": 7 * MB}).encode(),
                                  {"Content-Type": "application/json"})
    # a busybox sleep uses less than 7 MB: this one is applied
    assert status == 200, body


def test_update_restart_policy_is_stored(wharfd: Daemon, limited: str) -> None:
    wharfd.docker("update", "--restart", "on-failure:3", limited)
    policy = json.loads(wharfd.docker("inspect", "-f", "{{json .HostConfig.RestartPolicy}}",
                                      limited).stdout)
    assert policy == {"Name": "on-failure", "MaximumRetryCount": 3}


def test_wharf_stats_no_stream_table(wharfd: Daemon, limited: str) -> None:
    result = wharf(wharfd, "stats", "--no-stream")
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.decode().splitlines()
    assert re.split(r"\s{2,}", header) == ["CONTAINER ID", "NAME", "CPU %",
                                            "MEM USAGE / LIMIT", "MEM %", "NET I/O",
                                            "BLOCK I/O", "PIDS"]
    row = next(line for line in rows if line.startswith(limited[:12]))
    cells = re.split(r"\s{2,}", row)
    assert cells[1] == "limited" and cells[2].endswith("%") and cells[7] == "1"
    assert re.fullmatch(r"[\d.]+[KMG]?i?B / [\d.]+MiB", cells[3]), cells[3]


def test_wharf_stats_format_and_missing(wharfd: Daemon, limited: str) -> None:
    result = wharf(wharfd, "stats", "--no-stream", "--no-trunc", "--format",
                   "{{.ID}} {{.Name}} {{.PIDs}}", "limited")
    assert result.stdout.decode().split() == [limited, "limited", "1"]
    for streaming in ([], ["--no-stream"]):
        missing = wharf(wharfd, "stats", *streaming, "nope")
        assert missing.returncode == 1
        assert "No such container: nope" in missing.stderr.decode()


def test_wharf_update(wharfd: Daemon) -> None:
    container_id = run(wharfd, "upd", "-m", "16m")
    try:
        done = wharf(wharfd, "update", "-m", "24m", "--memory-swap", "48m", "-c", "512",
                     "--restart", "always", "upd")
        assert done.returncode == 0, done.stderr
        assert done.stdout.decode().strip() == "upd"
        assert int((memory_dir(container_id, wharfd) / "memory.limit_in_bytes")
                   .read_text()) == 24 * MB
        host = json.loads(wharfd.docker("inspect", "-f", "{{json .HostConfig}}", "upd").stdout)
        assert host["CpuShares"] == 512 and host["RestartPolicy"]["Name"] == "always"
        refused = wharf(wharfd, "update", "--cpuset-cpus", "0", "upd")
        assert refused.returncode == 125 and b"not supported yet" in refused.stderr
    finally:
        wharfd.docker("rm", "-f", container_id, check=False)


def test_wharf_stats_streams_and_redraws(wharfd: Daemon, limited: str) -> None:
    proc = subprocess.Popen([WHARF, "stats", "limited"], env=wharfd.docker_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    seen = b""
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and seen.count(b"\033[2J") < 3:
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if ready:
                seen += os.read(proc.stdout.fileno(), 65536)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    frames = seen.decode().split("\033[2J\033[H")[1:-1]  # the last may be cut short
    assert len(frames) == 2, seen
    for frame in frames:
        assert frame.splitlines()[0].startswith("CONTAINER ID")
        assert frame.splitlines()[1].startswith(limited[:12])


def test_update_below_usage_is_refused_and_changes_nothing(wharfd: Daemon) -> None:
    container_id = wharfd.docker(
        "run", "-d", "--name", "full", "-m", "64m", "busybox", "sh", "-c",
        "head -c 20971520 /dev/zero > /dev/shm/x; touch /tmp/ready; sleep 300",
    ).stdout.decode().strip()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and wharfd.docker(
                "exec", "full", "test", "-e", "/tmp/ready", check=False).returncode != 0:
            time.sleep(0.1)
        refused = wharfd.docker("update", "-m", "8m", "--memory-swap", "8m", "full",
                                check=False)
        assert refused.returncode != 0
        assert f"Cannot update container {container_id}: unable to set memory limit to " \
            f"{8 * MB}" in refused.stderr.decode()
        host = json.loads(wharfd.docker("inspect", "-f", "{{json .HostConfig}}",
                                        "full").stdout)
        assert host["Memory"] == 64 * MB
    finally:
        wharfd.docker("rm", "-f", container_id, check=False)


def test_update_of_a_stopped_container_applies_at_its_next_start(wharfd: Daemon) -> None:
    container_id = wharfd.docker("create", "--name", "later", "-m", "16m", "busybox", "sleep",
                                 "300").stdout.decode().strip()
    try:
        wharfd.docker("update", "-m", "24m", "--memory-swap", "48m", "--pids-limit", "30",
                      "later")
        wharfd.docker("start", "later")
        assert int((memory_dir(container_id, wharfd) / "memory.limit_in_bytes")
                   .read_text()) == 24 * MB
        assert stats(wharfd, "later", "stream=false&one-shot=true")["pids_stats"] == \
            {"current": 1, "limit": 30}
    finally:
        wharfd.docker("rm", "-f", container_id, check=False)
