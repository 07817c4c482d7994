"""Manifest media types, digest verification and platform selection."""

from __future__ import annotations

import json

import pytest

from wharf.core.digest import Digest
from wharf.core.errors import InvalidParameter, NotFound, RemoteFailure
from wharf.core.oci import (
    MEDIA_TYPE_DOCKER_MANIFEST,
    MEDIA_TYPE_DOCKER_MANIFEST_LIST,
    MEDIA_TYPE_OCI_INDEX,
    MEDIA_TYPE_OCI_MANIFEST,
    Descriptor,
    Index,
    Platform,
)
from wharf.registry.client.manifests import (
    format_platform,
    manifest_media_type,
    parse_platform,
    select_platform,
    verify_manifest,
)

OCI_BODY = json.dumps({"schemaVersion": 2, "config": {}, "layers": []}).encode()


def test_header_media_type_wins_when_the_body_has_none() -> None:
    assert manifest_media_type(MEDIA_TYPE_DOCKER_MANIFEST, OCI_BODY, "x") == (
        MEDIA_TYPE_DOCKER_MANIFEST
    )


def test_body_media_type_used_when_header_is_generic() -> None:
    body = json.dumps({"schemaVersion": 2, "mediaType": MEDIA_TYPE_DOCKER_MANIFEST_LIST})
    assert manifest_media_type("application/json", body.encode(), "x") == (
        MEDIA_TYPE_DOCKER_MANIFEST_LIST
    )


def test_oci_index_without_media_type_is_recognised() -> None:
    body = json.dumps({"schemaVersion": 2, "manifests": []}).encode()
    assert manifest_media_type("", body, "x") == MEDIA_TYPE_OCI_INDEX


def test_schema1_is_refused_with_dockers_message() -> None:
    body = json.dumps({"schemaVersion": 1, "name": "a", "fsLayers": []}).encode()
    with pytest.raises(InvalidParameter, match="schema 1 support has been removed"):
        manifest_media_type("application/vnd.docker.distribution.manifest.v1+prettyjws", body, "a")


def test_unknown_media_type_is_refused() -> None:
    body = json.dumps({"schemaVersion": 2, "mediaType": "application/x-thing"}).encode()
    with pytest.raises(RemoteFailure, match="unsupported manifest media type"):
        manifest_media_type("application/x-thing", body, "a")


def test_header_and_body_disagreeing_is_refused() -> None:
    body = json.dumps({"schemaVersion": 2, "mediaType": MEDIA_TYPE_OCI_INDEX}).encode()
    with pytest.raises(RemoteFailure, match="mismatch"):
        manifest_media_type(MEDIA_TYPE_OCI_MANIFEST, body, "a")


def test_malformed_json_is_refused() -> None:
    with pytest.raises(RemoteFailure, match="malformed"):
        manifest_media_type(MEDIA_TYPE_OCI_MANIFEST, b"{nope", "a")


def test_verify_manifest_compares_the_digest_of_the_bytes() -> None:
    assert verify_manifest(OCI_BODY, None) == Digest.from_bytes(OCI_BODY)
    with pytest.raises(RemoteFailure, match="verification failed"):
        verify_manifest(OCI_BODY + b" ", Digest.from_bytes(OCI_BODY))


def _entry(
    arch: str, variant: str | None = None, os: str = "linux", tag: bytes = b""
) -> Descriptor:
    data = f"{os}/{arch}/{variant}".encode() + tag
    return Descriptor(
        MEDIA_TYPE_OCI_MANIFEST, Digest.from_bytes(data), 1, platform=Platform(arch, os, variant)
    )


def test_select_platform_by_os_arch_and_variant() -> None:
    index = Index(
        [_entry("amd64"), _entry("arm", "v6"), _entry("arm", "v7"), _entry("arm64", "v8")]
    )
    assert select_platform(index, Platform("amd64", "linux")) == index.manifests[0]
    assert select_platform(index, Platform("arm", "linux", "v7")) == index.manifests[2]
    assert select_platform(index, Platform("arm64", "linux")) == index.manifests[3]


def test_arm64_without_variant_matches_v8() -> None:
    index = Index([_entry("arm64")])
    assert select_platform(index, Platform("arm64", "linux", "v8")) == index.manifests[0]


def test_attestation_entries_are_not_chosen() -> None:
    index = Index([_entry("unknown", os="unknown"), _entry("amd64")])
    assert select_platform(index, Platform("amd64", "linux")) == index.manifests[1]


def test_no_matching_platform_has_dockers_message() -> None:
    index = Index([_entry("amd64")])
    with pytest.raises(NotFound) as caught:
        select_platform(index, Platform("arm64", "linux", "v8"))
    assert str(caught.value) == (
        "no matching manifest for linux/arm64/v8 in the manifest list entries"
    )


def test_parse_and_format_platform() -> None:
    assert parse_platform("linux/arm64/v8") == Platform("arm64", "linux", "v8")
    assert format_platform(parse_platform("Linux/AMD64")) == "linux/amd64"
    with pytest.raises(InvalidParameter):
        parse_platform("amd64")
