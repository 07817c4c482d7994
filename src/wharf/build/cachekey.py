"""Build cache keys: a step is reused when its parent image, the step as the builder saw it
(after substitution) and its inputs (source digests, build args in scope, mounts) match."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from wharf.build.dockerfile import Instruction

__all__ = ["KEY_VERSION", "instruction_text", "step_key"]

KEY_VERSION = "wharf-build-cache-1"


def instruction_text(inst: Instruction) -> str:
    """The instruction after substitution, flags included, as one stable string."""
    flags = {k: list(v) for k, v in sorted(inst.flags.items())}
    heredocs = [[h.name, h.content, h.expand, h.chomp] for h in inst.heredocs]
    return json.dumps([inst.keyword, list(inst.args), inst.json, flags, heredocs],
                      separators=(",", ":"))


def step_key(parent_id: str, step: str, inputs: Sequence[str] = ()) -> str:
    """``sha256:<hex>`` over the parent image id, the step and its inputs."""
    body = json.dumps([KEY_VERSION, parent_id, step, list(inputs)], separators=(",", ":"))
    return "sha256:" + hashlib.sha256(body.encode()).hexdigest()
