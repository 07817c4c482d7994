"""OCI image-spec records: media types, descriptors, manifests, indexes, image configs.

Configs stay plain JSON dicts (``ImageConfig`` types their shape) because they round-trip
through registries and the API unchanged; descriptors, manifests and indexes are dataclasses
with ``to_json``/``from_json``. ``canonical_json`` is the one encoding wharf writes: sorted
keys, no whitespace, UTF-8 — so the same object always hashes to the same digest.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, TypedDict

from wharf.core.digest import Digest
from wharf.core.errors import InvalidParameter

__all__ = [
    "IMAGE_MANIFEST_TYPES",
    "INDEX_TYPES",
    "MEDIA_TYPE_DOCKER_CONFIG",
    "MEDIA_TYPE_DOCKER_LAYER",
    "MEDIA_TYPE_DOCKER_MANIFEST",
    "MEDIA_TYPE_DOCKER_MANIFEST_LIST",
    "MEDIA_TYPE_OCI_CONFIG",
    "MEDIA_TYPE_OCI_INDEX",
    "MEDIA_TYPE_OCI_LAYER",
    "MEDIA_TYPE_OCI_LAYER_GZIP",
    "MEDIA_TYPE_OCI_LAYER_ZSTD",
    "MEDIA_TYPE_OCI_MANIFEST",
    "ContainerConfig",
    "Descriptor",
    "HistoryEntry",
    "ImageConfig",
    "Index",
    "Manifest",
    "Platform",
    "RootFS",
    "canonical_json",
    "chain_ids",
]

MEDIA_TYPE_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_TYPE_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_TYPE_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_TYPE_OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
MEDIA_TYPE_OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
MEDIA_TYPE_OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
MEDIA_TYPE_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MEDIA_TYPE_DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MEDIA_TYPE_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
MEDIA_TYPE_DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


IMAGE_MANIFEST_TYPES = (MEDIA_TYPE_DOCKER_MANIFEST, MEDIA_TYPE_OCI_MANIFEST)
"""The media types of an image manifest (one platform), Docker's first."""
INDEX_TYPES = (MEDIA_TYPE_DOCKER_MANIFEST_LIST, MEDIA_TYPE_OCI_INDEX)
"""The media types of a manifest list / image index, Docker's first."""


def chain_ids(diff_ids: list[str]) -> list[str]:
    """OCI ChainIDs: ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + Ln)."""
    chains: list[str] = []
    for diff_id in diff_ids:
        if not chains:
            chains.append(diff_id)
        else:
            digest = hashlib.sha256(f"{chains[-1]} {diff_id}".encode()).hexdigest()
            chains.append(f"sha256:{digest}")
    return chains


def canonical_json(value: Any) -> bytes:
    """Deterministic JSON bytes: sorted keys, compact separators, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class ContainerConfig(TypedDict, total=False):
    """The ``config`` member of an image config (Docker's names)."""

    User: str
    ExposedPorts: dict[str, dict[str, Any]]
    Env: list[str]
    Entrypoint: list[str] | None
    Cmd: list[str] | None
    Volumes: dict[str, dict[str, Any]]
    WorkingDir: str
    Labels: dict[str, str]
    StopSignal: str
    ArgsEscaped: bool
    OnBuild: list[str] | None


class RootFS(TypedDict):
    type: str
    diff_ids: list[str]


class HistoryEntry(TypedDict, total=False):
    created: str
    created_by: str
    author: str
    comment: str
    empty_layer: bool


class ImageConfig(TypedDict, total=False):
    created: str
    author: str
    architecture: str
    os: str
    variant: str
    config: ContainerConfig
    rootfs: RootFS
    history: list[HistoryEntry]


@dataclass(frozen=True)
class Platform:
    architecture: str
    os: str
    variant: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"architecture": self.architecture, "os": self.os}
        if self.variant:
            out["variant"] = self.variant
        return out


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: Digest
    size: int
    annotations: dict[str, str] = field(default_factory=dict)
    platform: Platform | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "mediaType": self.media_type,
            "digest": str(self.digest),
            "size": self.size,
        }
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        if self.platform is not None:
            out["platform"] = self.platform.to_json()
        return out

    @classmethod
    def from_json(cls, data: Any) -> Descriptor:
        if not isinstance(data, dict):
            raise InvalidParameter("descriptor must be an object")
        size = data.get("size")
        media_type = data.get("mediaType")
        if not isinstance(size, int) or size < 0 or not isinstance(media_type, str):
            raise InvalidParameter("descriptor needs mediaType and a non-negative size")
        platform = data.get("platform")
        return cls(
            media_type,
            Digest.parse(str(data.get("digest", ""))),
            size,
            dict(data.get("annotations") or {}),
            Platform(
                str(platform.get("architecture", "")),
                str(platform.get("os", "")),
                platform.get("variant"),
            )
            if isinstance(platform, dict)
            else None,
        )


@dataclass(frozen=True)
class Manifest:
    config: Descriptor
    layers: list[Descriptor]
    media_type: str = MEDIA_TYPE_OCI_MANIFEST
    annotations: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": self.media_type,
            "config": self.config.to_json(),
            "layers": [layer.to_json() for layer in self.layers],
        }
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out

    @classmethod
    def from_json(cls, data: Any) -> Manifest:
        if not isinstance(data, dict) or data.get("schemaVersion") != 2:
            raise InvalidParameter("manifest must be a schemaVersion 2 object")
        if "manifests" in data or not isinstance(data.get("layers"), list):
            raise InvalidParameter("not an image manifest")
        return cls(
            Descriptor.from_json(data.get("config")),
            [Descriptor.from_json(layer) for layer in data["layers"]],
            str(data.get("mediaType", MEDIA_TYPE_OCI_MANIFEST)),
            dict(data.get("annotations") or {}),
        )


@dataclass(frozen=True)
class Index:
    manifests: list[Descriptor]
    media_type: str = MEDIA_TYPE_OCI_INDEX
    annotations: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": self.media_type,
            "manifests": [m.to_json() for m in self.manifests],
        }
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out

    @classmethod
    def from_json(cls, data: Any) -> Index:
        if not isinstance(data, dict) or data.get("schemaVersion") != 2:
            raise InvalidParameter("index must be a schemaVersion 2 object")
        if "layers" in data or not isinstance(data.get("manifests"), list):
            raise InvalidParameter("not an image index")
        return cls(
            [Descriptor.from_json(m) for m in data["manifests"]],
            str(data.get("mediaType", MEDIA_TYPE_OCI_INDEX)),
            dict(data.get("annotations") or {}),
        )
