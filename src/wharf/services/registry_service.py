"""Registry use cases besides pull and push: ``X-Registry-Auth``, login (``POST /auth``),
search (``GET /images/search``) and ``GET /distribution/{name}/json``."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from wharf.core.digest import Digest
from wharf.core.errors import InvalidParameter
from wharf.core.oci import INDEX_TYPES
from wharf.core.reference import DEFAULT_DOMAIN, parse_reference
from wharf.lib.jsoncodec import loads_object
from wharf.services.image_store import JSON_LIMIT
from wharf.services.registry_port import RegistryAuth, RegistryPort

__all__ = ["DEFAULT_SEARCH_LIMIT", "RegistryService", "auth_from_json", "decode_registry_auth"]

DEFAULT_SEARCH_LIMIT = 25
_SEARCH_FILTERS = ("stars", "is-official", "is-automated")


def decode_registry_auth(header: str) -> RegistryAuth:
    """``X-Registry-Auth``: base64url JSON (standard base64 too, padded or not); "" is
    anonymous. Anything else is a 400, never silently ignored."""
    text = header.strip()
    if not text:
        return RegistryAuth()
    padded = text + "=" * (-len(text) % 4)
    for decode in (base64.urlsafe_b64decode, base64.standard_b64decode):
        try:
            raw = decode(padded.encode("ascii"))
            data = json.loads(raw)
        except (binascii.Error, ValueError, UnicodeError):
            continue
        if data is None:  # "null": no credentials, as an empty object
            return RegistryAuth()
        if isinstance(data, dict):
            return auth_from_json(data)
    raise InvalidParameter("invalid X-Registry-Auth header: expected base64url-encoded JSON "
                           "with username, password, serveraddress, identitytoken or "
                           "registrytoken")


def auth_from_json(data: dict[str, Any]) -> RegistryAuth:
    """An AuthConfig object (``POST /auth`` body, or a decoded ``X-Registry-Auth``)."""
    def text(key: str) -> str:
        value = data.get(key) or ""
        if not isinstance(value, str):
            raise InvalidParameter(f"invalid registry auth: {key} must be a string")
        return value

    username, password = text("username"), text("password")
    encoded = text("auth")
    if encoded and not username:  # "auth": base64("user:password"), as config.json keeps it
        try:
            username, _, password = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeError) as exc:
            raise InvalidParameter(f"invalid registry auth: bad auth field: {exc}") from exc
    return RegistryAuth(username, password, text("serveraddress"), text("identitytoken"),
                        text("registrytoken"))


def split_search_term(term: str) -> tuple[str, str]:
    """``host:5000/name`` → (``host:5000``, ``name``); a term without a registry is Docker
    Hub's (moby's ``ParseSearchIndexInfo``)."""
    first, sep, rest = term.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return DEFAULT_DOMAIN, term


def _search_filters(filters: dict[str, list[str]]) -> tuple[int, bool | None, bool | None]:
    for key in filters:
        if key not in _SEARCH_FILTERS:
            raise InvalidParameter(f"invalid filter '{key}'")
    stars = 0
    for value in filters.get("stars", []):
        try:
            stars = max(stars, int(value))
        except ValueError:
            raise InvalidParameter(f"invalid filter 'stars=[{' '.join(filters['stars'])}]'"
                                   ) from None
    return stars, _bool_filter(filters, "is-official"), _bool_filter(filters, "is-automated")


def _bool_filter(filters: dict[str, list[str]], key: str) -> bool | None:
    values = filters.get(key)
    if not values:
        return None
    if values in (["true"], ["false"]):
        return values == ["true"]
    raise InvalidParameter(f"invalid filter '{key}=[{' '.join(values)}]'")


def _search_entry(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "star_count": int(item.get("star_count") or 0),
        "is_official": bool(item.get("is_official")),
        "name": str(item.get("name") or ""),
        "is_automated": bool(item.get("is_automated")),
        "description": str(item.get("description") or ""),
    }


class RegistryService:
    def __init__(self, registry: RegistryPort) -> None:
        self._registry = registry

    def login(self, body: dict[str, Any]) -> dict[str, str]:
        """``POST /auth``: check the credentials on the registry."""
        auth = auth_from_json(body)
        token = self._registry.login(auth)
        return {"Status": "Login Succeeded", "IdentityToken": token}

    def search(self, term: str, limit: int | None, filters: dict[str, list[str]],
               auth: RegistryAuth) -> list[dict[str, Any]]:
        if not term:
            raise InvalidParameter("term is required")
        limit = DEFAULT_SEARCH_LIMIT if limit is None else limit
        if not 1 <= limit <= 100:
            raise InvalidParameter(f"limit {limit} is outside the range of [1, 100]")
        stars, official, automated = _search_filters(filters)
        server, remote_term = split_search_term(term)
        found = [_search_entry(i) for i in self._registry.search(server, remote_term, limit, auth)]
        return [
            entry for entry in found
            if entry["star_count"] >= stars
            and (official is None or entry["is_official"] == official)
            and (automated is None or entry["is_automated"] == automated)
        ][:limit]

    def distribution(self, name: str, auth: RegistryAuth) -> dict[str, Any]:
        """``GET /distribution/{name}/json``: the descriptor the reference resolves to and
        the platforms it offers."""
        ref = parse_reference(name).with_default_tag()
        repo = self._registry.repository(ref, auth)
        top = repo.fetch_top(ref.digest or ref.tag or "latest")
        descriptor = {"mediaType": top.media_type, "digest": str(top.digest),
                      "size": len(top.data)}
        doc = _json(top.data)
        if top.media_type in INDEX_TYPES:
            platforms = [m["platform"] for m in doc.get("manifests", [])
                         if isinstance(m, dict) and isinstance(m.get("platform"), dict)]
        else:
            config_digest = Digest.parse(str((doc.get("config") or {}).get("digest", "")))
            config = _json(repo.get_blob(config_digest, JSON_LIMIT))
            platform = {"architecture": config.get("architecture", ""),
                        "os": config.get("os", "")}
            if config.get("variant"):
                platform["variant"] = config["variant"]
            platforms = [platform]
        return {"Descriptor": descriptor, "Platforms": platforms}


def _json(data: bytes) -> dict[str, Any]:
    return loads_object(data, "malformed JSON from the registry")
