"""``python -m wharf.registry.server --addr HOST:PORT --root DIR [--htpasswd FILE]``.

Serves until SIGTERM or SIGINT, then stops accepting, lets running requests end (up to a
grace period) and exits 0. Logs one line per request to stderr. ``--addr`` with port 0 picks a
free port; the address actually bound is logged as ``listening on http://HOST:PORT``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import logging
import signal
import sys
from pathlib import Path

from aiohttp import web

from wharf.registry.server.app import make_app
from wharf.registry.server.auth import Htpasswd, HtpasswdError
from wharf.registry.server.state import Registry

__all__ = ["main", "make_runner", "parse_addr"]

log = logging.getLogger("wharf.registry.server")

ACCESS_LOG_FORMAT = '%a "%r" %s %b %Tfs'
SHUTDOWN_GRACE = 10.0
ABANDONED_UPLOAD_SECONDS = 7 * 24 * 3600
IDLE_CONNECTION = 60.0


def parse_addr(text: str) -> tuple[str, int]:
    """``host:port`` or ``[v6]:port`` → (host, port); ValueError when malformed."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"invalid address {text!r}: want HOST:PORT")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="wharf registry serve", description="Serve an OCI distribution registry."
    )
    parser.add_argument("--addr", default="127.0.0.1:5000", help="HOST:PORT to listen on")
    parser.add_argument("--root", default="/var/lib/wharf-registry", help="storage directory")
    parser.add_argument("--htpasswd", help="bcrypt htpasswd file; turns on basic auth")
    return parser.parse_args(argv)


def make_runner(
    registry: Registry, htpasswd: Htpasswd | None, *, idle_timeout: float = IDLE_CONNECTION
) -> web.AppRunner:
    """The app's runner. ``idle_timeout`` closes a connection that has not finished sending a
    request's headers that long after it opened or after its last response (a slowloris client
    trickling header bytes, or a client that connects and sends nothing); aiohttp's own default
    is an hour. Bodies have their own bound (:mod:`.bodies`)."""
    return web.AppRunner(
        make_app(registry, htpasswd),
        access_log=logging.getLogger("wharf.registry.access"),
        access_log_format=ACCESS_LOG_FORMAT,
        shutdown_timeout=SHUTDOWN_GRACE,
        keepalive_timeout=idle_timeout,
    )


async def serve(registry: Registry, htpasswd: Htpasswd | None, host: str, port: int) -> None:
    runner = make_runner(registry, htpasswd)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, reuse_address=True)
        await site.start()
        if not _is_loopback(host):
            log.warning("serving plain HTTP beyond loopback: put TLS in front of %s", host)
        for address in runner.addresses:
            bound_host, bound_port = address[0], address[1]
            shown = f"[{bound_host}]" if ":" in bound_host else bound_host
            log.info("listening on http://%s:%d", shown, bound_port)
        await _until_signalled()
        log.info("shutting down")
    finally:
        await runner.cleanup()


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    try:
        host, port = parse_addr(arguments.addr)
        htpasswd = Htpasswd.load(Path(arguments.htpasswd)) if arguments.htpasswd else None
        registry = Registry.open(Path(arguments.root))
    except (ValueError, HtpasswdError, OSError) as exc:
        print(f"wharf registry: {exc}", file=sys.stderr)
        return 2
    removed = registry.uploads.purge_older_than(ABANDONED_UPLOAD_SECONDS)
    if removed:
        log.info("removed %d abandoned uploads", removed)
    try:
        asyncio.run(serve(registry, htpasswd, host, port))
    except OSError as exc:
        print(f"wharf registry: cannot listen on {arguments.addr}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
