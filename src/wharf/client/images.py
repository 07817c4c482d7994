"""Image endpoints of the Engine API, one method per endpoint."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from wharf.client.containers import filters_param
from wharf.client.transport import StreamTruncated, Transport, quote
from wharf.client.wire import ProtocolError
from wharf.lib import jsoncodec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    JSON = dict[str, Any]
    JSONList = list[JSON]
    Filters = dict[str, list[str]]
    Strings = list[str]


class Images:
    def __init__(self, transport: Transport) -> None:
        self.t = transport

    def list(self, all_: bool = False, digests: bool = False,
             filters: Filters | None = None) -> JSONList:
        params = {"all": all_ or None, "digests": digests or None,
                  "filters": filters_param(filters)}
        result: JSONList = self.t.call_json("GET", "/images/json", params)
        return result

    def inspect(self, ref: str) -> JSON:
        result: JSON = self.t.call_json("GET", f"/images/{quote(ref, '/:@')}/json")
        return result

    def history(self, ref: str) -> JSONList:
        result: JSONList = self.t.call_json("GET", f"/images/{quote(ref, '/:@')}/history")
        return result

    def tag(self, ref: str, repo: str, tag: str | None = None) -> None:
        self.t.call("POST", f"/images/{quote(ref, '/:@')}/tag", {"repo": repo, "tag": tag})

    def remove(self, ref: str, force: bool = False, noprune: bool = False) -> JSONList:
        result: JSONList = self.t.call_json(
            "DELETE", f"/images/{quote(ref, '/:@')}",
            {"force": force or None, "noprune": noprune or None})
        return result

    def import_tar(self, source: Iterable[bytes] | None, *, from_src: str = "-",
                   repo: str | None = None, tag: str | None = None,
                   changes: Strings | None = None, message: str | None = None,
                   platform: str | None = None) -> Iterator[JSON]:
        """``POST /images/create?fromSrc=-`` streaming ``source``; yields progress messages."""
        params: dict[str, str | int | bool | None] = {
            "fromSrc": from_src, "repo": repo, "tag": tag, "message": message,
            "platform": platform}
        query_changes: Strings = changes or []
        path = "/images/create"
        # ``changes`` repeats in the query string; append them after the encoded params.
        headers = {"Content-Type": "application/x-tar"}
        if query_changes:
            extra = "&".join(f"changes={quote(change)}" for change in query_changes)
            params_text = self.t.url(path, params) + "&" + extra
            response = self.t.request("POST", params_text, None, source, headers,
                                      versioned=False)
            yield from self._decode_lines(response)
            return
        yield from self.t.stream_lines("POST", path, params, source, headers)

    def _decode_lines(self, response: Any) -> Iterator[JSON]:
        for line in response.iter_lines():
            yield jsoncodec.loads(line)
        self.t.finish(response)

    def pull(self, name: str, tag: str | None = None, platform: str | None = None,
             registry_auth: str | None = None) -> Iterator[JSON]:
        """``POST /images/create?fromImage=...``; yields the daemon's progress messages.

        ``tag`` None pulls every tag (``--all-tags``); ``registry_auth`` is the encoded
        ``X-Registry-Auth`` value (see ``wharf.client.auth``)."""
        params = {"fromImage": name, "tag": tag, "platform": platform}
        yield from self.t.stream_lines("POST", "/images/create", params,
                                       headers=_auth_header(registry_auth))

    def push(self, name: str, tag: str | None = None, registry_auth: str | None = None,
             platform: str | None = None) -> Iterator[JSON]:
        """``POST /images/{name}/push``; ``tag`` None pushes every tag of ``name``;
        ``platform`` is OCI platform JSON (push that platform's manifest alone)."""
        yield from self.t.stream_lines("POST", f"/images/{quote(name, '/:')}/push",
                                       {"tag": tag, "platform": platform},
                                       headers=_auth_header(registry_auth))

    def search(self, term: str, limit: int | None = None, filters: Filters | None = None,
               registry_auth: str | None = None) -> JSONList:
        """``GET /images/search``: the registry's answer in Docker's result shape."""
        params = {"term": term, "limit": limit, "filters": filters_param(filters)}
        response = self.t.request("GET", "/images/search", params,
                                  headers=_auth_header(registry_auth))
        data = self.t.finish(response)
        result: JSONList = jsoncodec.loads(data) if data.strip() else []
        return result

    def save(self, names: Strings) -> Iterator[bytes]:
        """``GET /images/get?names=...``: the archive's bytes as they arrive."""
        query = "&".join(f"names={quote(name)}" for name in names)
        response = self.t.request("GET", self.t.url("/images/get") + "?" + query,
                                  versioned=False)
        yield from self._rest(response)

    def load(self, source: Iterable[bytes], quiet: bool) -> tuple[bool, Iterator[bytes]]:
        """``POST /images/load``: (whether the answer is a JSON stream, its bytes)."""
        response = self.t.request("POST", "/images/load", {"quiet": quiet},
                                  source, {"Content-Type": "application/x-tar"})
        is_json = response.header("content-type").startswith("application/json")
        return is_json, self._rest(response)

    def _rest(self, response: Any) -> Iterator[bytes]:
        """The body's bytes; a body cut off raises ``StreamTruncated``."""
        try:
            yield from response.iter_raw()
        except (OSError, ProtocolError) as exc:
            raise StreamTruncated("unexpected EOF") from exc
        self.t.finish(response)

    def prune(self, filters: Filters | None = None) -> JSON:
        result: JSON = self.t.call_json("POST", "/images/prune",
                                        {"filters": filters_param(filters)})
        return result


def _auth_header(registry_auth: str | None) -> dict[str, str]:
    return {"X-Registry-Auth": registry_auth} if registry_auth is not None else {}
