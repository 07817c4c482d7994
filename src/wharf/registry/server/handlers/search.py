"""``/v1/search`` in Docker Hub's v1 shape, and wharf's admin endpoint for a repository's stars.

Search (what ``docker search`` and ``wharf search`` read through the daemon)::

    GET /v1/search?q=<term>&n=<page size, 1..100, default 25>&page=<1-based>
    {"query", "num_results", "num_pages", "page", "page_size",
     "results": [{"name", "description", "star_count", "is_official", "is_automated"}]}

A repository matches when ``q`` is a case-insensitive substring of its name; results are
sorted by stars (most first), then name. ``library/*`` repositories are official.

Stars (behind the same authentication as the registry)::

    GET /wharf/v1/repositories/<name>/stars        {"name": ..., "stars": N}
    PUT /wharf/v1/repositories/<name>/stars        body {"stars": N}, N >= 0
"""

from __future__ import annotations

import json

from aiohttp import web

from wharf.registry.server.bodies import BodyLimits, read_body
from wharf.registry.server.errors import RegistryError
from wharf.registry.server.paths import Route, parse_count
from wharf.registry.server.state import Registry, json_response

__all__ = ["get_stars", "ping_v1", "put_stars", "search"]

PAGE_SIZE_DEFAULT = 25
PAGE_SIZE_MAX = 100
STARS_MAX = (1 << 31) - 1  # what every client's star_count field holds
_STARS_BODY = BodyLimits(4096, 30.0, 30.0)


async def search(registry: Registry, request: web.Request, route: Route) -> web.StreamResponse:
    term = request.query.get("q", "").strip().lower()
    page_size = _int_query(request, "n", PAGE_SIZE_DEFAULT, 1, PAGE_SIZE_MAX)
    page = _int_query(request, "page", 1, 1, 1 << 30)
    names = [n for n in registry.repositories.names() if term in n.lower()]
    ranked = sorted(names, key=lambda n: (-registry.repositories.stars(n), n))
    chosen = ranked[(page - 1) * page_size : page * page_size]
    return json_response(
        {
            "query": term,
            "num_results": len(ranked),
            "num_pages": max(1, -(-len(ranked) // page_size)),
            "page": page,
            "page_size": page_size,
            "results": [_result(registry, name) for name in chosen],
        }
    )


async def ping_v1(registry: Registry, request: web.Request, route: Route) -> web.StreamResponse:
    """``/v1/_ping``: dockerd probes it before a search on a registry other than Docker Hub."""
    return json_response({"standalone": True})


async def get_stars(registry: Registry, request: web.Request, route: Route) -> web.StreamResponse:
    _known(registry, route.name)
    return json_response({"name": route.name, "stars": registry.repositories.stars(route.name)})


async def put_stars(registry: Registry, request: web.Request, route: Route) -> web.StreamResponse:
    _known(registry, route.name)
    try:
        document = json.loads(await read_body(request, _STARS_BODY))
    except (ValueError, RecursionError) as exc:
        message = f"body is not JSON: {str(exc)[:200]}"
        raise RegistryError("UNSUPPORTED", message, status=400) from exc
    stars = document.get("stars") if isinstance(document, dict) else None
    if not isinstance(stars, int) or isinstance(stars, bool) or not 0 <= stars <= STARS_MAX:
        raise RegistryError(
            "UNSUPPORTED", 'body must be {"stars": <integer 0..2^31-1>}', status=400
        )
    registry.repositories.set_stars(route.name, stars)
    return json_response({"name": route.name, "stars": stars})


def _result(registry: Registry, name: str) -> dict[str, object]:
    return {
        "name": name,
        "description": "",
        "star_count": registry.repositories.stars(name),
        "is_official": name.startswith("library/"),
        "is_automated": False,
    }


def _known(registry: Registry, name: str) -> None:
    if not registry.repositories.exists(name):
        raise RegistryError("NAME_UNKNOWN", detail={"name": name})


def _int_query(request: web.Request, key: str, default: int, low: int, high: int) -> int:
    text = request.query.get(key)
    if text is None:
        return default
    number = parse_count(text)
    if number is None or not low <= number <= high:
        raise RegistryError(
            "PAGINATION_NUMBER_INVALID", f"{key} must be an integer in {low}..{high}"
        )
    return number
