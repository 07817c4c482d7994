"""Per-container state kept under ``<state_root>/<id>/``.

    <state_root>/<id>/state.json   runtime-spec state + what the runtime needs later
    <state_root>/<id>/exec.fifo    exists from create until start (the init blocks opening it)
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from wharf.runtime.oci.errors import ContainerStateError

OCI_VERSION = "1.2.0"
VALID_ID = re.compile(r"^[\w+\-.]+$")
EXEC_FIFO = "exec.fifo"


@dataclass
class ContainerState:
    """What ``state.json`` holds; ``to_oci`` is the runtime-spec state (plus runc's fields)."""

    id: str
    pid: int
    bundle: str
    rootfs: str
    created: str
    init_start_time: int
    cgroups_path: str
    annotations: dict[str, str] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)

    def to_oci(self, status: str) -> dict[str, Any]:
        return {
            "ociVersion": OCI_VERSION, "id": self.id,
            "pid": 0 if status == "stopped" else self.pid,
            "status": status, "bundle": self.bundle, "rootfs": self.rootfs,
            "created": self.created, "owner": "", "annotations": self.annotations,
        }


STATE_FIELDS = tuple(f.name for f in fields(ContainerState))



def validate_id(container_id: str) -> None:
    if not VALID_ID.match(container_id) or container_id in (".", ".."):
        raise ContainerStateError(f"invalid container id format: {container_id}")


def container_dir(state_root: Path, container_id: str) -> Path:
    validate_id(container_id)
    return state_root / container_id


def write_state(state_root: Path, state: ContainerState) -> None:
    """Write state.json atomically (tmp + rename), as runc does: no fsync, since the state
    describes processes that a reboot ends anyway. ``json.dumps`` of the fields (not
    ``asdict``, which deep-copies the whole config, nor ``json.dump``, which encodes in Python)."""
    directory = container_dir(state_root, state.id)
    tmp = directory / f".state.json.{os.getpid()}"
    fields = {name: getattr(state, name) for name in STATE_FIELDS}
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        view = memoryview(json.dumps(fields).encode())
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)
    os.replace(tmp, directory / "state.json")


def read_state(state_root: Path, container_id: str) -> ContainerState:
    path = container_dir(state_root, container_id) / "state.json"
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ContainerStateError(f"container {container_id} does not exist") from exc
    return ContainerState(**raw)


def process_start_time(pid: int) -> int | None:
    """Field 22 of /proc/<pid>/stat (start time in ticks), or None when gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def init_alive(state: ContainerState) -> bool:
    """True when the init runs and is the same process (not a reused pid)."""
    return state.pid > 0 and process_start_time(state.pid) == state.init_start_time
