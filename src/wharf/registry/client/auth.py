"""Registry authentication: challenges, credentials, bearer tokens and their cache.

A registry answers 401 with ``WWW-Authenticate``: ``Basic realm=…`` (send the username and
password) or ``Bearer realm=…,service=…,scope=…`` (ask the realm for a token for that scope:
a GET with basic credentials or anonymous, or an OAuth2 POST with a refresh token when the
credentials carry an identity token). Tokens are cached per (realm, service, scope set,
credentials) until shortly before they expire.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from wharf.core.errors import RemoteFailure, Unauthorized

__all__ = [
    "Challenge",
    "Credentials",
    "Token",
    "TokenCache",
    "basic_header",
    "parse_challenges",
    "parse_token_response",
    "token_request",
]

DEFAULT_TOKEN_LIFETIME = 60
MIN_TOKEN_LIFETIME = 60
EXPIRY_MARGIN = 5.0
MAX_TOKEN_RESPONSE = 1 << 20
CLIENT_ID = "wharf"

_PARAM_RE = re.compile(r'\s*([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?')


@dataclass(frozen=True)
class Credentials:
    """What a user gave for a registry (the X-Registry-Auth fields); all empty = anonymous."""

    username: str = ""
    password: str = field(default="", repr=False)
    identity_token: str = field(default="", repr=False)
    registry_token: str = field(default="", repr=False)

    @property
    def anonymous(self) -> bool:
        return not (self.username or self.password or self.identity_token or self.registry_token)

    def cache_key(self) -> str:
        joined = "\0".join((self.username, self.password, self.identity_token, self.registry_token))
        return hashlib.sha256(joined.encode()).hexdigest()


ANONYMOUS = Credentials()


@dataclass(frozen=True)
class Challenge:
    """One ``WWW-Authenticate`` challenge: its scheme (lower case) and parameters."""

    scheme: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def realm(self) -> str:
        return self.params.get("realm", "")


def parse_challenges(header: str) -> list[Challenge]:
    """Parse a ``WWW-Authenticate`` value (one or several challenges)."""
    challenges: list[Challenge] = []
    rest = header.strip()
    while rest:
        match = re.match(r"([A-Za-z][\w-]*)\s*", rest)
        if match is None:
            break
        scheme, rest = match.group(1).lower(), rest[match.end() :]
        params: dict[str, str] = {}
        while (param := _PARAM_RE.match(rest)) is not None and param.group(0):
            value = param.group(2) if param.group(2) is not None else param.group(3)
            params[param.group(1).lower()] = re.sub(r"\\(.)", r"\1", value)
            rest = rest[param.end() :]
        challenges.append(Challenge(scheme, params))
        rest = rest.lstrip(", ")
    return challenges


def basic_header(credentials: Credentials) -> str:
    pair = f"{credentials.username}:{credentials.password}".encode()
    return "Basic " + base64.b64encode(pair).decode()


@dataclass(frozen=True)
class Token:
    """A bearer token, when it stops being usable, and a refresh token if one was issued."""

    token: str = field(repr=False)
    expires_at: float
    refresh_token: str = field(default="", repr=False)


def parse_token_response(body: bytes, now: float) -> Token:
    """A token endpoint's JSON: ``token`` (or ``access_token``), ``expires_in``,
    ``refresh_token``."""
    try:
        data = json.loads(body[:MAX_TOKEN_RESPONSE])
    except ValueError as error:
        raise RemoteFailure(f"malformed token response: {error}") from error
    if not isinstance(data, dict):
        raise RemoteFailure("malformed token response: not an object")
    token = data.get("token") or data.get("access_token")
    if not isinstance(token, str) or not token:
        raise RemoteFailure("authorization server did not include a token in the response")
    lifetime = data.get("expires_in")
    if not isinstance(lifetime, int) or lifetime < MIN_TOKEN_LIFETIME:
        lifetime = DEFAULT_TOKEN_LIFETIME
    refresh = data.get("refresh_token")
    return Token(token, now + lifetime - EXPIRY_MARGIN, refresh if isinstance(refresh, str) else "")


@dataclass(frozen=True)
class TokenRequest:
    """How to ask a realm for a token: method, URL, headers and form body."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None = None


def token_request(
    challenge: Challenge, scopes: Sequence[str], credentials: Credentials, *, offline: bool
) -> TokenRequest:
    """The request for a bearer token: OAuth2 POST with a refresh token, else a GET."""
    service = challenge.params.get("service", "")
    realm = challenge.realm
    if not realm:
        raise RemoteFailure("bearer challenge without a realm")
    if credentials.identity_token:
        form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", credentials.identity_token),
            ("service", service),
            ("client_id", CLIENT_ID),
            *(("scope", scope) for scope in scopes),
        ]
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return TokenRequest("POST", realm, headers, urlencode(form).encode())
    query: list[tuple[str, str]] = [("service", service)] if service else []
    query += [("scope", scope) for scope in scopes]
    headers = {}
    if credentials.username or credentials.password:
        query.append(("account", credentials.username))
        headers["Authorization"] = basic_header(credentials)
    if offline:
        query += [("offline_token", "true"), ("client_id", CLIENT_ID)]
    separator = "&" if "?" in realm else "?"
    return TokenRequest("GET", realm + (separator + urlencode(query) if query else ""), headers)


class TokenCache:
    """Thread-safe bearer-token cache keyed by realm, service, scopes and credentials."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tokens: dict[tuple[str, ...], Token] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(
        challenge: Challenge, scopes: Sequence[str], credentials: Credentials
    ) -> tuple[str, ...]:
        service = challenge.params.get("service", "")
        return (challenge.realm, service, credentials.cache_key(), *sorted(scopes))

    def get(self, key: tuple[str, ...]) -> Token | None:
        with self._lock:
            token = self._tokens.get(key)
            if token is not None and token.expires_at <= self._clock():
                del self._tokens[key]
                return None
            return token

    def put(self, key: tuple[str, ...], token: Token) -> None:
        with self._lock:
            self._tokens[key] = token

    def drop(self, key: tuple[str, ...]) -> None:
        with self._lock:
            self._tokens.pop(key, None)

    def now(self) -> float:
        return self._clock()


def require_credentials(challenge: Challenge, credentials: Credentials) -> None:
    """Basic auth without credentials cannot succeed."""
    if challenge.scheme == "basic" and not (credentials.username or credentials.password):
        raise Unauthorized("unauthorized: authentication required")
