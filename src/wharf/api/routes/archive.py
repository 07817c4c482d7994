"""``/containers/{id}/archive`` (HEAD stat, GET a tar, PUT extract a tar) and ``/commit``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import BinaryIO, cast

import msgspec
from aiohttp import web

from wharf.api.decode import BodyDecoder
from wharf.api.schemas import json_response, query_bool
from wharf.api.server import RouteDef
from wharf.api.uploads import UPLOAD_STALL_TIMEOUT, UploadReader
from wharf.core.errors import InvalidParameter
from wharf.services.archive import ArchiveService, ExtractOptions
from wharf.services.commit import CommitOptions, CommitService
from wharf.services.engine_types import ContainerConfig

__all__ = ["PATH_STAT_HEADER", "routes"]

PATH_STAT_HEADER = "X-Docker-Container-Path-Stat"
COMMIT_BODY = BodyDecoder(ContainerConfig)


def _path(request: web.Request) -> str:
    path = request.query.get("path", "")
    if not path:
        raise InvalidParameter("bad parameter: path cannot be empty")
    return path


class ArchiveRoutes:
    def __init__(self, archive: ArchiveService, commits: CommitService,
                 upload_stall_timeout: float) -> None:
        self._archive = archive
        self._commits = commits
        self._stall = upload_stall_timeout

    async def stat(self, request: web.Request) -> web.Response:
        found = await self._archive.stat(request.match_info["id"], _path(request))
        return web.Response(status=200, headers={PATH_STAT_HEADER: found.header()})

    async def get(self, request: web.Request) -> web.StreamResponse:
        found, chunks = await self._archive.read(request.match_info["id"], _path(request))
        response = web.StreamResponse(headers={"Content-Type": "application/x-tar",
                                               PATH_STAT_HEADER: found.header()})
        await response.prepare(request)
        await _send(response, chunks)
        await response.write_eof()
        return response

    async def put(self, request: web.Request) -> web.Response:
        path = _path(request)
        options = ExtractOptions(
            no_overwrite_dir_non_dir=query_bool(request, "noOverwriteDirNonDir"),
            copy_uid_gid=query_bool(request, "copyUIDGID"))
        body = UploadReader(request, asyncio.get_running_loop(), self._stall)
        await self._archive.extract(request.match_info["id"], path, cast(BinaryIO, body),
                                    options)
        return web.Response(status=200)

    async def commit(self, request: web.Request) -> web.Response:
        container = request.query.get("container", "")
        options = CommitOptions(
            repo=request.query.get("repo", ""), tag=request.query.get("tag", ""),
            comment=request.query.get("comment", ""),
            author=request.query.get("author", ""),
            pause=request.query.get("pause", "") == "" or query_bool(request, "pause"),
            changes=request.query.getall("changes", []),
            config=msgspec.to_builtins(await COMMIT_BODY.read(request)))
        image = await self._commits.commit(container, options)
        return json_response({"Id": image.id}, status=201)


async def _send(response: web.StreamResponse, chunks: Iterator[bytes]) -> None:
    sentinel = b""
    try:
        while chunk := await asyncio.to_thread(next, chunks, sentinel):
            await response.write(chunk)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def routes(archive: ArchiveService, commits: CommitService,
           upload_stall_timeout: float = UPLOAD_STALL_TIMEOUT) -> list[RouteDef]:
    r = ArchiveRoutes(archive, commits, upload_stall_timeout)
    return [
        RouteDef("HEAD", "/containers/{id}/archive", r.stat),
        RouteDef("GET", "/containers/{id}/archive", r.get),
        RouteDef("PUT", "/containers/{id}/archive", r.put),
        RouteDef("POST", "/commit", r.commit),
    ]
