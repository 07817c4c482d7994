"""``/v2/<name>/tags/list`` and ``/v2/_catalog``, paginated with ``n``/``last`` and ``Link``."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from wharf.registry.server.errors import RegistryError
from wharf.registry.server.paths import Route, parse_count
from wharf.registry.server.state import Registry, json_response

__all__ = ["get_catalog", "get_tags", "paginate"]

PAGE_MAX = 1000


async def get_tags(registry: Registry, request: web.Request, route: Route) -> web.StreamResponse:
    if not registry.repositories.exists(route.name):
        raise RegistryError("NAME_UNKNOWN", detail={"name": route.name})
    tags, link = paginate(request, registry.repositories.tags(route.name))
    return json_response({"name": route.name, "tags": tags}, link)


async def get_catalog(registry: Registry, request: web.Request, route: Route) -> web.StreamResponse:
    repositories, link = paginate(request, registry.repositories.names())
    return json_response({"repositories": repositories}, link)


def paginate(request: web.Request, items: list[str]) -> tuple[list[str], dict[str, str]]:
    """The page of sorted ``items`` after ``?last=``, at most ``?n=`` (capped at PAGE_MAX)
    long, and a ``Link`` header to the next page when more remain."""
    limit = _page_size(request.query.get("n"))
    last = request.query.get("last")
    remaining = [item for item in items if last is None or item > last]
    page = remaining[:limit]
    if not page or len(remaining) <= len(page):
        return page, {}
    query = urlencode({"n": limit, "last": page[-1]})
    return page, {"Link": f'<{request.path}?{query}>; rel="next"'}


def _page_size(text: str | None) -> int:
    if text is None:
        return PAGE_MAX
    number = parse_count(text)
    if number is None:
        raise RegistryError("PAGINATION_NUMBER_INVALID", detail={"n": text[:40]})
    return min(number, PAGE_MAX)
