"""The client against the real CNCF registry with htpasswd (bcrypt) and token auth."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from tests.integration.registry_client.images import push_image, random_layer
from tests.support.registries import PASSWORD, USER
from tests.support.token_issuer import TokenIssuer

from wharf.core.errors import NotFound, Unauthorized
from wharf.core.reference import parse_reference
from wharf.registry.client import Credentials, RegistryClient

GOOD = Credentials(USER, PASSWORD)
BAD = Credentials(USER, "wrong")


def test_htpasswd_push_pull_and_login(client: RegistryClient, htpasswd_registry: str) -> None:
    ref = parse_reference(f"{htpasswd_registry}/team/secret:1")
    manifest = push_image(client, ref, [random_layer(50_000)], GOOD)
    assert client.resolve(ref, GOOD).manifest.data == manifest
    assert client.login(f"http://{htpasswd_registry}", GOOD) == ""
    with pytest.raises(Unauthorized, match=r"login attempt to .* failed with status: 401"):
        client.login(htpasswd_registry, BAD)


def test_htpasswd_refuses_anonymous_and_wrong_password(
    client: RegistryClient, htpasswd_registry: str
) -> None:
    ref = parse_reference(f"{htpasswd_registry}/team/secret:1")
    push_image(client, ref, [random_layer(100)], GOOD)
    for creds in (Credentials(), BAD):
        with pytest.raises(NotFound, match=r"pull access denied for .*/team/secret"):
            client.resolve(ref, creds)


def test_token_auth_push_pull_and_token_reuse(
    client: RegistryClient, token_registry: str, token_issuer: TokenIssuer
) -> None:
    ref = parse_reference(f"{token_registry}/team/tok:1")
    manifest = push_image(client, ref, [random_layer(20_000), random_layer(30_000)], GOOD)
    pushes = len(token_issuer.requests)
    assert pushes <= 2  # one push-scope token serves every upload and the manifest PUT
    assert token_issuer.requests[0].fields["scope"] == ["repository:team/tok:pull,push"]
    assert token_issuer.requests[0].fields["account"] == [USER]
    resolved = client.resolve(ref, GOOD)
    assert resolved.manifest.data == manifest
    for layer in resolved.image_manifest.layers:
        with client.open_blob(ref, layer.digest, GOOD, size=layer.size) as stream:
            assert len(b"".join(stream)) == layer.size
    assert len(token_issuer.requests) == pushes + 1  # one pull-scope token for all of it


def test_token_auth_denies_anonymous_and_wrong_password(
    client: RegistryClient, token_registry: str
) -> None:
    ref = parse_reference(f"{token_registry}/team/tok:1")
    push_image(client, ref, [random_layer(100)], GOOD)
    with pytest.raises(NotFound, match=r"pull access denied for .*/team/tok"):
        client.resolve(ref)
    with pytest.raises(Unauthorized) as caught:
        client.resolve(ref, BAD)
    assert str(caught.value) == (
        f'Get "http://{token_registry}/v2/team/tok/manifests/1": '
        "unauthorized: incorrect username or password"
    )


def test_token_login_returns_an_identity_token_that_pulls(
    client: RegistryClient, token_registry: str, token_issuer: TokenIssuer
) -> None:
    ref = parse_reference(f"{token_registry}/team/tok:1")
    manifest = push_image(client, ref, [random_layer(100)], GOOD)
    identity = client.login(token_registry, GOOD)
    assert token_issuer.refresh_tokens.get(identity) == USER  # the one it handed out
    with pytest.raises(Unauthorized) as caught:
        client.login(token_registry, BAD)
    assert str(caught.value) == (
        f'Get "http://{token_registry}/v2/": unauthorized: incorrect username or password'
    )
    assert client.resolve(ref, Credentials(identity_token=identity)).manifest.data == manifest
    assert token_issuer.requests[-1].method == "POST"


def test_worker_threads_share_one_client_and_one_token(
    client: RegistryClient, token_registry: str, token_issuer: TokenIssuer
) -> None:
    ref = parse_reference(f"{token_registry}/team/threads:1")
    layers = [random_layer(200_000 + n) for n in range(8)]
    push_image(client, ref, layers, GOOD)
    descriptors = client.resolve(ref, GOOD).image_manifest.layers
    before = len(token_issuer.requests)

    def fetch(index: int) -> bytes:
        layer = descriptors[index]
        with client.open_blob(ref, layer.digest, GOOD, offset=index, size=layer.size) as stream:
            assert stream.offset == index
            return b"".join(stream)

    with ThreadPoolExecutor(max_workers=4) as pool:
        bodies = list(pool.map(fetch, range(len(layers))))
    assert bodies == [layer[n:] for n, layer in enumerate(layers)]
    assert len(token_issuer.requests) - before <= 4  # cached: at most one per racing thread
