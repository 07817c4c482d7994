"""What the shim reads from the bundle's config.json: the cgroup and the init's process.

An exec'd process gets what the init has unless the request says otherwise (Docker copies the
container's capabilities, no-new-privileges, rlimits, user and cwd into an exec), so a terse
``{"args": [...]}`` does not run with no capabilities at all.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

__all__ = ["BundleSpec"]

INHERITED_BY_EXEC = (
    "capabilities", "noNewPrivileges", "rlimits", "user", "cwd", "env", "apparmorProfile",
    "selinuxLabel", "oomScoreAdj",
)
MAX_CONFIG = 16 * 1024 * 1024


class BundleSpec:
    """The parts of ``<bundle>/config.json`` the shim needs (read once, tolerant of damage)."""

    def __init__(self, bundle: Path) -> None:
        spec: dict[str, Any] = {}
        with contextlib.suppress(OSError, ValueError):
            with open(bundle / "config.json", "rb") as f:
                loaded = json.loads(f.read(MAX_CONFIG))
            if isinstance(loaded, dict):
                spec = loaded
        linux = spec.get("linux") if isinstance(spec.get("linux"), dict) else {}
        process = spec.get("process") if isinstance(spec.get("process"), dict) else {}
        self.cgroups_path = str((linux or {}).get("cgroupsPath") or "")
        self._process: dict[str, Any] = process or {}

    def exec_process(self, requested: dict[str, Any], tty: bool) -> dict[str, Any]:
        """``requested`` completed with the init's settings it does not give itself."""
        process = {k: v for k, v in self._process.items() if k in INHERITED_BY_EXEC}
        process.update(requested)
        process.setdefault("cwd", "/")
        process.setdefault("user", {"uid": 0, "gid": 0})
        process["terminal"] = tty
        return process
