"""``docker top``: run the host's ``ps`` once and keep the rows of the container's pids."""

from __future__ import annotations

import asyncio
import shlex
from typing import Any

from wharf.core.errors import InvalidParameter, WharfError


def parse_ps(output: str, pids: set[int]) -> dict[str, Any]:
    """Docker's parsing: titles from the header, rows whose PID column is one of ``pids``."""
    lines = [line for line in output.splitlines() if line.strip()]
    if not lines:
        raise WharfError("Error running top: ps produced no output")
    titles = lines[0].split()
    try:
        pid_index = titles.index("PID")
    except ValueError:
        raise WharfError("Couldn't find PID field in ps output") from None
    processes = []
    for line in lines[1:]:
        fields = line.split(None, len(titles) - 1)
        if len(fields) <= pid_index or not fields[pid_index].isdigit():
            continue
        if int(fields[pid_index]) in pids:
            processes.append(fields)
    return {"Titles": titles, "Processes": processes}


async def top(pids: list[int], ps_args: str = "-ef") -> dict[str, Any]:
    args = shlex.split(ps_args or "-ef")
    proc = await asyncio.create_subprocess_exec(
        "ps", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise InvalidParameter(
            f"ps: {err.decode(errors='replace').strip() or 'exit status ' + str(proc.returncode)}"
        )
    return parse_ps(out.decode(errors="replace"), set(pids))
