"""``wharfd``: parse the configuration, build the daemon, serve the API until SIGTERM/SIGINT.

The unix sockets are bound first, while the process is one thread (their mode comes from the
umask: see :mod:`wharf.daemon.listeners`). On SIGTERM the daemon stops its running containers,
as dockerd does, unless ``--live-restore`` is on: then they keep running under their shims and
the next wharfd reconnects to them. (A SIGKILLed daemon leaves them running either way; the
next start adopts them.)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from wharf.api.server import TLSFiles, build_app, serve_half_closing, server_ssl_context
from wharf.daemon.config import ConfigError, DaemonConfig, TcpListener, UnixListener, load_config
from wharf.daemon.listeners import bind_unix_socket, private_directory, require_one_thread
from wharf.daemon.wiring import build_daemon

log = logging.getLogger("wharfd")

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING,
           "error": logging.ERROR, "fatal": logging.CRITICAL}


class _JsonFormatter(logging.Formatter):
    """One JSON object per line, like dockerd's ``--log-format=json``."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(), "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def setup_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(_LEVELS.get(level, logging.INFO))
    logging.getLogger("aiohttp.access").setLevel(
        logging.DEBUG if level == "debug" else logging.WARNING)


def write_pidfile(path: Path) -> None:
    """dockerd refuses to start when the pid file names a live process."""
    with contextlib.suppress(FileNotFoundError, ValueError):
        pid = int(path.read_text().strip())
        if pid != os.getpid() and Path(f"/proc/{pid}").exists():
            raise ConfigError(f"pid file found, ensure wharfd is not running or delete {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{os.getpid()}\n")


def bind_unix_listeners(config: DaemonConfig) -> dict[Path, socket.socket]:
    """Every unix listener bound (mode 0660 from the start); call before threads exist."""
    require_one_thread()
    bound: dict[Path, socket.socket] = {}
    try:
        for listener in config.listeners:
            if isinstance(listener, UnixListener):
                bound[listener.path] = bind_unix_socket(listener.path)
    except BaseException:
        for sock in bound.values():
            sock.close()
        raise
    return bound


async def _start_sites(runner: web.AppRunner, config: DaemonConfig,
                       unix_sockets: dict[Path, socket.socket]) -> None:
    ssl_context = None
    if config.tls is not None:
        ssl_context = server_ssl_context(TLSFiles(config.tls.cert, config.tls.key,
                                                  config.tls.ca, config.tls.verify))
    for listener in config.listeners:
        if isinstance(listener, UnixListener):
            site: web.BaseSite = web.SockSite(runner, unix_sockets[listener.path])
            await site.start()
        elif isinstance(listener, TcpListener):
            site = web.TCPSite(runner, listener.host, listener.port, ssl_context=ssl_context)
            await site.start()
        log.info("API listening on %s", listener)


async def serve(config: DaemonConfig, unix_sockets: dict[Path, socket.socket]) -> None:
    daemon = await build_daemon(config)
    runner = web.AppRunner(build_app(daemon.routes), handle_signals=False,
                           shutdown_timeout=1.0)
    await runner.setup()
    serve_half_closing(runner)  # a docker client's half-close must not cut its stream
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await _start_sites(runner, config, unix_sockets)
        log.info("wharfd ready (data root %s)", config.data_root)
        await stop.wait()
        log.info("shutting down; %s", "containers keep running (live-restore)"
                 if config.live_restore else "stopping the running containers")
    finally:
        await runner.cleanup()
        log.debug("API closed")
        await daemon.close(stop_containers=not config.live_restore)
        log.debug("daemon closed")
        for path in unix_sockets:
            path.unlink(missing_ok=True)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        config = load_config(sys.argv[1:] if argv is None else argv)
    except ConfigError as err:
        sys.stderr.write(f"wharfd: {err}\n")
        return 1
    setup_logging(config.log_level)
    unix_sockets: dict[Path, socket.socket] = {}
    try:
        if config.pidfile is not None:
            write_pidfile(config.pidfile)
        private_directory(config.exec_root)
        unix_sockets = bind_unix_listeners(config)
        asyncio.run(serve(config, unix_sockets))
    except (ConfigError, OSError) as err:
        log.error("%s", err)
        return 1
    finally:
        for sock in unix_sockets.values():
            sock.close()
        if config.pidfile is not None:
            with contextlib.suppress(OSError, ValueError):
                if int(config.pidfile.read_text().strip()) == os.getpid():
                    config.pidfile.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
