"""Network endpoints of the Engine API, one method per endpoint."""

from __future__ import annotations

from wharf.client.containers import filters_param
from wharf.client.transport import Transport, quote

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    JSON = dict[str, Any]
    Filters = dict[str, list[str]]


class Networks:
    def __init__(self, transport: Transport) -> None:
        self.t = transport

    def list(self, filters: Filters | None = None) -> list[JSON]:
        result: list[JSON] = self.t.call_json("GET", "/networks",
                                              {"filters": filters_param(filters)})
        return result

    def inspect(self, ref: str, verbose: bool = False, scope: str | None = None) -> JSON:
        result: JSON = self.t.call_json("GET", f"/networks/{quote(ref)}",
                                        {"verbose": verbose or None, "scope": scope})
        return result

    def create(self, config: JSON) -> JSON:
        result: JSON = self.t.call_json("POST", "/networks/create", None, config)
        return result

    def remove(self, ref: str) -> None:
        self.t.call("DELETE", f"/networks/{quote(ref)}")

    def prune(self, filters: Filters | None = None) -> JSON:
        result: JSON = self.t.call_json("POST", "/networks/prune",
                                        {"filters": filters_param(filters)})
        return result

    def connect(self, ref: str, container: str, endpoint_config: JSON | None = None) -> None:
        body: JSON = {"Container": container}
        if endpoint_config:
            body["EndpointConfig"] = endpoint_config
        self.t.call_json("POST", f"/networks/{quote(ref)}/connect", None, body)

    def disconnect(self, ref: str, container: str, force: bool = False) -> None:
        self.t.call_json("POST", f"/networks/{quote(ref)}/disconnect", None,
                         {"Container": container, "Force": force})
