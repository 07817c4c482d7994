"""The client against wharf's own registry server (skipped until that server is present)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.registry_client.images import push_blob, push_image, random_layer
from tests.support import registries
from tests.support.registries import PASSWORD, USER

from wharf.core.digest import Digest
from wharf.core.errors import NotFound, Unauthorized
from wharf.core.reference import parse_reference
from wharf.registry.client import ANONYMOUS, Credentials, RegistryClient

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("wharf.registry.server.__main__") is None,
    reason="wharf.registry.server is not in this tree",
)


@pytest.fixture
def wharf_registry(tmp_path: Path) -> Iterator[str]:
    with registries.wharf_registry(tmp_path) as registry:
        yield registry.host


def test_round_trip_range_mount_and_tags(client: RegistryClient, wharf_registry: str) -> None:
    ref = parse_reference(f"{wharf_registry}/team/app:1.0")
    layers = [random_layer(400_000), random_layer(3_000)]
    manifest = push_image(client, ref, layers)
    resolved = client.resolve(ref)
    assert resolved.manifest.data == manifest
    assert resolved.digest == Digest.from_bytes(manifest)
    first = resolved.image_manifest.layers[0]
    with client.open_blob(ref, first.digest, offset=123_456, size=first.size) as stream:
        assert stream.offset == 123_456
        assert b"".join(stream) == layers[0][123_456:]
    other = parse_reference(f"{wharf_registry}/other/app")
    assert client.mount_blob(other, first.digest, "team/app") is True
    assert client.blob_size(other, first.digest) == first.size
    assert client.list_tags(ref) == ["1.0"]
    with pytest.raises(NotFound, match="manifest unknown"):
        client.resolve(parse_reference(f"{wharf_registry}/team/app:nope"))


def test_chunked_upload(client: RegistryClient, wharf_registry: str) -> None:
    ref = parse_reference(f"{wharf_registry}/team/chunks")
    data = random_layer(600_000)
    digest = push_blob(client, ref, data, ANONYMOUS, chunk_size=200_000)
    assert client.fetch_blob(ref, digest, limit=len(data)) == data


def test_search(client: RegistryClient, wharf_registry: str) -> None:
    push_image(client, parse_reference(f"{wharf_registry}/library/busybox:1"), [b"x"])
    push_image(client, parse_reference(f"{wharf_registry}/team/busy:1"), [b"y"])
    found = {r.name: r for r in client.search(wharf_registry, "busy", limit=10)}
    assert set(found) == {"library/busybox", "team/busy"}
    assert found["library/busybox"].is_official is True
    assert found["team/busy"].is_official is False


def test_htpasswd(client: RegistryClient, tmp_path: Path) -> None:
    with registries.wharf_registry(tmp_path / "auth", htpasswd=True) as registry:
        host = registry.host
        good = Credentials(USER, PASSWORD)
        ref = parse_reference(f"{host}/team/secret:1")
        manifest = push_image(client, ref, [random_layer(1000)], good)
        assert client.resolve(ref, good).manifest.data == manifest
        assert client.login(host, good) == ""
        with pytest.raises(Unauthorized):
            client.login(host, Credentials(USER, "wrong"))
        with pytest.raises(NotFound, match="pull access denied"):
            client.resolve(ref)
