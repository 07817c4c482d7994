"""``POST /build`` (the classic builder's API) and ``POST /build/prune``."""

from __future__ import annotations

from wharf.api.server import RouteDef
from wharf.services.build import BuildService

__all__ = ["routes"]


def routes(build: BuildService) -> list[RouteDef]:
    del build
    return []
