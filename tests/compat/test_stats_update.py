"""docker stats / docker update through the stock docker CLI and docker-py against wharfd."""

from __future__ import annotations

import json
import re

import docker  # type: ignore[import-untyped]

from tests.support.daemons import Daemon

MB = 1024 * 1024


def test_docker_cli_stats_and_update(wharfd: Daemon) -> None:
    container_id = wharfd.docker("run", "-d", "--name", "dk-stats", "-m", "32m", "busybox",
                                 "sleep", "300").stdout.decode().strip()
    try:
        table = wharfd.docker("stats", "--no-stream").stdout.decode().splitlines()
        assert table[0].split()[:3] == ["CONTAINER", "ID", "NAME"]
        row = next(line for line in table if line.startswith(container_id[:12]))
        cells = re.split(r"\s{2,}", row)
        assert cells[1] == "dk-stats" and cells[7] == "1"
        assert cells[3].endswith(" / 32MiB"), cells[3]
        wharfd.docker("update", "--memory", "64m", "--cpus", "0.5", "dk-stats")
        host = json.loads(wharfd.docker("inspect", "-f", "{{json .HostConfig}}",
                                        "dk-stats").stdout)
        assert (host["Memory"], host["NanoCpus"]) == (64 * MB, 500_000_000)
        formatted = wharfd.docker("stats", "--no-stream", "--format", "{{.MemUsage}}",
                                  "dk-stats").stdout.decode()
        assert formatted.strip().endswith(" / 64MiB")
        refused = wharfd.docker("update", "--memory", "512m", "dk-stats", check=False)
        assert refused.returncode != 0
        assert b"update the memoryswap at the same time" in refused.stderr
    finally:
        wharfd.docker("rm", "-f", container_id, check=False)


def test_docker_py_stats_and_update(client: docker.DockerClient) -> None:
    container = client.containers.run("busybox", ["sleep", "300"], detach=True,
                                      mem_limit="32m")
    try:
        sample = container.stats(stream=False)
        assert sample["memory_stats"]["limit"] == 32 * MB
        assert sample["precpu_stats"]["system_cpu_usage"] > 0
        assert sample["pids_stats"]["current"] == 1
        assert container.update(mem_limit="48m") == {"Warnings": None}  # as dockerd
        container.reload()
        assert container.attrs["HostConfig"]["Memory"] == 48 * MB
        streamed = container.stats(stream=True, decode=True)
        first, second = next(streamed), next(streamed)
        assert second["preread"] == first["read"]
        assert second["memory_stats"]["limit"] == 48 * MB
    finally:
        container.remove(force=True)
