"""A container's durable record: what ``docker inspect`` shows, kept as typed dataclasses.

``Config``/``HostConfig``/``NetworkingConfig`` stay Docker's own dicts (they are Docker's data
model and go back out unchanged); the lifecycle state is typed. Records are stored as JSON in
the metadata DB (``to_json``/``from_json``).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

ZERO_TIME = "0001-01-01T00:00:00Z"


def now_rfc3339() -> str:
    """Docker's timestamp format: UTC, nanosecond precision, ``Z``."""
    return rfc3339_nano(datetime.now(UTC).timestamp())


def rfc3339_nano(epoch_seconds: float) -> str:
    moment = datetime.fromtimestamp(epoch_seconds, UTC)
    nanos = round((epoch_seconds - int(epoch_seconds)) * 1e9)
    nanos = min(nanos, 999_999_999)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos:09d}Z"


def parse_rfc3339(text: str) -> float:
    """Seconds since the epoch of an RFC 3339 time with up to nanoseconds (0 for zero time)."""
    if not text or text.startswith("0001-01-01"):
        return 0.0
    main, _, rest = text.partition(".")
    fraction = "0"
    zone = ""
    if rest:
        digits = ""
        for index, char in enumerate(rest):
            if not char.isdigit():
                zone = rest[index:]
                break
            digits += char
        fraction = digits or "0"
    elif main.endswith("Z"):
        main, zone = main[:-1], "Z"
    else:
        main, zone = main[:19], main[19:]
    zone = "+00:00" if zone in ("Z", "") else zone
    moment = datetime.fromisoformat(main + zone)
    return moment.timestamp() + float("0." + fraction)


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
    state: ContainerState = field(default_factory=ContainerState)
    restart_count: int = 0
    has_been_started: bool = False
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
