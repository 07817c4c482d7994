"""Manifests as fetched: media type checks, digest verification, platform selection.

Accepted: Docker schema2 manifests and manifest lists, OCI manifests and indexes. Schema1
(signed or not) and anything else are refused with Docker's message. A manifest is at most
4 MiB (the limit distribution applies).
"""

from __future__ import annotations

import platform as host_platform
from dataclasses import dataclass
from typing import Any

from wharf.core.digest import Digest
from wharf.core.errors import InvalidParameter, NotFound, RemoteFailure
from wharf.core.oci import (
    IMAGE_MANIFEST_TYPES,
    INDEX_TYPES,
    MEDIA_TYPE_OCI_INDEX,
    MEDIA_TYPE_OCI_MANIFEST,
    Descriptor,
    Index,
    Manifest,
    Platform,
)
from wharf.registry.client.untrusted import load_json

__all__ = [
    "ACCEPT_MANIFESTS",
    "INDEX_TYPES",
    "MANIFEST_TYPES",
    "MAX_MANIFEST_SIZE",
    "FetchedManifest",
    "format_platform",
    "host_default_platform",
    "parse_platform",
    "select_platform",
]

MAX_MANIFEST_SIZE = 4 * 1024 * 1024
MANIFEST_TYPES = IMAGE_MANIFEST_TYPES
SCHEMA1_TYPES = (
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
)
ACCEPT_MANIFESTS = ", ".join((*MANIFEST_TYPES, *INDEX_TYPES))
SCHEMA1_REFUSED = (
    "Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been "
    "removed. Suggest the author of {ref} to upgrade the image to the OCI Format or Docker "
    "Image manifest v2, schema 2. More information at "
    "https://docs.docker.com/go/deprecated-image-specs/"
)
_MACHINE_TO_ARCH = {
    "x86_64": ("amd64", None),
    "amd64": ("amd64", None),
    "aarch64": ("arm64", "v8"),
    "arm64": ("arm64", "v8"),
    "armv7l": ("arm", "v7"),
    "armv6l": ("arm", "v6"),
    "i686": ("386", None),
    "i386": ("386", None),
    "ppc64le": ("ppc64le", None),
    "s390x": ("s390x", None),
    "riscv64": ("riscv64", None),
}


@dataclass(frozen=True)
class FetchedManifest:
    """A manifest or index exactly as the registry sent it, with its verified digest."""

    digest: Digest
    media_type: str
    data: bytes

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES

    @property
    def size(self) -> int:
        return len(self.data)

    def descriptor(self) -> Descriptor:
        return Descriptor(self.media_type, self.digest, len(self.data))

    def manifest(self) -> Manifest:
        """The parsed image manifest (RemoteFailure when this is an index or malformed)."""
        try:
            return Manifest.from_json(self.json())
        except (InvalidParameter, TypeError, ValueError) as error:  # odd shapes too
            raise RemoteFailure(f"malformed manifest {self.digest}: {error}") from error

    def index(self) -> Index:
        try:
            return Index.from_json(self.json())
        except (InvalidParameter, TypeError, ValueError) as error:
            raise RemoteFailure(f"malformed manifest list {self.digest}: {error}") from error

    def json(self) -> Any:
        return load_json(self.data, f"manifest {self.digest}")


def _body_media_type(data: bytes) -> tuple[str, str]:
    """(the declared ``mediaType`` or "", the type its shape implies: an OCI manifest or
    index may omit ``mediaType``)."""
    parsed = load_json(data, "manifest")
    if not isinstance(parsed, dict):
        raise RemoteFailure("malformed manifest: not a JSON object")
    if parsed.get("schemaVersion") == 1:
        return SCHEMA1_TYPES[0], SCHEMA1_TYPES[0]
    declared = parsed.get("mediaType")
    shape = MEDIA_TYPE_OCI_INDEX if "manifests" in parsed else MEDIA_TYPE_OCI_MANIFEST
    return (declared if isinstance(declared, str) else ""), shape


def manifest_media_type(content_type: str, data: bytes, ref: str) -> str:
    """The media type of fetched bytes; refuses schema1, unknown types, and disagreement."""
    header = content_type.split(";", 1)[0].strip()
    body, shape = _body_media_type(data)
    if header in SCHEMA1_TYPES or body in SCHEMA1_TYPES:
        raise InvalidParameter(SCHEMA1_REFUSED.format(ref=ref))
    known = (*MANIFEST_TYPES, *INDEX_TYPES)
    if header in known and body and header != body:
        raise RemoteFailure(f"manifest media type mismatch: {header} served as {body}")
    media_type = header if header in known else (body or shape)
    if media_type not in known:
        raise RemoteFailure(
            f"unsupported manifest media type and no default available: {media_type}"
        )
    return media_type


def verify_manifest(data: bytes, expected: Digest | None) -> Digest:
    """The digest of ``data``; RemoteFailure when it differs from ``expected``."""
    actual = Digest.from_bytes(data)
    if expected is not None and actual != expected:
        raise RemoteFailure(f"manifest verification failed for digest {expected}")
    return actual


def parse_platform(text: str) -> Platform:
    """``os/arch[/variant]`` (Docker's ``--platform``); arch alone is refused."""
    parts = text.strip().lower().split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise InvalidParameter(
            f'"{text}": unknown operating system or architecture: invalid argument'
        )
    return Platform(parts[1], parts[0], parts[2] if len(parts) == 3 else None)


def format_platform(platform: Platform) -> str:
    text = f"{platform.os}/{platform.architecture}"
    return f"{text}/{platform.variant}" if platform.variant else text


def host_default_platform() -> Platform:
    arch, variant = _MACHINE_TO_ARCH.get(host_platform.machine().lower(), ("amd64", None))
    return Platform(arch, "linux", variant)


def _variant(platform: Platform) -> str:
    if platform.architecture == "arm64" and not platform.variant:
        return "v8"
    return platform.variant or ""


def select_platform(index: Index, wanted: Platform) -> Descriptor:
    """The index entry for ``wanted``: os and architecture equal; a wanted variant must match,
    else the entry without a variant (or arm64's v8) first, then any. Docker's error if none."""
    candidates = [
        entry
        for entry in index.manifests
        if entry.platform is not None
        and entry.platform.os == wanted.os
        and entry.platform.architecture == wanted.architecture
        and entry.media_type in (*MANIFEST_TYPES, *INDEX_TYPES)
    ]
    if wanted.variant:
        candidates = [
            c for c in candidates if c.platform and _variant(c.platform) == _variant(wanted)
        ]
    else:
        default = _variant(Platform(wanted.architecture, wanted.os))
        candidates.sort(key=lambda c: 0 if c.platform and _variant(c.platform) == default else 1)
    if not candidates:
        raise NotFound(
            f"no matching manifest for {format_platform(wanted)} in the manifest list entries"
        )
    return candidates[0]
