"""daemon.json's registry keys: ``registry-mirrors`` (Docker's list, the mirrors of docker.io,
or a map of registry → mirrors for any registry) and ``insecure-registries``. Errors are
ValueErrors with dockerd's texts (the config loader makes them ConfigErrors)."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

__all__ = ["insecure_registries", "mirror_url", "registry_mirrors"]


def mirror_url(url: Any) -> str:
    """Docker's ``ValidateMirror``: an http(s) URL with nothing after the host but ``/``."""
    text = str(url)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f'invalid mirror: unsupported scheme "{parts.scheme}" in "{text}"')
    if not parts.hostname or parts.username or parts.password:
        raise ValueError(f'invalid mirror: "{text}" is not a valid URI')
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f'invalid mirror: path, query, or fragment at end of the URI "{text}"')
    return text.rstrip("/")


def registry_mirrors(value: Any) -> tuple[list[str], dict[str, list[str]]]:
    """Docker's list (mirrors of docker.io) or a map of registry → mirrors; returns
    docker.io's list (for ``/info``) and every registry's."""
    if isinstance(value, dict):
        by_registry: dict[str, list[str]] = {}
        for registry, urls in value.items():
            if not isinstance(urls, list):
                raise ValueError(f"registry-mirrors: the mirrors of {registry} must be a list")
            name = "docker.io" if registry in ("index.docker.io", "registry-1.docker.io") \
                else str(registry)
            by_registry[name] = [mirror_url(u) for u in urls]
        return by_registry.get("docker.io", []), by_registry
    hub = [mirror_url(u) for u in value or []]
    return hub, ({"docker.io": hub} if hub else {})


def insecure_registries(value: Any) -> list[str]:
    out = []
    for entry in value or []:
        text = str(entry)
        if "://" in text:
            raise ValueError(f"insecure registry {text} should not contain '://'")
        if "/" in text:
            try:
                ipaddress.ip_network(text, strict=False)
            except ValueError:
                raise ValueError(f"insecure registry {text} is not a valid CIDR") from None
        out.append(text)
    return out
