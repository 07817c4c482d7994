"""Challenges, token requests and responses, and the token cache."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from wharf.core.errors import RemoteFailure
from wharf.registry.client.auth import (
    Challenge,
    Credentials,
    Token,
    TokenCache,
    parse_challenges,
    parse_token_response,
    token_request,
)

BEARER = Challenge("bearer", {"realm": "https://auth.example/token", "service": "reg"})


def test_bearer_challenge_with_quoted_params_and_commas_in_scope() -> None:
    header = (
        'Bearer realm="https://auth.example/token",service="registry.example",'
        'scope="repository:a/b:pull,push"'
    )
    (challenge,) = parse_challenges(header)
    assert challenge.scheme == "bearer"
    assert challenge.realm == "https://auth.example/token"
    assert challenge.params["service"] == "registry.example"
    assert challenge.params["scope"] == "repository:a/b:pull,push"


def test_several_challenges_and_unquoted_values() -> None:
    found = parse_challenges('Basic realm="Registry Realm", Bearer realm=https://t/x,service=s')
    assert [c.scheme for c in found] == ["basic", "bearer"]
    assert found[0].realm == "Registry Realm"
    assert found[1].params == {"realm": "https://t/x", "service": "s"}


def test_empty_header_has_no_challenge() -> None:
    assert parse_challenges("") == []


def test_anonymous_token_request_is_a_get_with_scopes() -> None:
    request = token_request(BEARER, ["repository:a/b:pull"], Credentials(), offline=False)
    assert request.method == "GET"
    query = parse_qs(urlsplit(request.url).query)
    assert query == {"service": ["reg"], "scope": ["repository:a/b:pull"]}
    assert "Authorization" not in request.headers


def test_basic_credentials_token_request_names_the_account() -> None:
    creds = Credentials(username="ann", password="s3cret")
    request = token_request(BEARER, ["repository:a/b:pull,push"], creds, offline=True)
    query = parse_qs(urlsplit(request.url).query)
    assert query["account"] == ["ann"]
    assert query["offline_token"] == ["true"]
    scheme, encoded = request.headers["Authorization"].split(" ")
    assert scheme == "Basic"
    assert base64.b64decode(encoded) == b"ann:s3cret"


def test_identity_token_uses_the_oauth_refresh_grant() -> None:
    creds = Credentials(identity_token="refresh-123")
    request = token_request(BEARER, ["repository:a/b:pull"], creds, offline=False)
    assert request.method == "POST"
    assert request.url == "https://auth.example/token"
    assert request.body is not None
    form = parse_qs(request.body.decode())
    assert form["grant_type"] == ["refresh_token"]
    assert form["refresh_token"] == ["refresh-123"]
    assert form["scope"] == ["repository:a/b:pull"]


def test_token_response_accepts_access_token_and_keeps_refresh_token() -> None:
    body = json.dumps({"access_token": "abc", "expires_in": 300, "refresh_token": "r"}).encode()
    token = parse_token_response(body, now=1000.0)
    assert token.token == "abc"
    assert token.refresh_token == "r"
    assert 1000 + 250 < token.expires_at < 1000 + 300


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"expires_in": 10}', b'{"token": ""}'])
def test_bad_token_responses_are_refused(body: bytes) -> None:
    with pytest.raises(RemoteFailure):
        parse_token_response(body, now=0.0)


def test_token_cache_forgets_expired_tokens() -> None:
    now = [0.0]
    cache = TokenCache(clock=lambda: now[0])
    key = TokenCache.key(BEARER, ["repository:a:pull"], Credentials())
    cache.put(key, Token("t", expires_at=10.0))
    assert cache.get(key) == Token("t", 10.0)
    now[0] = 10.0
    assert cache.get(key) is None


def test_token_cache_keys_differ_by_scope_and_credentials() -> None:
    anonymous = TokenCache.key(BEARER, ["repository:a:pull"], Credentials())
    user = TokenCache.key(BEARER, ["repository:a:pull"], Credentials("u", "p"))
    push = TokenCache.key(BEARER, ["repository:a:pull,push"], Credentials())
    assert len({anonymous, user, push}) == 3


def test_secrets_stay_out_of_reprs() -> None:
    creds = Credentials("ann", "pw-secret", "id-secret", "reg-secret")
    token = Token("tok-secret", 1.0, "refresh-secret")
    shown = repr(creds) + repr(token)
    assert "ann" in shown
    assert "secret" not in shown
