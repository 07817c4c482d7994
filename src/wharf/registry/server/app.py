"""The aiohttp application: one dispatch table from (endpoint, method) to handler, and the
middlewares every request passes: the API version header, authentication, errors in the
distribution JSON shape."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import HttpVersion11, web

from wharf.registry.server.auth import REALM, Htpasswd, basic_credentials
from wharf.registry.server.errors import RegistryError, error_body
from wharf.registry.server.handlers import blobs, listing, manifests, search, uploads
from wharf.registry.server.paths import Route, parse_route
from wharf.registry.server.state import Registry, json_response

__all__ = ["make_app"]

log = logging.getLogger("wharf.registry.server")

Handler = Callable[[Registry, web.Request, Route], Awaitable[web.StreamResponse]]


async def _base(registry: Registry, request: web.Request, route: Route) -> web.StreamResponse:
    return json_response({})


_HANDLERS: dict[str, dict[str, Handler]] = {
    "base": {"GET": _base},
    "catalog": {"GET": listing.get_catalog},
    "tags": {"GET": listing.get_tags},
    "blob": {"GET": blobs.get_blob, "HEAD": blobs.get_blob, "DELETE": blobs.delete_blob},
    "upload_start": {"POST": uploads.start_upload},
    "upload": {
        "GET": uploads.upload_status,
        "PATCH": uploads.patch_upload,
        "PUT": uploads.finish_upload,
        "DELETE": uploads.cancel_upload,
    },
    "manifest": {
        "GET": manifests.get_manifest,
        "HEAD": manifests.get_manifest,
        "PUT": manifests.put_manifest,
        "DELETE": manifests.delete_manifest,
    },
    "search": {"GET": search.search},
    "ping_v1": {"GET": search.ping_v1},
    "stars": {"GET": search.get_stars, "PUT": search.put_stars},
}

API_VERSION_HEADER = {"Docker-Distribution-API-Version": "registry/2.0"}
_REGISTRY_KEY = web.AppKey("registry", Registry)


def make_app(registry: Registry, htpasswd: Htpasswd | None = None) -> web.Application:
    """The registry as an aiohttp application (``htpasswd`` turns basic auth on)."""
    app = web.Application(
        middlewares=[
            _errors_middleware,
            _in_flight_middleware(registry.max_in_flight),
            _auth_middleware(htpasswd),
        ]
    )
    app[_REGISTRY_KEY] = registry
    app.router.add_route("*", "/{tail:.*}", _dispatch, expect_handler=_expect_handler(htpasswd))
    app.on_response_prepare.append(_add_version_header)
    return app


async def _dispatch(request: web.Request) -> web.StreamResponse:
    route = parse_route(request.path)
    if route is None:
        raise RegistryError("UNSUPPORTED", f"no endpoint {request.path[:200]}", status=404)
    methods = _HANDLERS[route.kind]
    handler = methods.get(request.method)
    if handler is None and request.method == "HEAD":
        handler = methods.get("GET")  # aiohttp sends the headers only
    if handler is None:
        raise RegistryError("UNSUPPORTED", f"{request.method} is not allowed on this endpoint")
    return await handler(request.app[_REGISTRY_KEY], request, route)


@web.middleware
async def _errors_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except RegistryError as error:
        return _error_response(error)
    except web.HTTPException:
        raise
    except (ConnectionError, OSError) as exc:
        if request.transport is None or request.transport.is_closing():
            raise
        log.exception("%s %s failed", request.method, request.path)
        return _error_response(RegistryError("UNKNOWN", f"storage error: {exc.strerror or exc}"))
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return _error_response(RegistryError("UNKNOWN"))


def _in_flight_middleware(limit: int) -> Callable[..., Awaitable[web.StreamResponse]]:
    """At most ``limit`` requests are handled at once (each may hold a manifest body, an open
    upload file, a bcrypt check in the queue); the next ones get TOOMANYREQUESTS right away
    instead of piling up memory and file descriptors."""
    running = [0]

    @web.middleware
    async def bounded(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if running[0] >= limit:
            raise RegistryError("TOOMANYREQUESTS", f"more than {limit} requests at once")
        running[0] += 1
        try:
            return await handler(request)
        finally:
            running[0] -= 1

    return bounded


def _auth_middleware(htpasswd: Htpasswd | None) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def check(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if htpasswd is not None and not await _authenticated(htpasswd, request):
            raise RegistryError("UNAUTHORIZED")
        return await handler(request)

    return check


def _expect_handler(htpasswd: Htpasswd | None) -> Callable[..., Awaitable[web.Response | None]]:
    async def expect(request: web.Request) -> web.Response | None:
        """``Expect: 100-continue`` (curl and others send it with big bodies): the body is
        invited only from a client that may send it; others get the 401 right away, before the
        middlewares, instead of a "100 Continue" and then a body uploaded for nothing."""
        if htpasswd is not None and not await _authenticated(htpasswd, request):
            return _error_response(RegistryError("UNAUTHORIZED"))
        if request.version != HttpVersion11:
            return None
        if request.headers.get("Expect", "").lower() != "100-continue":
            return _error_response(RegistryError("UNSUPPORTED", "unknown Expect", status=417))
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        request.writer.output_size = 0  # the access log counts the response only
        return None

    return expect


async def _authenticated(htpasswd: Htpasswd, request: web.Request) -> bool:
    credentials = basic_credentials(request.headers.get("Authorization"))
    return credentials is not None and await htpasswd.check(*credentials)


def _error_response(error: RegistryError) -> web.Response:
    headers = {}
    if error.code == "UNAUTHORIZED":
        headers["WWW-Authenticate"] = f'Basic realm="{REALM}"'
    return web.Response(
        status=error.status,
        body=error_body(error),
        content_type="application/json",
        headers=headers,
    )


async def _add_version_header(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(API_VERSION_HEADER)
