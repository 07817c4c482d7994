"""Exec endpoints of the Engine API."""

from __future__ import annotations

from wharf.client.transport import HijackedStream, Transport, quote
from wharf.lib import jsoncodec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    JSON = dict[str, Any]


class Exec:
    def __init__(self, transport: Transport) -> None:
        self.t = transport

    def create(self, container: str, config: JSON) -> str:
        result: JSON = self.t.call_json("POST", f"/containers/{quote(container)}/exec", None,
                                        config)
        return str(result["Id"])

    def start_detached(self, exec_id: str, tty: bool = False) -> None:
        body = jsoncodec.dumps({"Detach": True, "Tty": tty}).encode()
        self.t.call("POST", f"/exec/{quote(exec_id)}/start", None, body,
                    {"Content-Type": "application/json"})

    def start_attached(self, exec_id: str, tty: bool = False) -> HijackedStream:
        body = jsoncodec.dumps({"Detach": False, "Tty": tty}).encode()
        return self.t.hijack("POST", f"/exec/{quote(exec_id)}/start", None, body)

    def resize(self, exec_id: str, height: int, width: int) -> None:
        self.t.call("POST", f"/exec/{quote(exec_id)}/resize", {"h": height, "w": width})

    def inspect(self, exec_id: str) -> JSON:
        result: JSON = self.t.call_json("GET", f"/exec/{quote(exec_id)}/json")
        return result
