"""The HTTP server: Docker's Engine API on aiohttp.

Routes are declared unversioned by ``wharf.api.routes.<resource>.routes(...)`` as
:class:`RouteDef` values; :func:`build_app` registers each one twice, bare and under a
``/v1.NN`` prefix. A middleware checks the prefix (1.24-1.47, Docker's wording otherwise),
turns :mod:`wharf.core.errors` into ``{"message": ...}`` answers and every response gets the
headers Docker clients read to negotiate (``Api-Version``, ``Server``, ``Ostype``, ...).

A request body read whole (JSON) may be at most ``MAX_JSON_BODY`` bytes once decoded: aiohttp
decompresses a ``Content-Encoding`` body in bounded chunks and counts the decompressed bytes
against that cap, so a compression bomb ends with a 413 as soon as it passes it. (dockerd sets
no cap on most JSON bodies; wharf does: no Engine API JSON body comes near 4 MiB.) Streamed
uploads (image load/import) have no cap but a stall timeout (:mod:`wharf.api.uploads`).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from wharf.api.errors import error_response, page_not_found
from wharf.core.apiversion import API_VERSION, MIN_API_VERSION, version_tuple
from wharf.core.errors import InvalidParameter, WharfError

ENGINE_VERSION = "27.0.0-wharf"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

MAX_JSON_BODY = 4 * 1024 * 1024

_VERSION_PREFIX = r"/{api_version:v[0-9]+\.[0-9]+}"
_VERSION_KEY = "api_version"


@dataclass(frozen=True)
class RouteDef:
    """One endpoint: HTTP method, unversioned aiohttp path pattern, handler."""

    method: str
    path: str
    handler: Handler


@dataclass(frozen=True)
class ServerIdentity:
    """What the daemon says about itself in every response's headers."""

    api_version: str = API_VERSION
    min_api_version: str = MIN_API_VERSION
    engine_version: str = ENGINE_VERSION

    def headers(self) -> dict[str, str]:
        return {
            "Api-Version": self.api_version,
            "Server": f"Docker/{self.engine_version} (linux)",
            "Ostype": "linux",
            "Docker-Experimental": "false",
        }


def check_api_version(requested: str, identity: ServerIdentity) -> None:
    """Docker's version middleware: reject too old or too new clients with 400."""
    wanted = version_tuple(requested)
    if wanted < version_tuple(identity.min_api_version):
        raise InvalidParameter(
            f"client version {requested} is too old. Minimum supported API version is "
            f"{identity.min_api_version}, please upgrade your client to a newer version"
        )
    if wanted > version_tuple(identity.api_version):
        raise InvalidParameter(
            f"client version {requested} is too new. Maximum supported API version is "
            f"{identity.api_version}"
        )


def requested_api_version(request: web.Request) -> str:
    """The API version of this request (the server's own when the path had no prefix)."""
    prefix = request.match_info.get(_VERSION_KEY)
    if prefix:
        return prefix[1:]
    identity: ServerIdentity = request.app[IDENTITY_KEY]
    return identity.api_version


IDENTITY_KEY = web.AppKey("identity", ServerIdentity)


@web.middleware
async def _errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        prefix = request.match_info.get(_VERSION_KEY)
        if prefix:
            check_api_version(prefix[1:], request.app[IDENTITY_KEY])
        return await handler(request)
    except WharfError as err:
        return error_response(err)
    except web.HTTPNotFound:
        return page_not_found()
    except web.HTTPMethodNotAllowed:
        return page_not_found()
    except ConnectionError:
        if not client_gone(request):
            raise
        # the client left mid-stream (an unread archive, a closed events reader): nothing can
        # be sent; a response aiohttp finds unsendable ends the request quietly
        return web.Response(status=499)
    except web.HTTPRequestEntityTooLarge:
        return web.json_response(
            {"message": f"request body too large: the limit is {MAX_JSON_BODY} bytes"},
            status=413)


