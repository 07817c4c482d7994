"""Waiting on containers: a dependency's ``condition`` before its dependents start
(``service_healthy`` polls ``State.Health``, ``service_completed_successfully`` waits for exit
0), and ``up --wait`` (running, and healthy when a health check is set). Every wait is bounded."""

from __future__ import annotations

import time
from typing import Any

from wharf.cli.command import CommandFailed, Context

POLL = 0.25
DEFAULT_TIMEOUT = 300.0


def _state(ctx: Context, ref: str) -> dict[str, Any]:
    state: dict[str, Any] = ctx.client().containers.inspect(ref).get("State") or {}
    return state


def _health_verdict(state: dict[str, Any], name: str) -> bool | None:
    """True healthy, False never will be (unhealthy, exited), None not yet."""
    health = state.get("Health")
    if not isinstance(health, dict):
        raise CommandFailed(1, f"container {name} has no healthcheck configured")
    status = health.get("Status")
    if status == "healthy":
        return True
    if status == "unhealthy":
        raise CommandFailed(1, f"dependency failed to start: container {name} is unhealthy")
    if not state.get("Running"):
        raise CommandFailed(1, f"dependency failed to start: container {name} exited "
                               f"({state.get('ExitCode', 0)})")
    return None


def wait_healthy(ctx: Context, containers: list[tuple[str, str]],
                 timeout: float = DEFAULT_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    pending = list(containers)
    while pending:
        pending = [(cid, name) for cid, name in pending
                   if not _health_verdict(_state(ctx, cid), name)]
        if not pending:
            return
        if time.monotonic() > deadline:
            raise CommandFailed(1, f"container {pending[0][1]} did not become healthy in "
                                   f"{timeout:g}s")
        time.sleep(POLL)


def wait_completed(ctx: Context, service: str, containers: list[tuple[str, str]]) -> None:
    """Each container's exit; anything but 0 fails its dependents' start, as compose."""
    for cid, _name in containers:
        result = ctx.client().containers.wait(cid)
        code = int(result.get("StatusCode") or 0)
        if code != 0:
            raise CommandFailed(1, f"service \"{service}\" didn't complete successfully: "
                                   f"exit {code}")


def wait_running(ctx: Context, containers: list[tuple[str, str]], timeout: float) -> None:
    """``up --wait``: each container running, and healthy when it has a health check."""
    deadline = time.monotonic() + timeout
    pending = list(containers)
    while pending:
        still = []
        for cid, name in pending:
            state = _state(ctx, cid)
            if not state.get("Running"):
                raise CommandFailed(1, f"container {name} exited ({state.get('ExitCode', 0)})")
            if isinstance(state.get("Health"), dict) and not _health_verdict(state, name):
                still.append((cid, name))
        pending = still
        if pending and time.monotonic() > deadline:
            raise CommandFailed(1, f"timeout waiting for {pending[0][1]} to be healthy")
        if pending:
            time.sleep(POLL)
