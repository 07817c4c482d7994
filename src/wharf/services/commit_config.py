"""The config ``docker commit`` gives its image, pure: the request's config with the
``changes`` applied, then filled in from the container's config by dockerd's ``merge`` rules
(a field the request leaves empty is the container's; lists and maps are unions where the
request's entries win)."""

from __future__ import annotations

import copy
from typing import Any

from wharf.services.image_changes import apply_changes

__all__ = ["commit_image_config", "created_by"]


def commit_image_config(request: dict[str, Any] | None, changes: list[str],
                        container: dict[str, Any]) -> dict[str, Any]:
    """The committed image's ``config``: ``request`` (the body of ``POST /commit``) with each
    change applied, merged over the container's ``container`` config."""
    user = apply_changes(dict(request or {}), changes)
    _merge(user, copy.deepcopy(container))
    return user


def created_by(container: dict[str, Any]) -> str:
    """The history entry's ``created_by``: the container's command, words joined by spaces
    (what dockerd writes: its ``Cmd``, the entrypoint left out)."""
    return " ".join(str(word) for word in container.get("Cmd") or [])


def _merge(user: dict[str, Any], image: dict[str, Any]) -> None:
    for key in ("User", "WorkingDir", "StopSignal"):
        if not user.get(key) and image.get(key):
            user[key] = image[key]
    _union_map(user, image, "ExposedPorts")
    _union_map(user, image, "Labels", always=True)
    _merge_env(user, image)
    if not user.get("Entrypoint"):
        if not user.get("Cmd"):
            user["Cmd"] = image.get("Cmd")
            if "ArgsEscaped" in image:
                user["ArgsEscaped"] = image["ArgsEscaped"]
        if user.get("Entrypoint") is None:
            user["Entrypoint"] = image.get("Entrypoint")
    _merge_healthcheck(user, image)
    volumes = dict(user.get("Volumes") or {})
    volumes.update(image.get("Volumes") or {})
    if volumes:
        user["Volumes"] = volumes


def _union_map(user: dict[str, Any], image: dict[str, Any], key: str,
               always: bool = False) -> None:
    merged = dict(image.get(key) or {})
    merged.update(user.get(key) or {})
    if merged or always:
        user[key] = merged


def _merge_env(user: dict[str, Any], image: dict[str, Any]) -> None:
    env = list(user.get("Env") or [])
    keys = {entry.partition("=")[0] for entry in env}
    env.extend(entry for entry in image.get("Env") or []
               if entry.partition("=")[0] not in keys)
    if env:
        user["Env"] = env


def _merge_healthcheck(user: dict[str, Any], image: dict[str, Any]) -> None:
    """A request's health check inherits what it leaves out (dockerd: a test of none takes
    the image's whole test; zero durations and retries take the image's)."""
    theirs = image.get("Healthcheck")
    if not theirs:
        return
    mine = user.get("Healthcheck")
    if not mine:
        user["Healthcheck"] = theirs
        return
    merged = dict(mine)
    if not merged.get("Test"):
        merged["Test"] = theirs.get("Test")
    for key in ("Interval", "Timeout", "StartPeriod", "StartInterval", "Retries"):
        if not merged.get(key) and theirs.get(key):
            merged[key] = theirs[key]
    user["Healthcheck"] = merged
