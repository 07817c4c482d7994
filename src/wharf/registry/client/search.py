"""Docker's search API on a registry: ``GET /v1/search?q=<term>&n=<limit>``.

The answer is ``{"num_results": N, "query": "...", "results": [{"name", "description",
"star_count", "is_official", "is_automated"}]}``; missing fields read as empty or zero.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from wharf.core.errors import RemoteFailure
from wharf.registry.client.endpoints import Endpoint
from wharf.registry.client.errors import error_for_response
from wharf.registry.client.session import AuthContext, Session
from wharf.registry.client.transport import read_body

__all__ = ["SearchResult", "search_endpoint"]

MAX_SEARCH_BODY = 8 * 1024 * 1024
MAX_SEARCH_LIMIT = 100


@dataclass(frozen=True)
class SearchResult:
    name: str
    description: str = ""
    star_count: int = 0
    is_official: bool = False
    is_automated: bool = False

    @classmethod
    def from_json(cls, data: Any) -> SearchResult | None:
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            return None
        stars = data.get("star_count")
        return cls(
            data["name"],
            str(data.get("description") or ""),
            stars if isinstance(stars, int) else 0,
            data.get("is_official") is True,
            data.get("is_automated") is True,
        )


def search_endpoint(
    session: Session, endpoint: Endpoint, auth: AuthContext, term: str, limit: int
) -> list[SearchResult]:
    query = urlencode({"q": term, "n": max(1, min(limit, MAX_SEARCH_LIMIT))})
    response = session.request(endpoint, "GET", endpoint.url(f"/v1/search?{query}"), auth)
    body = read_body(response, MAX_SEARCH_BODY, "search response")
    if response.status != 200:
        raise error_for_response(response.status, response.reason or "", body)
    try:
        data = json.loads(body)
    except ValueError as error:
        raise RemoteFailure(f"malformed search response: {error}") from error
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list):
        raise RemoteFailure("malformed search response: no results list")
    parsed = (SearchResult.from_json(entry) for entry in results)
    return [entry for entry in parsed if entry is not None][:limit]
