"""Images as Docker shows them: records, JSON shapes, timestamps, and list filters."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from wharf.core.errors import InvalidParameter
from wharf.core.filters import label_matches
from wharf.core.timefmt import rfc3339_nano

__all__ = [
    "DEFAULT_CONTAINER_CONFIG",
    "FILTERS",
    "Image",
    "ImageFilter",
    "glob_match",
    "inspect_config",
    "rfc3339_nano",
    "summary",
    "unix_seconds",
    "until_timestamp",
]

FILTERS = frozenset({"dangling", "label", "before", "since", "reference", "until"})
DEFAULT_CONTAINER_CONFIG: dict[str, Any] = {
    "Hostname": "",
    "Domainname": "",
    "User": "",
    "AttachStdin": False,
    "AttachStdout": False,
    "AttachStderr": False,
    "Tty": False,
    "OpenStdin": False,
    "StdinOnce": False,
    "Env": None,
    "Cmd": None,
    "Image": "",
    "Volumes": None,
    "WorkingDir": "",
    "Entrypoint": None,
    "OnBuild": None,
    "Labels": None,
}


# Docker's container.Config field order; the optional ones (omitempty) appear only when set.
_CONFIG_ORDER = (
    "Hostname",
    "Domainname",
    "User",
    "AttachStdin",
    "AttachStdout",
    "AttachStderr",
    "ExposedPorts",
    "Tty",
    "OpenStdin",
    "StdinOnce",
    "Env",
    "Cmd",
    "Healthcheck",
    "ArgsEscaped",
    "Image",
    "Volumes",
    "WorkingDir",
    "Entrypoint",
    "NetworkDisabled",
    "MacAddress",
    "OnBuild",
    "Labels",
    "StopSignal",
    "StopTimeout",
    "Shell",
)


def inspect_config(config: dict[str, Any]) -> dict[str, Any]:
    """An image's ``Config`` as ``docker image inspect`` shows it: Docker's defaults filled
    in, keys in Docker's order (unknown keys last)."""
    merged = {**DEFAULT_CONTAINER_CONFIG, **config}
    ordered = {key: merged.pop(key) for key in _CONFIG_ORDER if key in merged}
    return {**ordered, **merged}


@dataclass(frozen=True)
class Image:
    id: str
    config: dict[str, Any]
    repo_tags: list[str]
    repo_digests: list[str]
    created: str
    size: int
    chain_ids: list[str]



def unix_seconds(created: str) -> int:
    text = created.rstrip("Z").split(".")[0]
    try:
        return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())
    except ValueError:
        return 0


def glob_match(pattern: str, text: str) -> bool:
    """Go's ``path.Match``: ``*`` and ``?`` never match ``/``; ``[...]`` classes, ``\\`` escapes."""
    regex, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            regex.append("[^/]*")
        elif char == "?":
            regex.append("[^/]")
        elif char == "\\" and i + 1 < len(pattern):
            i += 1
            regex.append(re.escape(pattern[i]))
        elif char == "[" and "]" in pattern[i + 1 :]:
            end = pattern.index("]", i + 2 if pattern[i + 1 : i + 2] in ("^", "!") else i + 1)
            body = pattern[i + 1 : end]
            negate = body[:1] in ("^", "!")
            body = body[1:] if negate else body
            regex.append(f"[{'^/' if negate else ''}{body.replace(chr(92), chr(92) * 2)}]")
            i = end
        else:
            regex.append(re.escape(char))
        i += 1
    return re.fullmatch("".join(regex), text) is not None


def until_timestamp(value: str, now: float | None = None) -> int:
    """Docker's ``until``: unix seconds, a Go duration (``24h``, ``90m``) back from now, or
    an RFC 3339 time."""
    now = time.time() if now is None else now
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return int(float(value))
    duration = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", value)
    if duration and value:
        h, m, sec = (int(g or 0) for g in duration.groups())
        return int(now) - (h * 3600 + m * 60 + sec)
    seconds = unix_seconds(value)
    if seconds == 0:
        raise InvalidParameter(f"invalid filter 'until={value}'")
    return seconds


def summary(img: Image) -> dict[str, Any]:
    labels = (img.config.get("config") or {}).get("Labels")
    return {
        "Containers": -1,
        "Created": unix_seconds(img.created),
        "Id": img.id,
        "Labels": labels or None,
        "ParentId": "",
        "RepoDigests": img.repo_digests,
        "RepoTags": img.repo_tags,
        "SharedSize": -1,
        "Size": img.size,
    }


class ImageFilter:
    """``GET /images/json`` filters (dangling, label, before, since, reference)."""

    def __init__(self, filters: dict[str, list[str]], created_of: Callable[[str], str]) -> None:
        for key in filters:
            if key not in FILTERS:
                raise InvalidParameter(f"invalid filter '{key}'")
        self._filters = filters
        self._dangling: bool | None = None
        for value in filters.get("dangling", []):
            if value.lower() not in ("true", "false", "1", "0"):
                raise InvalidParameter(f"Invalid filter 'dangling={value}'")
            self._dangling = value.lower() in ("true", "1")
        self._before = [created_of(r) for r in filters.get("before", [])]
        self._since = [created_of(r) for r in filters.get("since", [])]
        self._until = [until_timestamp(v) for v in filters.get("until", [])]

    def matches(self, img: Image) -> bool:
        if self._dangling is not None and self._dangling != (not img.repo_tags):
            return False
        if any(img.created >= b for b in self._before):
            return False
        if any(img.created <= s for s in self._since):
            return False
        if any(unix_seconds(img.created) > u for u in self._until):
            return False
        labels = (img.config.get("config") or {}).get("Labels") or {}
        if not all(label_matches(labels, wanted) for wanted in self._filters.get("label", [])):
            return False
        patterns = self._filters.get("reference", [])
        return not patterns or any(self._ref_matches(p, img) for p in patterns)

    @staticmethod
    def _ref_matches(pattern: str, img: Image) -> bool:
        for tagged in img.repo_tags:
            name = tagged.rsplit(":", 1)[0] if ":" in tagged.rsplit("/", 1)[-1] else tagged
            if glob_match(pattern, name) or glob_match(pattern, tagged):
                return True
        return False
