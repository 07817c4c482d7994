"""The client configuration file docker reads: ``$DOCKER_CONFIG/config.json``, else
``~/.docker/config.json``. wharf reads the keys it implements (``detachKeys``); a missing or
unreadable file means "no settings", as for docker."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

CONFIG_FILE = "config.json"


def config_dir(env: Mapping[str, str]) -> str:
    return env.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")


def load_client_config(env: Mapping[str, str]) -> dict[str, Any]:
    try:
        with open(os.path.join(config_dir(env), CONFIG_FILE), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def detach_keys_setting(flag: str, env: Mapping[str, str]) -> str:
    """The detach keys to use: the flag, else ``detachKeys`` of the config file, else ""
    (the daemon's default, ctrl-p,ctrl-q)."""
    if flag:
        return flag
    value = load_client_config(env).get("detachKeys")
    return value if isinstance(value, str) else ""
