"""Volume endpoints of the Engine API: list, create, inspect, remove, prune."""

from __future__ import annotations

from wharf.client.containers import filters_param
from wharf.client.transport import Transport, quote

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    JSON = dict[str, Any]


class Volumes:
    def __init__(self, transport: Transport) -> None:
        self.t = transport

    def create(self, name: str = "", driver: str = "local",
               driver_opts: dict[str, str] | None = None,
               labels: dict[str, str] | None = None) -> JSON:
        body = {"Name": name, "Driver": driver, "DriverOpts": driver_opts or {},
                "Labels": labels or {}}
        result: JSON = self.t.call_json("POST", "/volumes/create", None, body)
        return result

    def inspect(self, name: str) -> JSON:
        result: JSON = self.t.call_json("GET", f"/volumes/{quote(name, '')}")
        return result

    def remove(self, name: str, force: bool = False) -> None:
        self.t.call("DELETE", f"/volumes/{quote(name, '')}", {"force": force or None})

    def prune(self, filters: dict[str, list[str]] | None = None) -> JSON:
        result: JSON = self.t.call_json("POST", "/volumes/prune",
                                        {"filters": filters_param(filters)})
        return result

    def list(self, filters: dict[str, list[str]] | None = None) -> JSON:
        result: JSON = self.t.call_json("GET", "/volumes", {"filters": filters_param(filters)})
        return result
