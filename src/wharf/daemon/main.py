"""``wharfd``: parse the configuration, build the daemon, serve the API until SIGTERM/SIGINT.

Shutting down leaves containers running (live-restore): their shims own them; the next
wharfd reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from wharf.api.server import TLSFiles, build_app, server_ssl_context
from wharf.daemon.config import ConfigError, DaemonConfig, TcpListener, UnixListener, load_config
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


async def _start_sites(runner: web.AppRunner, config: DaemonConfig) -> list[Path]:
    sockets: list[Path] = []
    ssl_context = None
    if config.tls is not None:
        ssl_context = server_ssl_context(TLSFiles(config.tls.cert, config.tls.key,
                                                  config.tls.ca, config.tls.verify))
    for listener in config.listeners:
        if isinstance(listener, UnixListener):
            listener.path.parent.mkdir(parents=True, exist_ok=True)
            listener.path.unlink(missing_ok=True)
            site: web.BaseSite = web.UnixSite(runner, str(listener.path))
            await site.start()
            os.chmod(listener.path, 0o660)
            sockets.append(listener.path)
        elif isinstance(listener, TcpListener):
            site = web.TCPSite(runner, listener.host, listener.port, ssl_context=ssl_context)
            await site.start()
        log.info("API listening on %s", listener)
    return sockets


async def serve(config: DaemonConfig) -> None:
    daemon = await build_daemon(config)
    runner = web.AppRunner(build_app(daemon.routes), handle_signals=False,
                           shutdown_timeout=1.0)
    await runner.setup()
    sockets: list[Path] = []
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        sockets = await _start_sites(runner, config)
        log.info("wharfd ready (data root %s)", config.data_root)
        await stop.wait()
        log.info("shutting down; containers keep running (live-restore)")
    finally:
        await runner.cleanup()
        log.debug("API closed")
        await daemon.close()
        log.debug("daemon closed")
        for path in sockets:
            path.unlink(missing_ok=True)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        config = load_config(sys.argv[1:] if argv is None else argv)
    except ConfigError as err:
        sys.stderr.write(f"wharfd: {err}\n")
        return 1
    setup_logging(config.log_level)
    try:
        if config.pidfile is not None:
            write_pidfile(config.pidfile)
        asyncio.run(serve(config))
    except ConfigError as err:
        log.error("%s", err)
        return 1
    finally:
        if config.pidfile is not None:
            with contextlib.suppress(OSError, ValueError):
                if int(config.pidfile.read_text().strip()) == os.getpid():
                    config.pidfile.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
