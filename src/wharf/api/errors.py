"""Typed errors → Docker's error answers (``{"message": ...}`` and its status codes)."""

from __future__ import annotations

import json

from aiohttp import web

from wharf.core.errors import NotModified, WharfError


def _json_message(status: int, message: str) -> web.Response:
    body = json.dumps({"message": message}) + "\n"
    # exactly "application/json": the docker CLI shows the raw body for anything else
    return web.Response(status=status, body=body.encode(), content_type="application/json")


def error_response(err: WharfError) -> web.Response:
    """The answer dockerd gives for ``err``: 304 has no body, everything else a message."""
    if isinstance(err, NotModified):
        return web.Response(status=304)
    return _json_message(err.status, err.message)


def page_not_found() -> web.Response:
    """Docker's answer for an unknown path (and for a known path with a wrong method)."""
    return _json_message(404, "page not found")
