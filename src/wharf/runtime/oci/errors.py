"""Errors of wharf's OCI runtime.

    WharfError
    └── RuntimeFailure
        ├── RuntimeCreateError     the container (or an exec'd process) could not be created;
        │                          the message follows runc's wording (``exec: "x": ...``)
        └── ContainerStateError    unknown id, already exists, wrong status for the operation
"""

from __future__ import annotations

from wharf.core.errors import RuntimeFailure


class RuntimeCreateError(RuntimeFailure):
    """Creating the container or an exec'd process failed (runc's message wording)."""


class ContainerStateError(RuntimeFailure):
    """The container does not exist, already exists, or is in the wrong state."""
