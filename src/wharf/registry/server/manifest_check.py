"""What a manifest PUT must be: a JSON object of schemaVersion 2 whose media type is an image
manifest or an index (Docker schema2 or OCI; schema1 is refused, as current registries do), with
well-formed descriptors. The result names the blobs and child manifests that must already be in
the repository."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from wharf.core.digest import Digest
from wharf.core.errors import InvalidParameter
from wharf.core.oci import (
    IMAGE_MANIFEST_TYPES,
    INDEX_TYPES,
)
from wharf.registry.server.errors import RegistryError

__all__ = ["CheckedManifest", "Referenced", "check_manifest"]

_GENERIC_TYPES = frozenset({"", "application/json", "application/octet-stream"})


@dataclass(frozen=True)
class Referenced:
    """A descriptor's digest and size."""

    digest: Digest
    size: int


@dataclass(frozen=True)
class CheckedManifest:
    media_type: str
    blobs: tuple[Referenced, ...]
    manifests: tuple[Referenced, ...]


def check_manifest(body: bytes, content_type: str) -> CheckedManifest:
    """Validate ``body`` (sent with ``content_type``); MANIFEST_INVALID names what is wrong."""
    document = _json_object(body)
    if document.get("schemaVersion") != 2 or isinstance(document.get("schemaVersion"), bool):
        raise _invalid("schemaVersion must be 2 (schema1 manifests are not supported)")
    media_type = _media_type(document, content_type)
    _check_unambiguous(document, media_type)
    if media_type in INDEX_TYPES:
        children = _descriptor_list(document, "manifests")
        return CheckedManifest(media_type, (), tuple(_referenced(d) for d in children))
    config = document.get("config")
    if not isinstance(config, dict):
        raise _invalid("config must be a descriptor")
    _check_descriptor(config, "config")
    layers = _descriptor_list(document, "layers")
    blobs = [_referenced(config)]
    blobs += [_referenced(layer) for layer in layers if not layer.get("urls")]
    return CheckedManifest(media_type, tuple(blobs), ())


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:  # nesting or integers past Python's limits too
        raise _invalid(f"manifest is not valid JSON: {str(exc)[:200]}") from exc
    if not isinstance(document, dict):
        raise _invalid("manifest must be a JSON object")
    return document


def _media_type(document: dict[str, Any], content_type: str) -> str:
    declared = document.get("mediaType")
    if declared is not None and not isinstance(declared, str):
        raise _invalid("mediaType must be a string")
    header = content_type.split(";", 1)[0].strip().lower()
    if header in _GENERIC_TYPES:
        header = ""
    if declared and header and declared != header:
        raise _invalid(f"mediaType {declared!r} does not match Content-Type {header!r}")
    media_type = declared or header
    if media_type not in (*IMAGE_MANIFEST_TYPES, *INDEX_TYPES):
        raise _invalid(f"unsupported manifest media type {media_type!r}")
    return media_type


def _check_unambiguous(document: dict[str, Any], media_type: str) -> None:
    """An index holds no ``config``/``layers``, an image manifest no ``manifests``: a document
    that is both would be read one way here and another way by some client."""
    foreign = ("config", "layers") if media_type in INDEX_TYPES else ("manifests",)
    present = [key for key in foreign if key in document]
    if present:
        raise _invalid(f"{media_type} must not have {', '.join(present)}")


def _descriptor_list(document: dict[str, Any], key: str) -> list[dict[str, Any]]:
    entries = document.get(key)
    if not isinstance(entries, list):
        raise _invalid(f"{key} must be a list of descriptors")
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise _invalid(f"{key}[{position}] must be a descriptor")
        _check_descriptor(entry, f"{key}[{position}]")
    return entries


def _check_descriptor(descriptor: dict[str, Any], where: str) -> None:
    media_type = descriptor.get("mediaType")
    if not isinstance(media_type, str) or not media_type:
        raise _invalid(f"{where}.mediaType must be a non-empty string")
    size = descriptor.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise _invalid(f"{where}.size must be a non-negative integer")
    digest = descriptor.get("digest")
    try:
        Digest.parse(digest if isinstance(digest, str) else "")
    except InvalidParameter as exc:
        raise _invalid(f"{where}.digest: {exc}") from exc
    urls = descriptor.get("urls")
    if urls is not None and not (isinstance(urls, list) and all(isinstance(u, str) for u in urls)):
        raise _invalid(f"{where}.urls must be a list of strings")


def _referenced(descriptor: dict[str, Any]) -> Referenced:
    return Referenced(Digest.parse(descriptor["digest"]), descriptor["size"])


def _invalid(message: str) -> RegistryError:
    return RegistryError("MANIFEST_INVALID", message)
