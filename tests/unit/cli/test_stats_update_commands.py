"""wharf stats rows (the docker CLI's arithmetic and cell formats) and wharf update's body."""

from __future__ import annotations

from typing import Any

import pytest

from wharf.cli.command import CommandFailed
from wharf.cli.commands.stats_rows import (
    STATS_HEADERS,
    STATS_TABLE,
    StatsRow,
    cpu_percent,
    memory_used,
)
from wharf.cli.commands.update import UPDATE, update_config
from wharf.cli.flags import FlagParser
from wharf.cli.formatting import render
from wharf.core.units import bytes_size

MB = 1024 * 1024
SAMPLE: dict[str, Any] = {
    "id": "0123456789abcdef" * 4, "name": "/web",
    "cpu_stats": {"cpu_usage": {"total_usage": 300_000_000}, "system_cpu_usage": 4_000_000_000,
                  "online_cpus": 2},
    "precpu_stats": {"cpu_usage": {"total_usage": 100_000_000},
                     "system_cpu_usage": 2_000_000_000},
    "memory_stats": {"usage": 3 * MB, "limit": 64 * MB,
                     "stats": {"total_inactive_file": 1 * MB}},
    "pids_stats": {"current": 3},
    "networks": {"eth0": {"rx_bytes": 1500, "tx_bytes": 648},
                 "eth1": {"rx_bytes": 500, "tx_bytes": 0}},
    "blkio_stats": {"io_service_bytes_recursive": [
        {"op": "Read", "value": 4_000_000}, {"op": "Write", "value": 1000},
        {"op": "read", "value": 96_000}, {"op": "Total", "value": 1}, {"op": "", "value": 9}]},
}


def test_cpu_percent_is_dockers() -> None:
    assert cpu_percent(SAMPLE) == pytest.approx(20.0)  # 0.2e9 / 2e9 * 2 cpus * 100
    assert cpu_percent({"cpu_stats": {}, "precpu_stats": {}}) == 0.0


def test_online_cpus_fall_back_to_percpu_entries() -> None:
    sample = {"cpu_stats": {"cpu_usage": {"total_usage": 2, "percpu_usage": [1, 1, 0, 0]},
                            "system_cpu_usage": 8}, "precpu_stats": {}}
    assert cpu_percent(sample) == pytest.approx(100.0)


def test_memory_without_cache_v1_and_v2() -> None:
    assert memory_used(SAMPLE["memory_stats"]) == 2 * MB
    assert memory_used({"usage": 10, "stats": {"inactive_file": 4}}) == 6
    assert memory_used({"usage": 10, "stats": {"total_inactive_file": 20}}) == 10


def test_bytes_size_like_go_units() -> None:
    assert [bytes_size(v) for v in (0, 1023, 1024, 2 * MB + 1000, 25_275_973_632)] == \
        ["0B", "1023B", "1KiB", "2.001MiB", "23.54GiB"]


def test_row_cells() -> None:
    row = StatsRow("web", SAMPLE)
    assert (row.ID(), row.Name(), row.CPUPerc(), row.MemUsage(), row.MemPerc()) == \
        ("0123456789ab", "web", "20.00%", "2MiB / 64MiB", "3.12%")
    assert (row.NetIO(), row.BlockIO(), row.PIDs()) == ("2kB / 648B", "4.1MB / 1kB", "3")
    assert StatsRow("web", SAMPLE, trunc=False).ID() == SAMPLE["id"]


def test_failed_row_shows_dashes() -> None:
    row = StatsRow("gone", None)
    assert (row.ID(), row.Name(), row.CPUPerc(), row.MemUsage(), row.PIDs()) == \
        ("gone", "--", "--", "-- / --", "--")


def test_table_and_json() -> None:
    lines = render("", STATS_TABLE, [StatsRow("web", SAMPLE)], STATS_HEADERS)
    assert lines[0].split("   ")[0] == "CONTAINER ID"
    assert lines[1].startswith("0123456789ab   web ")
    [line] = render("json", STATS_TABLE, [StatsRow("web", SAMPLE)], STATS_HEADERS)
    assert '"BlockIO":"4.1MB / 1kB"' in line and '"Container":"web"' in line


def parse(*argv: str) -> Any:
    return FlagParser(UPDATE.flags).parse(list(argv))


def test_update_body_from_flags() -> None:
    opts = parse("-m", "64m", "--memory-swap", "-1", "--cpus", "0.5", "-c", "512",
                 "--pids-limit", "-1", "--restart", "on-failure:3", "web")
    assert update_config(opts) == {
        "Memory": 64 * MB, "MemorySwap": -1, "NanoCpus": 500_000_000, "CpuShares": 512,
        "PidsLimit": -1, "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3}}


def test_unsupported_update_flag_is_refused() -> None:
    from wharf.cli.commands.update import update

    with pytest.raises(CommandFailed) as failed:
        update(None, parse("--cpuset-cpus", "0", "web"))  # type: ignore[arg-type]
    assert failed.value.status == 125
