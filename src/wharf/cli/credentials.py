"""Registry credentials in docker's client config (``$DOCKER_CONFIG/config.json``).

``auths`` maps a server key to ``{"auth": base64("user:password")}`` (plus ``identitytoken``
when the registry issued one). Docker Hub's key is ``https://index.docker.io/v1/``; any other
registry's is its ``host[:port]``. Other keys of the file are kept as they are; the file is
written atomically with mode 0600. Credential helpers (``credsStore``, ``credHelpers``) are
``docker-credential-<name>`` programs speaking docker's helper protocol (``helpers.py``).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping

from wharf.cli.clientconfig import CONFIG_FILE, config_dir
from wharf.cli.command import CommandFailed, Context

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

INDEX_SERVER = "https://index.docker.io/v1/"
HUB_NAMES = frozenset({"", "docker.io", INDEX_SERVER})  # what docker files under the index


def hostname_of(address: str) -> str:
    """docker's ``ConvertToHostname``: ``https://host:port/path`` → ``host:port``."""
    for scheme in ("http://", "https://"):
        if address.startswith(scheme):
            address = address[len(scheme):]
            break
    return address.split("/", 1)[0]


def server_key(address: str) -> str:
    """The ``auths`` key for a server given by the user or taken from a reference's domain:
    Docker Hub (no server, ``docker.io``) is filed under ``https://index.docker.io/v1/``."""
    if address in HUB_NAMES:
        return INDEX_SERVER
    return hostname_of(address)


class Credentials:
    """What is stored for one server (password empty when an identity token is used)."""

    __slots__ = ("identity_token", "password", "server", "username")

    def __init__(self, server: str, username: str = "", password: str = "",
                 identity_token: str = "") -> None:
        self.server = server
        self.username = username
        self.password = password
        self.identity_token = identity_token

    def empty(self) -> bool:
        return not (self.username or self.password or self.identity_token)

    def auth_config(self) -> dict[str, str]:
        """Docker's ``AuthConfig`` fields (what ``X-Registry-Auth`` and ``/auth`` carry)."""
        if self.empty():
            return {}
        fields = {"username": self.username, "password": self.password,
                  "serveraddress": self.server, "identitytoken": self.identity_token}
        return {name: value for name, value in fields.items() if value}  # omitempty


class ConfigFile:
    """The client config file, read once; ``save`` writes it back atomically."""

    def __init__(self, path: str, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data

    @classmethod
    def load(cls, env: Mapping[str, str]) -> ConfigFile:
        path = os.path.join(config_dir(env), CONFIG_FILE)
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except FileNotFoundError:
            return cls(path, {})
        except OSError as exc:
            raise CommandFailed(1, f"loading config file: {path}: {exc.strerror}") from exc
        try:
            data = json.loads(text) if text.strip() else {}
        except ValueError as exc:
            raise CommandFailed(1, f"loading config file: {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise CommandFailed(1, f"loading config file: {path}: not a JSON object")
        return cls(path, data)

    def auths(self) -> dict[str, Any]:
        auths = self.data.get("auths")
        if not isinstance(auths, dict):
            auths = self.data["auths"] = {}
        return auths

    def helper_for(self, key: str) -> str:
        """The credential helper configured for ``key`` ("" for the file itself)."""
        helpers = self.data.get("credHelpers")
        if isinstance(helpers, dict) and isinstance(helpers.get(hostname_of(key)), str):
            return str(helpers[hostname_of(key)])
        store = self.data.get("credsStore")
        return store if isinstance(store, str) else ""

    def get(self, key: str) -> Credentials:
        helper = self.helper_for(key)
        if helper:
            from wharf.cli.helpers import helper_get

            return helper_get(helper, key)
        entry = self.auths().get(key)
        if entry is None:  # docker also finds entries saved as "https://host/..." URLs
            entry = next((value for name, value in self.auths().items()
                          if hostname_of(name) == key), None)
        return _decode_entry(key, entry if isinstance(entry, dict) else {})

    def store(self, credentials: Credentials) -> None:
        helper = self.helper_for(credentials.server)
        if helper:
            from wharf.cli.helpers import helper_store

            helper_store(helper, credentials)
            self.auths()[credentials.server] = {}
        else:
            self.auths()[credentials.server] = _encode_entry(credentials)
        self.save()

    def erase(self, key: str) -> None:
        helper = self.helper_for(key)
        if helper:
            from wharf.cli.helpers import helper_erase

            helper_erase(helper, key)
        if self.auths().pop(key, None) is not None:
            self.save()

    def uses_helper(self, key: str) -> bool:
        return bool(self.helper_for(key))

    def save(self) -> None:
        from pathlib import Path

        from wharf.lib.atomicfile import write_atomic

        text = json.dumps(self.data, indent="\t", ensure_ascii=False)
        try:
            os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
            target = Path(os.path.realpath(self.path))  # docker writes through a symlink
            write_atomic(target, text.encode("utf-8"), mode=0o600)
        except OSError as exc:
            raise CommandFailed(1, f"Error saving credentials: {exc}") from exc


def _decode_entry(key: str, entry: dict[str, Any]) -> Credentials:
    username = str(entry.get("username") or "")
    password = str(entry.get("password") or "")
    encoded = entry.get("auth")
    if isinstance(encoded, str) and encoded:
        try:
            username, _, password = base64.b64decode(encoded).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError) as exc:
            raise CommandFailed(1, f"invalid auth configuration file: {key}: {exc}") from exc
    return Credentials(key, username, password, str(entry.get("identitytoken") or ""))


def _encode_entry(credentials: Credentials) -> dict[str, str]:
    pair = f"{credentials.username}:{credentials.password}".encode()
    entry = {"auth": base64.b64encode(pair).decode("ascii")}
    if credentials.identity_token:
        entry["identitytoken"] = credentials.identity_token
    return entry


def registry_auth_for(ctx: Context, domain: str) -> str:
    """The ``X-Registry-Auth`` value for a registry domain (``e30=`` when none is stored)."""
    from wharf.client.auth import encode_registry_auth

    try:
        credentials = ConfigFile.load(ctx.env).get(server_key(domain))
    except CommandFailed as exc:  # docker warns about a broken config and goes on
        ctx.err(f"WARNING: Error {exc.message}")
        return encode_registry_auth({})
    return encode_registry_auth(credentials.auth_config())
