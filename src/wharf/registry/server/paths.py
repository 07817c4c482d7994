"""Request paths of the distribution API, parsed into a :class:`Route` by one table of regexes.

    /v2/                                   base (version check)
    /v2/_catalog                           catalog
    /v2/<name>/blobs/<digest>              blob
    /v2/<name>/blobs/uploads/              upload start
    /v2/<name>/blobs/uploads/<id>          upload session
    /v2/<name>/manifests/<tag|digest>      manifest
    /v2/<name>/tags/list                   tags
    /v1/search                             search (Docker's v1 search API)
    /v1/_ping                              what dockerd probes before a v1 search
    /wharf/v1/repositories/<name>/stars    stars (wharf's admin extension)

``<name>`` follows the spec's grammar (lowercase path components separated by ``/``); a path that
has the shape of an endpoint but a bad name, tag or digest is a NAME_INVALID / MANIFEST_INVALID /
DIGEST_INVALID error, and a path that matches nothing is a 404.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wharf.core.digest import Digest
from wharf.core.errors import InvalidParameter
from wharf.registry.server.errors import RegistryError

__all__ = ["Route", "parse_count", "parse_digest", "parse_route", "validate_name", "validate_tag"]

NAME_MAX = 255
_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
_NAME_RE = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
_TAG_RE = re.compile(r"[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}")
# ASCII digits only (str.isdigit and \d accept other scripts' digits), at most 18 of them:
# int() of more than 4300 digits raises, and no count, offset or size here needs more.
COUNT_RE = re.compile(r"[0-9]{1,18}")

_ROUTES: list[tuple[str, re.Pattern[str]]] = [
    ("base", re.compile(r"/v2/?")),
    ("catalog", re.compile(r"/v2/_catalog")),
    ("upload_start", re.compile(r"/v2/(?P<name>.+)/blobs/uploads/?")),
    ("upload", re.compile(r"/v2/(?P<name>.+)/blobs/uploads/(?P<arg>[^/]+)")),
    ("blob", re.compile(r"/v2/(?P<name>.+)/blobs/(?P<arg>[^/]+)")),
    ("manifest", re.compile(r"/v2/(?P<name>.+)/manifests/(?P<arg>[^/]+)")),
    ("tags", re.compile(r"/v2/(?P<name>.+)/tags/list")),
    ("search", re.compile(r"/v1/search")),
    ("ping_v1", re.compile(r"/v1/_ping")),
    ("stars", re.compile(r"/wharf/v1/repositories/(?P<name>.+)/stars")),
]


@dataclass(frozen=True)
class Route:
    """Which endpoint a path names: ``kind`` (a key of the table above), the repository
    ``name`` and the last argument (digest, tag or upload id) where the endpoint has them."""

    kind: str
    name: str = ""
    arg: str = ""


def parse_route(path: str) -> Route | None:
    """The endpoint ``path`` names, with its name validated; None when it names none."""
    for kind, pattern in _ROUTES:
        match = pattern.fullmatch(path)
        if match is None:
            continue
        groups = match.groupdict()
        name = groups.get("name") or ""
        if name:
            validate_name(name)
        return Route(kind, name, groups.get("arg") or "")
    return None


def validate_name(name: str) -> None:
    """NAME_INVALID unless ``name`` is a repository name of the spec's grammar."""
    if len(name) > NAME_MAX or not _NAME_RE.fullmatch(name):
        raise RegistryError("NAME_INVALID", detail={"name": name[:NAME_MAX]})


def validate_tag(tag: str) -> None:
    """MANIFEST_INVALID unless ``tag`` matches the spec's tag grammar."""
    if not _TAG_RE.fullmatch(tag):
        raise RegistryError("MANIFEST_INVALID", f"invalid tag: {tag[:200]!r}")


def parse_count(text: str) -> int | None:
    """A non-negative integer from a query or header, None when ``text`` is not one."""
    return int(text) if COUNT_RE.fullmatch(text) else None


def parse_digest(text: str) -> Digest:
    """A sha256 digest, or DIGEST_INVALID (other algorithms are refused with the same code)."""
    try:
        return Digest.parse(text)
    except InvalidParameter as exc:
        raise RegistryError("DIGEST_INVALID", str(exc), detail={"digest": text[:200]}) from exc


def is_digest_reference(reference: str) -> bool:
    """True when a manifest reference is a digest (has ``:``) rather than a tag."""
    return ":" in reference
