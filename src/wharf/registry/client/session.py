"""Authenticated requests to one endpoint: answer 401 challenges, reuse tokens.

The challenge an endpoint last sent is remembered, so later requests carry their credentials
up front; a 401 (a new scope, an expired token) refreshes it and the request is sent once more.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from wharf.core.errors import RemoteFailure, Unauthorized
from wharf.registry.client.auth import (
    Challenge,
    Credentials,
    Token,
    TokenCache,
    basic_header,
    parse_challenges,
    parse_token_response,
    require_credentials,
    token_request,
)
from wharf.registry.client.endpoints import Endpoint
from wharf.registry.client.errors import registry_error_text
from wharf.registry.client.transport import Body, Response, Transport

__all__ = ["AuthContext", "Session"]


@dataclass(frozen=True)
class AuthContext:
    """Who asks (credentials) and for what (token scopes, e.g. ``repository:a/b:pull``)."""

    credentials: Credentials
    scopes: tuple[str, ...] = ()


def _pick(challenges: Sequence[Challenge]) -> Challenge | None:
    """Bearer over Basic; per-request parameters (scope, error) dropped, so equal challenges
    mean the same authorization server."""
    for scheme in ("bearer", "basic"):
        for challenge in challenges:
            if challenge.scheme == scheme:
                kept = {k: v for k, v in challenge.params.items() if k not in ("scope", "error")}
                return Challenge(scheme, kept)
    return None


def _read_all(response: Response) -> bytes:
    data = response.data if response.data is not None else b""
    response.release_conn()
    return data


class Session:
    """Thread-safe request maker shared by every endpoint of a client."""

    def __init__(self, transport: Transport, tokens: TokenCache) -> None:
        self.transport = transport
        self._tokens = tokens
        self._challenges: dict[Endpoint, Challenge] = {}
        self._lock = threading.Lock()

    def request(
        self,
        endpoint: Endpoint,
        method: str,
        url: str,
        auth: AuthContext,
        *,
        headers: Mapping[str, str] | None = None,
        body: Body = None,
        stream: bool = False,
    ) -> Response:
        """Send with credentials; on a 401 learn the challenge and retry once."""
        sent = dict(headers or {})
        known = self._challenge(endpoint)
        if known is not None:
            sent.update(self._authorization(endpoint, known, auth, fresh=False))
        response = self.transport.request(endpoint, method, url, sent, body, stream=stream)
        if response.status != 401 or not isinstance(body, bytes | None):
            return response
        challenge = _pick(parse_challenges(response.headers.get("WWW-Authenticate", "")))
        if challenge is None or (challenge == known and challenge.scheme == "basic"):
            return response
        if auth.credentials.anonymous and challenge.scheme == "basic":
            return response
        _read_all(response)
        with self._lock:
            self._challenges[endpoint] = challenge
        sent.update(self._authorization(endpoint, challenge, auth, fresh=challenge == known))
        return self.transport.request(endpoint, method, url, sent, body, stream=stream)

    def _challenge(self, endpoint: Endpoint) -> Challenge | None:
        with self._lock:
            return self._challenges.get(endpoint)

    def _authorization(
        self, endpoint: Endpoint, challenge: Challenge, auth: AuthContext, *, fresh: bool
    ) -> dict[str, str]:
        credentials = auth.credentials
        if challenge.scheme == "basic":
            if credentials.username or credentials.password:
                return {"Authorization": basic_header(credentials)}
            return {}
        if credentials.registry_token:
            return {"Authorization": f"Bearer {credentials.registry_token}"}
        key = TokenCache.key(challenge, auth.scopes, credentials)
        token = None if fresh else self._tokens.get(key)
        if token is None:
            token = self.fetch_token(endpoint, challenge, auth.scopes, credentials, offline=False)
            self._tokens.put(key, token)
        return {"Authorization": f"Bearer {token.token}"}

    def fetch_token(
        self,
        endpoint: Endpoint,
        challenge: Challenge,
        scopes: Sequence[str],
        credentials: Credentials,
        *,
        offline: bool,
    ) -> Token:
        """Ask the challenge's realm for a token (scopes as given)."""
        request = token_request(challenge, scopes, credentials, offline=offline)
        token_endpoint = Endpoint(
            request.url.split("://", 1)[0], request.url.split("/")[2], endpoint.verify_tls
        )
        response = self.transport.request(
            token_endpoint, request.method, request.url, request.headers, request.body
        )
        body = _read_all(response)
        if response.status in (401, 403):
            text = registry_error_text(response.status, response.reason or "", body)
            if "authentication required" in text and not credentials.anonymous:
                text = "unauthorized: incorrect username or password"
            raise Unauthorized(f'{request.method.capitalize()} "{challenge.realm}": {text}')
        if response.status != 200:
            text = registry_error_text(response.status, response.reason or "", body)
            raise RemoteFailure(f'{request.method.capitalize()} "{challenge.realm}": {text}')
        return parse_token_response(body, self._tokens.now())

    def login(self, endpoint: Endpoint, credentials: Credentials) -> str:
        """Check credentials against ``/v2/``; the identity (refresh) token if one is issued."""
        url = endpoint.url("/v2/")
        response = self.transport.request(endpoint, "GET", url, {})
        body = _read_all(response)
        if response.status == 200:
            return ""
        challenge = _pick(parse_challenges(response.headers.get("WWW-Authenticate", "")))
        if response.status != 401 or challenge is None:
            text = registry_error_text(response.status, response.reason or "", body)
            raise RemoteFailure(f'Get "{url}": {text}')
        require_credentials(challenge, credentials)
        refresh = ""
        if challenge.scheme == "basic":
            headers = {"Authorization": basic_header(credentials)}
        else:
            token = self.fetch_token(endpoint, challenge, [], credentials, offline=True)
            refresh = token.refresh_token
            headers = {"Authorization": f"Bearer {token.token}"}
        check = self.transport.request(endpoint, "GET", url, headers)
        _read_all(check)
        if check.status != 200:
            status = f"{check.status} {check.reason or ''}".rstrip()
            raise Unauthorized(f"login attempt to {url} failed with status: {status}")
        with self._lock:
            self._challenges[endpoint] = challenge
        return refresh
