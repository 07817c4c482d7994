"""How a shim is asked to run one container: the record the container service fills, the shim
client writes as ``shim.json`` and the shim reads back (docs/contracts.md, "Shim").

One record for both sides of the seam: ``services`` builds it, ``runtime`` serializes and
reads it; it lives in ``core`` so each may import it without importing the other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["SHIM_SERVER_PARENT_ENV", "ShimConfig"]

# the daemon that starts the shim fork server names its pid here (the server dies with it)
SHIM_SERVER_PARENT_ENV = "WHARF_SHIM_SERVER_PARENT"


@dataclass(frozen=True)
class ShimConfig:
    """The content of shim.json.

    ``log_max_size``: rotate the json-file log when it would grow past it (0: never);
    ``log_max_files``: files kept, the live one included (``<log>.1`` ... are the older ones).
    """

    id: str
    bundle: Path
    runtime: str
    runtime_root: Path
    tty: bool
    open_stdin: bool
    stdin_once: bool
    log_path: Path
    log_max_size: int = 0
    log_max_files: int = 1

    def to_json(self) -> str:
        return json.dumps({
            "id": self.id,
            "bundle": str(self.bundle),
            "runtime": self.runtime,
            "runtime_root": str(self.runtime_root),
            "tty": self.tty,
            "open_stdin": self.open_stdin,
            "stdin_once": self.stdin_once,
            "log_path": str(self.log_path),
            "log_max_size": self.log_max_size,
            "log_max_files": self.log_max_files,
        })

    @classmethod
    def from_json(cls, text: str | bytes) -> ShimConfig:
        raw: dict[str, Any] = json.loads(text)
        return cls(
            id=str(raw["id"]),
            bundle=Path(raw["bundle"]),
            runtime=str(raw.get("runtime") or "runc"),
            runtime_root=Path(raw["runtime_root"]),
            tty=bool(raw.get("tty", False)),
            open_stdin=bool(raw.get("open_stdin", False)),
            stdin_once=bool(raw.get("stdin_once", False)),
            log_path=Path(raw["log_path"]),
            log_max_size=int(raw.get("log_max_size") or 0),
            log_max_files=max(1, int(raw.get("log_max_files") or 1)),
        )