async def _add_identity_headers(_request: web.Request, response: web.StreamResponse) -> None:
    identity: ServerIdentity = _request.app[IDENTITY_KEY]
    for name, value in identity.headers().items():
        response.headers[name] = value


class HalfClosingRequestHandler(web.RequestHandler):
    """aiohttp's connection handler, but a client's half-close does not close the connection.

    A docker client half-closes a hijacked attach/exec stream when its own stdin ends, and may
    do so right after the request, before the handler has taken the connection over; aiohttp
    answers an EOF by closing the transport, which lost the stream's output. Here the
    connection stays open: an ordinary request is answered and then closed, and the hijack
    learns of the EOF from ``peer_closed_write``."""

    peer_closed_write = False

    def eof_received(self) -> bool:  # type: ignore[override]  # True: keep the write side
        self.peer_closed_write = True
        self.close()  # no further requests on it: closed once the current one is answered
        return True


class _HalfClosingServer(web.Server):
    def __call__(self) -> web.RequestHandler:
        return HalfClosingRequestHandler(self, loop=self._loop, **self._kwargs)


def serve_half_closing(runner: web.AppRunner) -> None:
    """Make the connections ``runner`` accepts from now on ``HalfClosingRequestHandler``s
    (call after ``setup``). aiohttp has no hook for the handler class, and discourages
    subclassing its Application: the runner's server becomes the subclass that only chooses
    the handler class."""
    server = runner.server
    assert server is not None, "serve_half_closing() before the runner's setup()"
    server.__class__ = _HalfClosingServer


def build_app(
    routes: Iterable[RouteDef], identity: ServerIdentity | None = None,
    max_body: int = MAX_JSON_BODY,
) -> web.Application:
    """The aiohttp application serving ``routes`` bare and under ``/v1.NN``."""
    app = web.Application(middlewares=[_errors_middleware], client_max_size=max_body)
    app[IDENTITY_KEY] = identity or ServerIdentity()
    app.on_response_prepare.append(_add_identity_headers)
    for route in routes:
        app.router.add_route(route.method, route.path, route.handler)
        app.router.add_route(route.method, _VERSION_PREFIX + route.path, route.handler)
    return app


DISCONNECT_POLL_SECONDS = 1.0


def client_gone(request: web.Request) -> bool:
    """The connection is closed, or the client closed its side (as Go's server, a stream that
    is not hijacked takes a client's EOF for its leaving)."""
    transport = request.transport
    return transport is None or transport.is_closing() or bool(
        getattr(request.protocol, "peer_closed_write", False))


async def until_disconnected(request: web.Request, work: Awaitable[None]) -> None:
    """Run ``work`` (a long stream: events, logs --follow, wait) but stop it when the client
    goes away (:func:`client_gone`); aiohttp does not cancel handlers on a disconnect. A write
    that finds the connection closed ends the stream quietly: the client left."""
    task = asyncio.ensure_future(work)
    try:
        while not task.done():
            await asyncio.wait({task}, timeout=DISCONNECT_POLL_SECONDS)
            if not task.done() and client_gone(request):
                task.cancel()
    finally:
        if not task.done():
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await task


@dataclass(frozen=True)
class TLSFiles:
    """``--tlscacert/--tlscert/--tlskey``; ``verify`` is ``--tlsverify`` (client certs)."""

    cert: Path
    key: Path
    ca: Path | None = None
    verify: bool = False


def server_ssl_context(tls: TLSFiles) -> ssl.SSLContext:
    """A server TLS context; with ``verify`` the client must present a cert signed by ``ca``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(tls.cert), str(tls.key))
    if tls.verify:
        if tls.ca is None:
            raise InvalidParameter("--tlsverify needs --tlscacert")
        context.load_verify_locations(cafile=str(tls.ca))
        context.verify_mode = ssl.CERT_REQUIRED
    return context
