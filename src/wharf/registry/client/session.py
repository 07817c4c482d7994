"""Authenticated requests to one endpoint: answer 401 challenges, reuse tokens.

The challenge an endpoint last sent is remembered, so later requests carry their credentials
up front; a 401 (a new scope, an expired token) refreshes it and the request is sent once more.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from wharf.core.errors import RemoteFailure, Unauthorized
from wharf.registry.client.auth import (
    ANONYMOUS,
    MAX_TOKEN_RESPONSE,
    Challenge,
    Credentials,
    Token,
    TokenCache,
    basic_header,
    is_header_token,
    parse_challenges,
    parse_token_response,
    require_credentials,
    token_request,
)
from wharf.registry.client.endpoints import Endpoint, origin
from wharf.registry.client.errors import registry_error_text
from wharf.registry.client.transport import SMALL_BODY, Body, Response, Transport, finish, read_body

__all__ = ["AuthContext", "Session", "same_origin"]


@dataclass(frozen=True)
class AuthContext:
    """Who asks (credentials) and for what (token scopes, e.g. ``repository:a/b:pull``)."""

    credentials: Credentials
    scopes: tuple[str, ...] = ()


def same_origin(url: str, endpoint: Endpoint) -> bool:
    """True when ``url`` is on ``endpoint``'s scheme, host and port (``endpoints.origin``);
    a URL with user info is never (parsers disagree on which host such a URL names)."""
    return "@" not in urlsplit(url).netloc and origin(url) == endpoint.origin


def _pick(challenges: Sequence[Challenge]) -> Challenge | None:
    """Bearer over Basic; per-request parameters (scope, error) dropped, so equal challenges
    mean the same authorization server."""
    for scheme in ("bearer", "basic"):
        for challenge in challenges:
            if challenge.scheme == scheme:
                kept = {k: v for k, v in challenge.params.items() if k not in ("scope", "error")}
                return Challenge(scheme, kept)
    return None


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
    ) -> Response:
        """Send with credentials; on a 401 learn the challenge and retry once. A URL on another
        host (a ``Link`` or upload ``Location`` the registry named) gets no credentials, and a
        401 from another host (after a redirect) teaches nothing: the registry's credentials
        go to the registry and the token realm it names, never to a host a response points at,
        nor to a mirror (which is asked anonymously: moby#42022 is Docker leaking them there)."""
        sent = dict(headers or {})
        if not same_origin(url, endpoint):
            return self.transport.request(endpoint, method, url, sent, body)
        if endpoint.is_mirror:  # the user's credentials are for the registry, not its mirrors
            auth = AuthContext(ANONYMOUS, auth.scopes)
        known = self._challenge(endpoint)
        if known is not None:
            sent.update(self._authorize(endpoint, known, auth, method, url, fresh=False))
        response = self.transport.request(endpoint, method, url, sent, body)
        if response.status != 401 or not isinstance(body, bytes | None):
            return response
        if not same_origin(response.url or url, endpoint):
            return response
        challenge = _pick(parse_challenges(response.headers.get("WWW-Authenticate", "")))
        if challenge is None or (challenge == known and challenge.scheme == "basic"):
            return response
        if auth.credentials.anonymous and challenge.scheme == "basic":
            finish(response)  # Docker's words, and its status: a 500, not a 401 (a 401
            # would make the docker CLI ask for a login on whatever its stdin is)
            raise RemoteFailure(f'{method.capitalize()} "{url}": no basic auth credentials')
        finish(response)
        with self._lock:
            self._challenges[endpoint] = challenge
        fresh = challenge == known
        sent.update(self._authorize(endpoint, challenge, auth, method, url, fresh=fresh))
        return self.transport.request(endpoint, method, url, sent, body)

    def _challenge(self, endpoint: Endpoint) -> Challenge | None:
        with self._lock:
            return self._challenges.get(endpoint)

    def _authorize(
        self,
        endpoint: Endpoint,
        challenge: Challenge,
        auth: AuthContext,
        method: str,
        url: str,
        *,
        fresh: bool,
    ) -> dict[str, str]:
        """The Authorization header; a refused token request names the request it was for,
        as Docker does (``Get "https://…/v2/…": unauthorized: incorrect username or password``)."""
        try:
            return self._authorization(endpoint, challenge, auth, fresh=fresh)
        except Unauthorized as error:
            raise Unauthorized(f'{method.capitalize()} "{url}": {error}') from error

    def _authorization(
        self, endpoint: Endpoint, challenge: Challenge, auth: AuthContext, *, fresh: bool
    ) -> dict[str, str]:
        credentials = auth.credentials
        if challenge.scheme == "basic":
            if credentials.username or credentials.password:
                return {"Authorization": basic_header(credentials)}
            return {}
        if credentials.registry_token:
            if not is_header_token(credentials.registry_token):
                raise Unauthorized("registry token has invalid characters")
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
        token_endpoint = self.transport.endpoint_for(request.url, endpoint)
        response = self.transport.request(
            token_endpoint, request.method, request.url, request.headers, request.body
        )
        body = read_body(response, MAX_TOKEN_RESPONSE, "token response")
        if response.status in (401, 403):
            text = registry_error_text(response.status, response.reason or "", body)
            if "authentication required" in text and not credentials.anonymous:
                text = "unauthorized: incorrect username or password"
            raise Unauthorized(text)
        if response.status != 200:
            text = registry_error_text(response.status, response.reason or "", body)
            raise RemoteFailure(f'{request.method.capitalize()} "{challenge.realm}": {text}')
        return parse_token_response(body, self._tokens.now())

    def login(self, endpoint: Endpoint, credentials: Credentials) -> str:
        """Check credentials against ``/v2/``; the identity (refresh) token if one is issued."""
        url = endpoint.url("/v2/")
        response = self.transport.request(endpoint, "GET", url, {})
        body = read_body(response, SMALL_BODY, "ping response")
        if response.status == 200:
            return ""
        challenge = _pick(parse_challenges(response.headers.get("WWW-Authenticate", "")))
        if not same_origin(response.url or url, endpoint):
            challenge = None  # redirected elsewhere: that host's realm gets no credentials
        if response.status != 401 or challenge is None:
            text = registry_error_text(response.status, response.reason or "", body)
            raise RemoteFailure(f'Get "{url}": {text}')
        require_credentials(challenge, credentials)
        refresh = ""
        if challenge.scheme == "basic":
            headers = {"Authorization": basic_header(credentials)}
        else:
            try:
                token = self.fetch_token(endpoint, challenge, [], credentials, offline=True)
            except Unauthorized as error:
                raise Unauthorized(f'Get "{url}": {error}') from error
            refresh = token.refresh_token
            headers = {"Authorization": f"Bearer {token.token}"}
        check = self.transport.request(endpoint, "GET", url, headers)
        finish(check)
        if check.status != 200:
            status = f"{check.status} {check.reason or ''}".rstrip()
            raise Unauthorized(f"login attempt to {url} failed with status: {status}")
        with self._lock:
            self._challenges[endpoint] = challenge
        return refresh
