"""Container endpoints of the Engine API, one method per endpoint."""

from __future__ import annotations

from collections.abc import Iterator

from wharf.client.transport import HijackedStream, Pending, Transport, quote
from wharf.lib import jsoncodec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    JSON = dict[str, Any]
    JSONList = list[JSON]
    Filters = dict[str, list[str]]
    Strings = list[str]


def filters_param(filters: dict[str, list[str]] | None) -> str | None:
    """Docker's ``filters`` query value: ``{"name": {"value": true}}`` style JSON."""
    if not filters:
        return None
    nested = {key: dict.fromkeys(values, True) for key, values in filters.items()}
    return jsoncodec.dumps(nested, separators=(",", ":"))


class Containers:
    def __init__(self, transport: Transport) -> None:
        self.t = transport

    def list(self, all_: bool = False, limit: int = -1, size: bool = False,
             filters: Filters | None = None) -> JSONList:
        params = {"all": all_ or None, "limit": limit if limit > 0 else None,
                  "size": size or None, "filters": filters_param(filters)}
        result: JSONList = self.t.call_json("GET", "/containers/json", params)
        return result

    def create(self, config: JSON, name: str | None = None,
               platform: str | None = None) -> JSON:
        result: JSON = self.t.call_json("POST", "/containers/create",
                                        {"name": name, "platform": platform}, config)
        return result

    def inspect(self, ref: str, size: bool = False) -> JSON:
        result: JSON = self.t.call_json("GET", f"/containers/{quote(ref)}/json",
                                        {"size": size or None})
        return result

    def top(self, ref: str, ps_args: str | None = None) -> JSON:
        result: JSON = self.t.call_json("GET", f"/containers/{quote(ref)}/top",
                                        {"ps_args": ps_args})
        return result

    def stats(self, ref: str, one_shot: bool = False) -> JSON:
        """One sample (``stream=false``: the daemon fills ``precpu_stats`` unless one-shot)."""
        result: JSON = self.t.call_json("GET", f"/containers/{quote(ref)}/stats",
                                        {"stream": "false", "one-shot": one_shot or None})
        return result

    def stats_stream(self, ref: str) -> Iterator[JSON]:
        """A sample a second, until the caller stops reading."""
        yield from self.t.stream_lines("GET", f"/containers/{quote(ref)}/stats",
                                       {"stream": "true"})

    def update(self, ref: str, config: JSON) -> JSON:
        """``POST /update`` with Resources fields and/or a RestartPolicy; ``{"Warnings": []}``."""
        result: JSON = self.t.call_json("POST", f"/containers/{quote(ref)}/update", None,
                                        config)
        return result

    def logs(self, ref: str, *, follow: bool = False, stdout: bool = True, stderr: bool = True,
             since: str | None = None, until: str | None = None, timestamps: bool = False,
             tail: str = "all") -> Iterator[bytes]:
        params = {"follow": follow or None, "stdout": stdout or None, "stderr": stderr or None,
                  "since": since, "until": until, "timestamps": timestamps or None,
                  "tail": tail}
        response = self.t.request("GET", f"/containers/{quote(ref)}/logs", params)
        yield from response.iter_raw()
        self.t.finish(response)

    def changes(self, ref: str) -> JSONList:
        result: JSONList | None = self.t.call_json("GET", f"/containers/{quote(ref)}/changes")
        return result or []

    def export(self, ref: str) -> Iterator[bytes]:
        response = self.t.request("GET", f"/containers/{quote(ref)}/export")
        yield from response.iter_raw()
        self.t.finish(response)

    def start(self, ref: str) -> None:
        self.t.call("POST", f"/containers/{quote(ref)}/start")

    def stop(self, ref: str, timeout: int | None = None, signal: str | None = None) -> None:
        self.t.call("POST", f"/containers/{quote(ref)}/stop", {"t": timeout, "signal": signal})

    def restart(self, ref: str, timeout: int | None = None, signal: str | None = None) -> None:
        self.t.call("POST", f"/containers/{quote(ref)}/restart",
                    {"t": timeout, "signal": signal})

    def kill(self, ref: str, signal: str | None = None) -> None:
        self.t.call("POST", f"/containers/{quote(ref)}/kill", {"signal": signal})

    def rename(self, ref: str, new_name: str) -> None:
        self.t.call("POST", f"/containers/{quote(ref)}/rename", {"name": new_name})

    def pause(self, ref: str) -> None:
        self.t.call("POST", f"/containers/{quote(ref)}/pause")

    def unpause(self, ref: str) -> None:
        self.t.call("POST", f"/containers/{quote(ref)}/unpause")

    def resize(self, ref: str, height: int, width: int) -> None:
        self.t.call("POST", f"/containers/{quote(ref)}/resize", {"h": height, "w": width})

    def attach(self, ref: str, *, stream: bool = True, stdin: bool = False, stdout: bool = True,
               stderr: bool = True, logs: bool = False,
               detach_keys: str | None = None) -> HijackedStream:
        params = {"stream": stream or None, "stdin": stdin or None, "stdout": stdout or None,
                  "stderr": stderr or None, "logs": logs or None, "detachKeys": detach_keys}
        return self.t.hijack("POST", f"/containers/{quote(ref)}/attach", params)

    def wait_request(self, ref: str, condition: str = "not-running") -> Pending:
        """Send ``POST /wait`` now; read the outcome later with ``wait_result``.

        ``run`` sends this before ``start`` so a short-lived container's exit is not missed.
        """
        return self.t.begin("POST", f"/containers/{quote(ref)}/wait", {"condition": condition})

    def wait_result(self, pending: Pending) -> JSON:
        """``{"StatusCode": N, "Error": {"Message": ...} | null}`` once the container is done."""
        data = self.t.complete(pending)
        result: JSON = jsoncodec.loads(data) if data.strip() else {}
        return result

    def wait(self, ref: str, condition: str = "not-running") -> JSON:
        return self.wait_result(self.wait_request(ref, condition))

    def remove(self, ref: str, force: bool = False, volumes: bool = False,
               link: bool = False) -> None:
        self.t.call("DELETE", f"/containers/{quote(ref)}",
                    {"force": force or None, "v": volumes or None, "link": link or None})

    def prune(self, filters: Filters | None = None) -> JSON:
        result: JSON = self.t.call_json("POST", "/containers/prune",
                                        {"filters": filters_param(filters)})
        return result
