"""The empty sections of Docker's container stats JSON (``ContainerStatsResponse``): what the
cgroup readers start from and what dockerd answers for a container that is not running."""

from __future__ import annotations

from typing import Any

BLKIO_KEYS = ("io_service_bytes_recursive", "io_serviced_recursive", "io_queue_recursive",
              "io_service_time_recursive", "io_wait_time_recursive", "io_merged_recursive",
              "io_time_recursive", "sectors_recursive")


def empty_blkio() -> dict[str, Any]:
    """Every block I/O list null, as dockerd reports them without a blkio controller."""
    return dict.fromkeys(BLKIO_KEYS)


def empty_cpu() -> dict[str, Any]:
    return {"cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0, "usage_in_usermode": 0},
            "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0}}
