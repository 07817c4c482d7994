"""Image references in Docker's grammar (distribution/reference), normalized and familiar forms.

    reference := name [ ":" tag ] [ "@" digest ]
    name      := [ domain "/" ] path-component ( "/" path-component )*
    domain    := host [ ":" port ]       the first component when it has "." or ":", is
                                         "localhost", or has upper case letters
    path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
    tag       := [\\w][\\w.-]{0,127}

Normalization: no domain → ``docker.io``; a single path component on docker.io gets
``library/``; ``index.docker.io`` is ``docker.io``. The familiar form strips both again
(``docker.io/library/busybox:latest`` → ``busybox:latest``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from wharf.core.errors import InvalidParameter

__all__ = [
    "DEFAULT_DOMAIN",
    "DEFAULT_TAG",
    "Reference",
    "familiar",
    "parse_reference",
    "validate_tag",
]

DEFAULT_DOMAIN = "docker.io"
LEGACY_DOMAIN = "index.docker.io"
OFFICIAL_PREFIX = "library/"
DEFAULT_TAG = "latest"
NAME_TOTAL_MAX = 255

_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE_RE = re.compile(
    rf"^(?P<name>(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    rf"(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?$"
)
_TAG_RE = re.compile(rf"^{_TAG}$")
_ANCHORED_ID_RE = re.compile(r"^[a-f0-9]{64}$")
_INVALID = "invalid reference format"


@dataclass(frozen=True)
class Reference:
    """A normalized reference: ``domain/path[:tag][@digest]``."""

    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """The full repository name, e.g. ``docker.io/library/busybox``."""
        return f"{self.domain}/{self.path}"

    @property
    def familiar_name(self) -> str:
        """The repository as Docker shows it, e.g. ``busybox`` or ``localhost:5000/a/b``."""
        if self.domain != DEFAULT_DOMAIN:
            return self.name
        if self.path.startswith(OFFICIAL_PREFIX) and "/" not in self.path[len(OFFICIAL_PREFIX) :]:
            return self.path[len(OFFICIAL_PREFIX) :]
        return self.path

    def __str__(self) -> str:
        return self.name + self._suffix()

    def familiar(self) -> str:
        """The whole reference in familiar form, e.g. ``busybox:latest``."""
        return self.familiar_name + self._suffix()

    def with_default_tag(self) -> Reference:
        """``latest`` when neither a tag nor a digest is given."""
        if self.tag is None and self.digest is None:
            return replace(self, tag=DEFAULT_TAG)
        return self

    def with_tag(self, tag: str) -> Reference:
        validate_tag(tag)
        return Reference(self.domain, self.path, tag, None)

    def _suffix(self) -> str:
        out = f":{self.tag}" if self.tag is not None else ""
        return out + (f"@{self.digest}" if self.digest is not None else "")


def _split_domain(name: str) -> tuple[str, str]:
    first, sep, rest = name.partition("/")
    is_domain = bool(sep) and (
        "." in first or ":" in first or first == "localhost" or first.lower() != first
    )
    domain, path = (first, rest) if is_domain else (DEFAULT_DOMAIN, name)
    if domain == LEGACY_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in path:
        path = OFFICIAL_PREFIX + path
    return domain, path


def parse_reference(text: str) -> Reference:
    """Parse and normalize ``text`` (a familiar or full reference); no default tag is added.

    Raises InvalidParameter with Docker's wording on a malformed reference.
    """
    if _ANCHORED_ID_RE.match(text):
        raise InvalidParameter(
            f"invalid repository name ({text}), cannot specify 64-byte hexadecimal strings"
        )
    match = _REFERENCE_RE.match(text)
    if match is None:
        lowered = _REFERENCE_RE.match(text.lower())
        if lowered is not None:
            _, path = _split_domain(text[: lowered.end("name")])
            raise InvalidParameter(f"{_INVALID}: repository name ({path}) must be lowercase")
        raise InvalidParameter(_INVALID)
    name = match.group("name")
    if len(name) > NAME_TOTAL_MAX:
        raise InvalidParameter(
            f"{_INVALID}: repository name must not be more than {NAME_TOTAL_MAX} characters"
        )
    domain, path = _split_domain(name)
    return Reference(domain, path, match.group("tag"), match.group("digest"))


def validate_tag(tag: str) -> None:
    """Raise InvalidParameter unless ``tag`` matches Docker's tag grammar."""
    if not _TAG_RE.match(tag):
        raise InvalidParameter(_INVALID)


def familiar(text: str) -> str:
    """Shortcut: the familiar form of a reference string."""
    return parse_reference(text).familiar()
