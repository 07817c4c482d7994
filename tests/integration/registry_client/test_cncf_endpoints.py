"""Endpoints against real registries: TLS (skipped verification on loopback, verification
with a certs.d CA), plain-http fallback, and mirrors with fallback to the upstream."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.integration.registry_client.images import push_image, random_layer
from tests.support.registries import cncf_registry
from tests.support.tls import make_tls_files

from wharf.core.reference import parse_reference
from wharf.registry.client import RegistryClient, RegistryConfig
from wharf.registry.client.endpoints import Endpoint
from wharf.registry.client.transport import TlsFailure, Transport


def test_a_tls_registry_on_loopback_is_used_over_https(
    client: RegistryClient, tmp_path: Path
) -> None:
    tls = make_tls_files(tmp_path / "tls")
    with cncf_registry(tmp_path / "reg", tls=(tls.server_key, tls.server_cert)) as registry:
        host = registry.host
        assert client.ping(host).base_url == f"https://{host}"
        ref = parse_reference(f"{host}/team/tls:1")
        manifest = push_image(client, ref, [random_layer(10_000)])
        assert client.resolve(ref).manifest.data == manifest


def test_certs_d_ca_verifies_the_registry(tmp_path: Path) -> None:
    tls = make_tls_files(tmp_path / "tls")
    with cncf_registry(tmp_path / "reg", tls=(tls.server_key, tls.server_cert)) as registry:
        host = registry.host
        verified = Endpoint("https", host, verify_tls=True)
        without_ca = Transport(RegistryConfig(certs_dir=tmp_path / "empty"))
        with pytest.raises(TlsFailure, match="certificate verify failed"):
            without_ca.request(verified, "GET", verified.url("/v2/"), {})
        without_ca.close()
        certs_dir = tmp_path / "certs.d"
        (certs_dir / host).mkdir(parents=True)
        (certs_dir / host / "ca.crt").write_bytes(tls.ca.read_bytes())
        with_ca = Transport(RegistryConfig(certs_dir=certs_dir))
        try:
            response = with_ca.request(verified, "GET", verified.url("/v2/"), {})
            assert response.status == 200
        finally:
            with_ca.close()


def test_pulls_use_a_mirror_and_fall_back_to_the_upstream(tmp_path: Path) -> None:
    with (
        cncf_registry(tmp_path / "upstream") as upstream_registry,
        cncf_registry(tmp_path / "mirror") as mirror_registry,
    ):
        upstream, mirror = upstream_registry.host, mirror_registry.host
        plain = RegistryClient()
        mirrored = parse_reference(f"{mirror}/team/app:1")
        only_in_mirror = push_image(plain, mirrored, [random_layer(1000)])
        upstream_ref = parse_reference(f"{upstream}/team/app:2")
        only_upstream = push_image(plain, upstream_ref, [random_layer(1000)])
        plain.close()
        config = RegistryConfig(mirrors={upstream: [f"http://{mirror}"]})
        client = RegistryClient(config)
        try:
            from_mirror = client.resolve(parse_reference(f"{upstream}/team/app:1"))
            assert from_mirror.manifest.data == only_in_mirror
            layer = from_mirror.image_manifest.layers[0]
            ref = parse_reference(f"{upstream}/team/app")
            with client.open_blob(ref, layer.digest, size=layer.size) as stream:
                assert len(b"".join(stream)) == layer.size
            assert client.resolve(upstream_ref).manifest.data == only_upstream
        finally:
            client.close()
