"""``wharf update``: new resource limits or restart policy for one or more containers, with
docker's flags. Flags wharf does not update yet (blkio weight, cpuset, realtime) are refused
(exit 125) rather than ignored."""

from __future__ import annotations

from typing import Any

from wharf.cli.command import Command, CommandFailed, Context
from wharf.cli.commands.common import for_each
from wharf.cli.flags import INT, STRING, Flag, Parsed

REFUSED = ("blkio-weight", "cpu-rt-period", "cpu-rt-runtime", "cpuset-cpus", "cpuset-mems",
           "kernel-memory")


def update_config(opts: Parsed) -> dict[str, Any]:
    """The request body from the flags that were given (docker sends only those as non-zero)."""
    from wharf.cli.runconfig import parse_bytes, parse_cpus, parse_restart

    config: dict[str, Any] = {}
    for flag, key in (("memory", "Memory"), ("memory-reservation", "MemoryReservation")):
        if opts[flag]:
            config[key] = parse_bytes(str(opts[flag]), f"--{flag}")
    if opts["memory-swap"]:
        swap = str(opts["memory-swap"])
        config["MemorySwap"] = -1 if swap == "-1" else parse_bytes(swap, "--memory-swap")
    if opts["cpus"]:
        config["NanoCpus"] = parse_cpus(str(opts["cpus"]))
    for flag, key in (("cpu-shares", "CpuShares"), ("cpu-period", "CpuPeriod"),
                      ("cpu-quota", "CpuQuota")):
        if opts[flag]:
            config[key] = int(opts[flag])
    if opts.changed("pids-limit"):
        config["PidsLimit"] = int(opts["pids-limit"])
    if opts.changed("restart"):
        config["RestartPolicy"] = parse_restart(str(opts["restart"]))
    return config


def update(ctx: Context, opts: Parsed) -> int:
    for name in REFUSED:
        if opts.changed(name):
            raise CommandFailed(125, f"wharf update: --{name} is not supported yet")
    if not any(opts.changed(flag.name) for flag in UPDATE.flags):
        raise CommandFailed(1, "you must provide one or more flags when using this command")
    config = update_config(opts)
    client = ctx.client()

    def apply(ref: str) -> None:
        for warning in client.containers.update(ref, config).get("Warnings") or []:
            ctx.err(str(warning))

    return for_each(ctx, list(opts.args), apply)


UPDATE = Command(
    "[OPTIONS] CONTAINER [CONTAINER...]", "Update configuration of one or more containers",
    update,
    flags=(
        Flag("blkio-weight", "", INT, "Block IO (relative weight), between 10 and 1000, or 0 "
                                      "to disable (default 0)", type_name="uint16"),
        Flag("cpu-period", "", INT, "Limit CPU CFS (Completely Fair Scheduler) period",
             type_name="int64"),
        Flag("cpu-quota", "", INT, "Limit CPU CFS (Completely Fair Scheduler) quota",
             type_name="int64"),
        Flag("cpu-rt-period", "", INT, "Limit the CPU real-time period in microseconds",
             type_name="int64"),
        Flag("cpu-rt-runtime", "", INT, "Limit the CPU real-time runtime in microseconds",
             type_name="int64"),
        Flag("cpu-shares", "c", INT, "CPU shares (relative weight)", type_name="int64"),
        Flag("cpus", "", STRING, "Number of CPUs", type_name="decimal"),
        Flag("cpuset-cpus", "", STRING, "CPUs in which to allow execution (0-3, 0,1)"),
        Flag("cpuset-mems", "", STRING, "MEMs in which to allow execution (0-3, 0,1)"),
        Flag("kernel-memory", "", STRING, "Kernel memory limit (deprecated)", type_name="bytes",
             hidden=True),
        Flag("memory", "m", STRING, "Memory limit", type_name="bytes"),
        Flag("memory-reservation", "", STRING, "Memory soft limit", type_name="bytes"),
        Flag("memory-swap", "", STRING, "Swap limit equal to memory plus swap: -1 to enable "
                                        "unlimited swap", type_name="bytes"),
        Flag("pids-limit", "", INT, "Tune container pids limit (set -1 for unlimited)",
             type_name="int64"),
        Flag("restart", "", STRING, "Restart policy to apply when a container exits"),
    ),
    min_args=1,
)
