"""A container's health-check settings at create: ``Config.Healthcheck`` merged over the
image's as dockerd merges them (the merged check is what inspect shows), and wharf's
``--health-on-failure`` action (Podman's), carried by the label ``wharf.health-on-failure``:
the docker CLI and API have no field for it, and a label travels through both unchanged
(``docker run --label wharf.health-on-failure=restart`` works too)."""

from __future__ import annotations

from typing import Any

from wharf.core.errors import InvalidParameter

ON_FAILURE_LABEL = "wharf.health-on-failure"
ON_FAILURE_ACTIONS = ("none", "kill", "restart", "stop")
_DURATIONS = ("Interval", "Timeout", "StartPeriod", "StartInterval", "Retries")


def merge_healthcheck(user: dict[str, Any] | None,
                      image: dict[str, Any] | None) -> dict[str, Any] | None:
    """dockerd's merge: no check of the user's takes the image's; an empty test or a zero
    setting of the user's takes the image's."""
    if not image:
        return user
    if user is None:
        return dict(image)
    merged = dict(user)
    if not merged.get("Test"):
        merged["Test"] = image.get("Test")
    for key in _DURATIONS:
        if not merged.get(key) and image.get(key):
            merged[key] = image[key]
    return merged


def on_failure_action(labels: dict[str, str]) -> str:
    """The action when the container turns unhealthy (``none`` unless the label says)."""
    action = labels.get(ON_FAILURE_LABEL, "none") or "none"
    if action not in ON_FAILURE_ACTIONS:
        raise InvalidParameter(f"invalid value for {ON_FAILURE_LABEL}: {action!r} (none, kill, "
                               "restart or stop)")
    return action
