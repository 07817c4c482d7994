"""A container's durable record: what ``docker inspect`` shows, kept as typed dataclasses.

``Config``/``HostConfig``/``NetworkingConfig`` stay Docker's own dicts (they are Docker's data
model and go back out unchanged); the lifecycle state is typed. Records are stored as JSON in
the metadata DB (``to_json``/``from_json``).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from wharf.core.timefmt import ZERO_TIME


@dataclass
class ContainerState:
    status: str = "created"  # created|running|paused|restarting|removing|exited|dead
    pid: int = 0
    exit_code: int = 0
    error: str = ""
    oom_killed: bool = False
    dead: bool = False
    restarting: bool = False
    started_at: str = ZERO_TIME
    finished_at: str = ZERO_TIME
    health: dict[str, Any] | None = None  # State.Health (Status, FailingStreak, Log)

    @property
    def running(self) -> bool:
        return self.status in ("running", "paused")

    @property
    def paused(self) -> bool:
        return self.status == "paused"


@dataclass
class ContainerRecord:
    id: str
    name: str  # without the leading "/"
    created: str
    image_id: str
    path: str
    args: list[str]
    config: dict[str, Any]
    host_config: dict[str, Any]
    networking_config: dict[str, Any] = field(default_factory=dict)
    network_settings: dict[str, Any] = field(default_factory=dict)  # inspect's, as last set
    network_ifnames: dict[str, str] = field(default_factory=dict)  # network → eth<n> inside
    state: ContainerState = field(default_factory=ContainerState)
    restart_count: int = 0
    has_been_started: bool = False
    manually_stopped: bool = False  # dockerd's HasBeenManuallyStopped (docker stop/kill)
    runtime: str = "wharf"
    graph_driver: dict[str, Any] = field(default_factory=dict)
    mounts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def tty(self) -> bool:
        return bool(self.config.get("Tty"))

    @property
    def labels(self) -> dict[str, str]:
        labels = self.config.get("Labels") or {}
        return {str(k): str(v) for k, v in labels.items()}

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> ContainerRecord:
        """A stored record; keys this version does not know (a newer writer) are ignored."""
        data = json.loads(text)
        state_fields = {f.name for f in dataclasses.fields(ContainerState)}
        state = ContainerState(**{k: v for k, v in data.pop("state", {}).items()
                                  if k in state_fields})
        record_fields = {f.name for f in dataclasses.fields(cls)} - {"state"}
        return cls(state=state, **{k: v for k, v in data.items() if k in record_fields})
