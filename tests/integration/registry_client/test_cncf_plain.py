"""The client against the real CNCF registry without auth: push, pull, Range, mount, tags."""

from __future__ import annotations

import pytest
from tests.integration.registry_client.images import index_of, push_blob, push_image, random_layer

from wharf.core.digest import Digest
from wharf.core.errors import NotFound
from wharf.core.oci import MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_OCI_MANIFEST
from wharf.core.reference import parse_reference
from wharf.registry.client import ANONYMOUS, RegistryClient, parse_platform


def test_push_then_pull_keeps_manifest_bytes_and_digest(
    client: RegistryClient, plain_registry: str
) -> None:
    ref = parse_reference(f"{plain_registry}/team/app:1.0")
    layers = [random_layer(300_000), random_layer(5_000)]
    manifest = push_image(client, ref, layers)
    resolved = client.resolve(ref)
    assert resolved.manifest.data == manifest
    assert resolved.digest == Digest.from_bytes(manifest)
    assert resolved.manifest.media_type == MEDIA_TYPE_OCI_MANIFEST
    assert resolved.index is None
    for layer, descriptor in zip(layers, resolved.image_manifest.layers, strict=True):
        with client.open_blob(ref, descriptor.digest, size=descriptor.size) as stream:
            assert stream.offset == 0
            assert b"".join(stream) == layer
    by_digest = parse_reference(f"{plain_registry}/team/app@{resolved.digest}")
    assert client.fetch_manifest(by_digest).data == manifest


def test_range_resume_is_honoured(client: RegistryClient, plain_registry: str) -> None:
    ref = parse_reference(f"{plain_registry}/team/blobs")
    data = random_layer(1_000_000)
    digest = push_blob(client, ref, data, ANONYMOUS)
    with client.open_blob(ref, digest, offset=654_321, size=len(data)) as stream:
        assert stream.offset == 654_321
        assert stream.size == len(data)
        assert b"".join(stream) == data[654_321:]


def test_chunked_upload_and_head(client: RegistryClient, plain_registry: str) -> None:
    ref = parse_reference(f"{plain_registry}/team/chunks")
    data = random_layer(700_000)
    digest = Digest.from_bytes(data)
    assert client.blob_size(ref, digest) is None
    push_blob(client, ref, data, ANONYMOUS, chunk_size=256 * 1024)
    assert client.blob_size(ref, digest) == len(data)
    assert client.fetch_blob(ref, digest, limit=len(data)) == data


def test_cross_repository_mount(client: RegistryClient, plain_registry: str) -> None:
    source = parse_reference(f"{plain_registry}/team/source")
    target = parse_reference(f"{plain_registry}/other/target")
    digest = push_blob(client, source, random_layer(10_000), ANONYMOUS)
    assert client.mount_blob(target, digest, "team/source") is True
    assert client.blob_size(target, digest) == 10_000
    missing = Digest.from_bytes(b"never pushed")
    assert client.mount_blob(target, missing, "team/source") is False


def test_index_platform_selection(client: RegistryClient, plain_registry: str) -> None:
    ref = parse_reference(f"{plain_registry}/team/multi:latest")
    amd = push_image(client, ref, [random_layer(1000)], arch="amd64", tag="amd")
    arm = push_image(client, ref, [random_layer(1000)], arch="arm64", tag="arm")
    index = index_of({"amd64": amd, "arm64": arm})
    pushed = client.put_manifest(ref, MEDIA_TYPE_OCI_INDEX, index)
    assert pushed == Digest.from_bytes(index)
    chosen = client.resolve(ref, platform=parse_platform("linux/arm64"))
    assert chosen.digest == Digest.from_bytes(index)
    assert chosen.index is not None and chosen.index.data == index
    assert chosen.manifest.data == arm
    assert client.resolve(ref, platform=parse_platform("linux/amd64")).manifest.data == amd
    with pytest.raises(NotFound, match="no matching manifest for linux/ppc64le"):
        client.resolve(ref, platform=parse_platform("linux/ppc64le"))


def test_tags_list(client: RegistryClient, plain_registry: str) -> None:
    ref = parse_reference(f"{plain_registry}/team/tags:a")
    manifest = push_image(client, ref, [random_layer(100)])
    for tag in ("b", "c", "v1.0"):
        client.put_manifest(ref, MEDIA_TYPE_OCI_MANIFEST, manifest, tag=tag)
    assert sorted(client.list_tags(ref)) == ["a", "b", "c", "v1.0"]


def test_unknown_tag_and_repository(client: RegistryClient, plain_registry: str) -> None:
    ref = parse_reference(f"{plain_registry}/team/app:1")
    push_image(client, ref, [random_layer(100)])
    with pytest.raises(NotFound) as caught:
        client.resolve(parse_reference(f"{plain_registry}/team/app:nope"))
    assert str(caught.value) == (
        f"manifest for {plain_registry}/team/app:nope not found: manifest unknown: manifest unknown"
    )
    with pytest.raises(NotFound):
        client.resolve(parse_reference(f"{plain_registry}/no/such:1"))
    with pytest.raises(NotFound):
        client.open_blob(ref, Digest.from_bytes(b"absent"))


def test_ping_finds_the_plain_http_endpoint(client: RegistryClient, plain_registry: str) -> None:
    endpoint = client.ping(plain_registry)
    assert endpoint.base_url == f"http://{plain_registry}"
    assert client.login(plain_registry, ANONYMOUS) == ""


def test_head_manifest(client: RegistryClient, plain_registry: str) -> None:
    ref = parse_reference(f"{plain_registry}/team/head:1")
    manifest = push_image(client, ref, [random_layer(100)])
    found = client.head_manifest(ref)
    assert found is not None
    assert (found.digest, found.size, found.media_type) == (
        Digest.from_bytes(manifest),
        len(manifest),
        MEDIA_TYPE_OCI_MANIFEST,
    )
    assert client.head_manifest(parse_reference(f"{plain_registry}/team/head:2")) is None
