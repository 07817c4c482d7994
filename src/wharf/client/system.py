"""System endpoints of the Engine API: ping, version, info, events, df."""

from __future__ import annotations

from collections.abc import Iterator

from wharf.client.containers import filters_param
from wharf.client.transport import Transport

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    JSON = dict[str, Any]


class System:
    def __init__(self, transport: Transport) -> None:
        self.t = transport

    def ping(self) -> str:
        response = self.t.request("GET", "/_ping", versioned=False)
        return self.t.finish(response).decode("utf-8", "replace")

    def version(self) -> JSON:
        result: JSON = self.t.call_json("GET", "/version")
        return result

    def info(self) -> JSON:
        result: JSON = self.t.call_json("GET", "/info")
        return result

    def df(self) -> JSON:
        result: JSON = self.t.call_json("GET", "/system/df")
        return result

    def events(self, since: str | None = None, until: str | None = None,
               filters: dict[str, list[str]] | None = None) -> Iterator[JSON]:
        params = {"since": since, "until": until, "filters": filters_param(filters)}
        yield from self.t.stream_lines("GET", "/events", params)

    def auth(self, config: JSON) -> JSON:
        """``POST /auth``: check credentials with the registry (``{"Status", "IdentityToken"}``)."""
        result: JSON = self.t.call_json("POST", "/auth", None, config) or {}
        return result
