"""A scripted registry for error paths: an aiohttp app served from a thread on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import threading
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
START_TIMEOUT = 10.0


class FakeServer:
    """Serve ``routes`` (method, path, handler) until the ``with`` block ends; ``requests``
    records (method, path_qs, headers) of each request."""

    def __init__(self, routes: Sequence[tuple[str, str, Handler]]) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.app = web.Application(middlewares=[self._record])
        for method, path, handler in routes:
            self.app.router.add_route(method, path, handler)
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner = web.AppRunner(self.app, handle_signals=False, shutdown_timeout=0.1)

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.requests.append((request.method, request.path_qs, dict(request.headers)))
        return await handler(request)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def paths(self, method: str | None = None) -> list[str]:
        return [path for m, path, _ in self.requests if method is None or m == method]

    async def _start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.base_events.Server)
        self.port = server.sockets[0].getsockname()[1]

    def __enter__(self) -> FakeServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(START_TIMEOUT)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        future = asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop)
        try:
            future.result(START_TIMEOUT)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(START_TIMEOUT)
            self._loop.close()


def oci_error(status: int, code: str, message: str, **headers: str) -> web.Response:
    body = {"errors": [{"code": code, "message": message}]}
    return web.json_response(body, status=status, headers=headers)


def basic_guard(user: str, password: str, inner: Handler) -> Handler:
    """``inner`` behind Basic auth: anything but ``user:password`` gets a 401 challenge."""
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    async def guarded(request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") != expected:
            challenge = {"WWW-Authenticate": 'Basic realm="fake"'}
            return oci_error(401, "UNAUTHORIZED", "authentication required", **challenge)
        return await inner(request)

    return guarded
