"""OCI hooks (prestart, createRuntime, poststart, poststop): run with the state on stdin."""

from __future__ import annotations

import json
import os
from typing import Any

from wharf.runtime.oci.errors import RuntimeCreateError

DEFAULT_HOOK_TIMEOUT = 120.0


def run_hooks(hooks: dict[str, list[dict[str, Any]]], kinds: tuple[str, ...],
              state: dict[str, Any]) -> None:
    """Run every hook of ``kinds`` in order; a failing hook raises ``RuntimeCreateError``."""
    if not any(hooks.get(kind) for kind in kinds):
        return
    import subprocess  # only containers with hooks pay for the import

    payload = json.dumps(state).encode()
    for kind in kinds:
        for hook in hooks.get(kind) or ():
            args = hook.get("args") or [hook["path"]]
            env = dict(item.split("=", 1) for item in hook.get("env") or () if "=" in item)
            try:
                subprocess.run(args, executable=hook["path"], input=payload, check=True,
                               env=env or dict(os.environ), capture_output=True,
                               timeout=hook.get("timeout") or DEFAULT_HOOK_TIMEOUT)
            except (OSError, subprocess.SubprocessError) as exc:
                detail = getattr(exc, "stderr", b"") or b""
                raise RuntimeCreateError(
                    f"error running {kind} hook {hook['path']}: {exc} "
                    f"{detail.decode(errors='replace').strip()}") from exc
