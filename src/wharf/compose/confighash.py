"""The config hash compose writes in ``com.docker.compose.config-hash``: a digest of what the
service's container is made of, so ``up`` recreates a container exactly when that changed.

Taken over the create body (environment files and variables already resolved), without what
differs between containers of one service (the number, the one-off flag) or describes the
project rather than the service (its files, directory, dependency list, compose version).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from wharf.compose import labels as L

_NOT_HASHED = frozenset({L.NUMBER, L.ONEOFF, L.CONFIG_HASH, L.WORKING_DIR, L.CONFIG_FILES,
                         L.DEPENDS_ON, L.VERSION, L.ENVIRONMENT_FILE})


def config_hash(body: dict[str, Any]) -> str:
    """sha256 (hex) of ``body`` in canonical JSON, instance labels left out."""
    labels = {k: v for k, v in (body.get("Labels") or {}).items() if k not in _NOT_HASHED}
    canonical = json.dumps({**body, "Labels": labels}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
