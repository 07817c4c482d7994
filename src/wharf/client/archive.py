"""``/containers/{id}/archive`` (``docker cp``) and ``/commit``, one method per endpoint."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from wharf.client.transport import Transport, quote
from wharf.client.wire import Response
from wharf.lib import jsoncodec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    JSON = dict[str, Any]

PATH_STAT_HEADER = "X-Docker-Container-Path-Stat"


def path_stat(response: Response) -> JSON:
    """The decoded ``X-Docker-Container-Path-Stat`` header ({} when absent)."""
    raw = response.header(PATH_STAT_HEADER.lower()) or response.header(PATH_STAT_HEADER)
    if not raw:
        return {}
    import base64  # here: it imports re and enum, which the CLI's light paths never need

    decoded: JSON = jsoncodec.loads(base64.b64decode(raw))
    return decoded


class Archive:
    def __init__(self, transport: Transport) -> None:
        self.t = transport

    def stat(self, ref: str, path: str) -> JSON:
        """``HEAD …/archive``: the path's stat (``name size mode mtime linkTarget``)."""
        response = self.t.request("HEAD", f"/containers/{quote(ref)}/archive", {"path": path})
        self.t.finish(response)
        return path_stat(response)

    def get(self, ref: str, path: str) -> tuple[JSON, Iterator[bytes]]:
        """``GET …/archive``: the path's stat and its tar, as it arrives."""
        response = self.t.request("GET", f"/containers/{quote(ref)}/archive", {"path": path})
        return path_stat(response), self._chunks(response)

    def _chunks(self, response: Response) -> Iterator[bytes]:
        yield from response.iter_raw()
        self.t.finish(response)

    def put(self, ref: str, path: str, tar: Iterable[bytes] | bytes, *,
            no_overwrite_dir_non_dir: bool = True, copy_uid_gid: bool = False) -> None:
        """``PUT …/archive``: extract ``tar`` into the directory ``path`` of the container."""
        params: dict[str, str | int | bool | None] = {
            "path": path, "noOverwriteDirNonDir": no_overwrite_dir_non_dir,
            "copyUIDGID": copy_uid_gid}
        self.t.call("PUT", f"/containers/{quote(ref)}/archive", params, tar,
                    {"Content-Type": "application/x-tar"})

    def commit(self, container: str, *, repo: str = "", tag: str = "", comment: str = "",
               author: str = "", pause: bool = True, changes: list[str] | None = None,
               config: JSON | None = None) -> JSON:
        """``POST /commit``: ``{"Id": ...}`` of the new image."""
        params = {"container": container, "repo": repo or None, "tag": tag or None,
                  "comment": comment or None, "author": author or None, "pause": pause}
        path = "/commit"
        target = self.t.url(path, params)
        for change in changes or []:
            target += f"&changes={quote(change)}"
        body = jsoncodec.dumps(config or {}).encode()
        response = self.t.request("POST", target, None, body,
                                  {"Content-Type": "application/json"}, versioned=False)
        result: JSON = jsoncodec.loads(self.t.finish(response))
        return result
