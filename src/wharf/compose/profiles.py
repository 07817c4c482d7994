"""Which services a run of compose acts on, given the active profiles (``--profile``,
``COMPOSE_PROFILES``): a service without profiles is always on, ``*`` turns every one on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from wharf.compose.model_service import Service


def parse_profiles_env(value: str | None) -> list[str]:
    """``COMPOSE_PROFILES=a,b`` as ``["a", "b"]``."""
    return [p.strip() for p in (value or "").split(",") if p.strip()]


def active_services(services: Mapping[str, Service], profiles: Iterable[str]) -> list[str]:
    """Names of the enabled services, sorted."""
    active = set(profiles)
    return sorted(
        name
        for name, svc in services.items()
        if not svc.profiles or "*" in active or active & set(svc.profiles)
    )
