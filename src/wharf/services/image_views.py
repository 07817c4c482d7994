"""Images as Docker shows them: records, JSON shapes, timestamps, and list filters."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from wharf.core.errors import InvalidParameter
from wharf.core.filters import label_matches
from wharf.core.timefmt import rfc3339_nano

__all__ = [
    "DEFAULT_CONTAINER_CONFIG",
    "FILTERS",
    "Image",
    "ImageFilter",
    "familiar_match",
    "glob_match",
    "inspect_config",
    "rfc3339_nano",
    "summary",
    "unix_nanos",
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
    nanos = unix_nanos(created)
    return 0 if nanos is None else nanos // 1_000_000_000


_RFC3339 = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?\d*([Zz]|[+-]\d{2}:\d{2})?$"
)


def unix_nanos(created: str) -> int | None:
    """An RFC 3339 time (any fraction, any offset) as nanoseconds since the epoch."""
    match = _RFC3339.match(created.strip())
    if match is None:
        return None
    day, clock, fraction, zone = match.groups()
    offset = "+00:00" if zone in (None, "Z", "z") else zone
    try:
        when = datetime.fromisoformat(f"{day}T{clock}{offset}")
    except ValueError:
        return None
    return int(when.timestamp()) * 1_000_000_000 + int((fraction or "0").ljust(9, "0"))


def glob_match(pattern: str, text: str) -> bool:
    """Go's ``path.Match``: ``*`` and ``?`` never match ``/``; ``[...]`` classes (``^`` negates,
    ranges), ``\\`` escapes. A malformed pattern is an InvalidParameter, as Go's ErrBadPattern."""
    regex, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            regex.append("[^/]*")
        elif char == "?":
            regex.append("[^/]")
        elif char == "\\":
            if i + 1 >= len(pattern):
                raise InvalidParameter("syntax error in pattern")
            i += 1
            regex.append(re.escape(pattern[i]))
        elif char == "[":
            i, klass = _char_class(pattern, i)
            regex.append(klass)
        else:
            regex.append(re.escape(char))
        i += 1
    return re.fullmatch("".join(regex), text) is not None


def _char_class(pattern: str, start: int) -> tuple[int, str]:
    """The class opening at ``start``: (index of its ``]``, its regex)."""
    i = start + 1
    negate = pattern[i : i + 1] == "^"
    i += negate
    parts: list[str] = []
    while i < len(pattern) and pattern[i] != "]":
        char = pattern[i]
        if char == "\\":
            i += 1
            if i >= len(pattern):
                break
            char = pattern[i]
        if char == "-" and parts and i + 1 < len(pattern) and pattern[i + 1] != "]":
            parts.append("-")
        else:
            parts.append(re.escape(char))
        i += 1
    if i >= len(pattern) or not parts or parts[-1] == "-":
        raise InvalidParameter("syntax error in pattern")
    return i, f"[{'^/' if negate else ''}{''.join(parts)}]"


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
    """``GET /images/json`` filters (dangling, label, before, since, reference, until), with
    moby's rules: ``reference`` keeps only the references it matches (an image none match is
    left out), ``dangling=true`` lists untagged images without children."""

    def __init__(self, filters: dict[str, list[str]], created_of: Callable[[str], str]) -> None:
        for key in filters:
            if key not in FILTERS:
                raise InvalidParameter(f"invalid filter '{key}'")
        self._filters = filters
        self.dangling: bool | None = None
        for value in filters.get("dangling", []):
            if value.lower() not in ("true", "false", "1", "0"):
                raise InvalidParameter(f"invalid filter 'dangling={value}'")
            self.dangling = value.lower() in ("true", "1")
        self._before = [_instant(created_of(r)) for r in filters.get("before", [])]
        self._since = [_instant(created_of(r)) for r in filters.get("since", [])]
        self._until = [until_timestamp(v) * 1_000_000_000 for v in filters.get("until", [])]
        self._patterns = filters.get("reference", [])
        for pattern in self._patterns:
            glob_match(pattern, "")  # a malformed pattern is an error, not "no match"

    def select(self, img: Image, has_children: bool = False, all_: bool = False) -> Image | None:
        """``img`` as listed (its references narrowed by ``reference``), or None."""
        if self.dangling and has_children:
            return None
        created = _instant(img.created)
        if any(created >= b for b in self._before) or any(created <= s for s in self._since):
            return None
        if any(created > u for u in self._until):
            return None
        labels = (img.config.get("config") or {}).get("Labels") or {}
        if not all(label_matches(labels, wanted) for wanted in self._filters.get("label", [])):
            return None
        tags = [t for t in img.repo_tags if self._wanted(t)]
        digests = [d for d in img.repo_digests if self._wanted(d)]
        if self.dangling and tags:
            return None
        hidden = (not all_ and has_children) or self.dangling is False or bool(self._patterns)
        if not tags and not digests and hidden:
            return None
        return replace(img, repo_tags=tags, repo_digests=digests)

    def _wanted(self, ref: str) -> bool:
        return not self._patterns or any(familiar_match(p, ref) for p in self._patterns)


def familiar_match(pattern: str, ref: str) -> bool:
    """distribution's ``FamiliarMatch``: the pattern against the familiar reference, then
    against its familiar name alone."""
    if glob_match(pattern, ref):
        return True
    name = ref.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    return glob_match(pattern, name)


def _instant(created: str) -> int:
    return unix_nanos(created) or 0
