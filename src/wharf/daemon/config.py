"""wharfd's configuration: dockerd's flags and ``daemon.json`` keys, merged like dockerd does.

A key may come from a flag or from the file, never both (dockerd refuses that too); unknown
keys in the file are errors. TCP off a loopback address needs ``--tlsverify`` (TLS with
verified client certificates): whoever reaches the API is root on the host, so a server
certificate alone (``--tls``) or plain TCP are only allowed on loopback.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from wharf.core.errors import InvalidParameter
from wharf.core.logopts import ROTATION_KEYS, log_rotation
from wharf.daemon.netconfig import (
    NETWORK_KEYS,
    NetworkConfigError,
    NetworkOptions,
    add_network_flags,
    network_options,
)
from wharf.daemon.registries import insecure_registries, registry_mirrors

DEFAULT_CONFIG_FILE = Path("/etc/wharf/daemon.json")
DEFAULT_DATA_ROOT = Path("/var/lib/wharf")
DEFAULT_EXEC_ROOT = Path("/run/wharf")
DEFAULT_SOCKET = "unix:///run/wharf/wharf.sock"
DEFAULT_PIDFILE = Path("/run/wharf/wharfd.pid")
DEFAULT_CERT_DIR = Path.home() / ".docker"
BUILTIN_RUNTIMES = {"wharf": "wharf", "runc": "/usr/sbin/runc", "crun": "/usr/bin/crun"}


class ConfigError(Exception):
    """The configuration cannot be used (the daemon exits with this message)."""


@dataclass(frozen=True)
class UnixListener:
    path: Path


@dataclass(frozen=True)
class TcpListener:
    host: str
    port: int

    @property
    def loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


Listener = UnixListener | TcpListener


@dataclass(frozen=True)
class TLSConfig:
    cert: Path
    key: Path
    ca: Path | None
    verify: bool


@dataclass(frozen=True)
class DaemonConfig:
    listeners: list[Listener]
    data_root: Path = DEFAULT_DATA_ROOT
    exec_root: Path = DEFAULT_EXEC_ROOT
    pidfile: Path | None = DEFAULT_PIDFILE
    log_level: str = "info"
    live_restore: bool = False  # Docker's default: stopping the daemon stops its containers
    tls: TLSConfig | None = None
    default_runtime: str = "wharf"
    runtimes: dict[str, str] = field(default_factory=lambda: dict(BUILTIN_RUNTIMES))
    registry_mirrors: list[str] = field(default_factory=list)  # docker.io's (Docker's list)
    insecure_registries: list[str] = field(default_factory=list)
    # every registry's mirrors, docker.io's included: daemon.json's map form
    # {"127.0.0.1:5000": ["http://127.0.0.1:5001"]} or Docker's list (docker.io's)
    mirrors_by_registry: dict[str, list[str]] = field(default_factory=dict)
    max_concurrent_downloads: int = 3
    max_download_attempts: int = 5
    max_concurrent_uploads: int = 5
    # wharf's own: seconds a registry may stay silent mid-answer (dockerd waits forever)
    registry_read_timeout: int = 60
    network: NetworkOptions = field(default_factory=NetworkOptions)
    log_opts: dict[str, str] = field(default_factory=dict)  # json-file defaults (max-size/-file)


# daemon.json key → (argparse dest, flag as the user writes it)
_FILE_KEYS: dict[str, str] = {
    "hosts": "hosts", "data-root": "data_root", "exec-root": "exec_root",
    "pidfile": "pidfile", "log-level": "log_level", "live-restore": "live_restore",
    "tls": "tls", "tlsverify": "tlsverify", "tlscacert": "tlscacert", "tlscert": "tlscert",
    "tlskey": "tlskey", "default-runtime": "default_runtime", "runtimes": "runtimes",
    "registry-mirrors": "registry_mirrors", "insecure-registries": "insecure_registries",
    "debug": "debug",
    "log-opts": "log_opts", "log-driver": "log_driver",
    "max-concurrent-downloads": "max_concurrent_downloads",
    "max-download-attempts": "max_download_attempts",
    "max-concurrent-uploads": "max_concurrent_uploads",
    "registry-read-timeout": "registry_read_timeout",
    **NETWORK_KEYS,
}


def _bool_flag(parser: argparse.ArgumentParser, name: str, help_text: str) -> None:
    parser.add_argument(name, nargs="?", const=True, type=_parse_bool,
                        default=argparse.SUPPRESS, help=help_text)


def _parse_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"invalid boolean value {text!r}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="wharfd", description="wharf's container engine daemon",
                                argument_default=argparse.SUPPRESS)
    p.add_argument("-H", "--host", dest="hosts", action="append",
                   help="daemon socket(s) to listen on (unix:///path, tcp://addr:port)")
    p.add_argument("--data-root", dest="data_root", help="root of persistent state")
    p.add_argument("--exec-root", dest="exec_root", help="root of execution state")
    p.add_argument("--config-file", dest="config_file", help="daemon.json path")
    p.add_argument("-l", "--log-level", dest="log_level",
                   choices=["debug", "info", "warn", "error", "fatal"])
    p.add_argument("-D", "--debug", dest="debug", action="store_true")
    p.add_argument("-p", "--pidfile", dest="pidfile", help="path of the pid file")
    _bool_flag(p, "--live-restore", "keep containers running while the daemon is down")
    _bool_flag(p, "--tls", "use TLS (implied by --tlsverify)")
    _bool_flag(p, "--tlsverify", "use TLS and verify the client")
    p.add_argument("--tlscacert", dest="tlscacert")
    p.add_argument("--tlscert", dest="tlscert")
    p.add_argument("--tlskey", dest="tlskey")
    p.add_argument("--default-runtime", dest="default_runtime")
    p.add_argument("--add-runtime", dest="runtimes", action="append",
                   help="register an OCI runtime as name=path")
    p.add_argument("--registry-mirror", dest="registry_mirrors", action="append")
    p.add_argument("--insecure-registry", dest="insecure_registries", action="append")
    p.add_argument("--max-concurrent-downloads", dest="max_concurrent_downloads", type=int)
    p.add_argument("--max-download-attempts", dest="max_download_attempts", type=int)
    p.add_argument("--max-concurrent-uploads", dest="max_concurrent_uploads", type=int)
    p.add_argument("--registry-read-timeout", dest="registry_read_timeout", type=int,
                   help="seconds a registry may stay silent in an answer (default 60)")
    add_network_flags(p, _bool_flag)
    p.add_argument("--log-driver", dest="log_driver",
                   help="default log driver for containers (json-file: the only one)")
    p.add_argument("--log-opt", dest="log_opts", action="append",
                   help="default json-file log option (max-size=20m, max-file=5)")
    return p


def _load_file(path: Path, explicit: bool) -> dict[str, Any]:
    try:
        text = path.read_text()
    except FileNotFoundError:
        if explicit:
            raise ConfigError(
                f"unable to configure the daemon: open {path}: no such file") from None
        return {}
    try:
        data = json.loads(text) if text.strip() else {}
    except ValueError as err:
        raise ConfigError(f"unable to configure the daemon with file {path}: {err}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"unable to configure the daemon with file {path}: not an object")
    unknown = sorted(k for k in data if k not in _FILE_KEYS)
    if unknown:
        raise ConfigError(f"unable to configure the daemon with file {path}: the following "
                          f"directives don't match any configuration option: "
                          f"{', '.join(unknown)}")
    return {_FILE_KEYS[k]: v for k, v in data.items()}


def _check_no_duplicates(flags: dict[str, Any], from_file: dict[str, Any], path: Path) -> None:
    both = sorted(set(flags) & set(from_file))
    if both:
        details = ", ".join(f"{k}: (from flag: {flags[k]}, from file: {from_file[k]})"
                            for k in both)
        raise ConfigError(f"unable to configure the daemon with file {path}: the following "
                          f"directives are specified both as a flag and in the configuration "
                          f"file: {details}")


def parse_listener(host: str, tls: bool) -> Listener:
    """``unix:///path`` or ``tcp://addr:port`` (``tcp://:2376`` binds every address)."""
    if host.startswith("/"):
        return UnixListener(Path(host))
    parts = urlsplit(host)
    if parts.scheme == "unix":
        return UnixListener(Path(parts.path or "/run/wharf/wharf.sock"))
    if parts.scheme == "tcp":
        try:
            port = parts.port
        except ValueError:
            raise ConfigError(f"invalid bind address format: {host}") from None
        address = parts.hostname or "0.0.0.0"
        return TcpListener(address, port or (2376 if tls else 2375))
    raise ConfigError(f"invalid bind address format: {host}")


def _runtimes(value: Any) -> dict[str, str]:
    runtimes = dict(BUILTIN_RUNTIMES)
    if isinstance(value, dict):  # daemon.json: {"name": {"path": "/bin/x"}}
        for name, entry in value.items():
            path = entry.get("path") if isinstance(entry, dict) else None
            if not path:
                raise ConfigError(f"runtime {name}: a path is required")
            runtimes[str(name)] = str(path)
    else:
        for spec in value or []:
            name, sep, path = str(spec).partition("=")
            if not sep or not name or not path:
                raise ConfigError(f"invalid runtime {spec!r}: expected name=path")
            if name in BUILTIN_RUNTIMES:
                raise ConfigError(f"runtime name '{name}' is reserved")
            runtimes[name] = path
    return runtimes


def _log_opts(value: Any, driver: Any = None) -> dict[str, str]:
    """daemon.json ``{"max-size": "10m"}`` or ``--log-opt max-size=10m`` (repeated), for the
    ``log-driver``, which may only be json-file (the one wharf has)."""
    if driver not in (None, "", "json-file"):
        raise ConfigError(f"log driver {driver!r} is not supported yet (wharf has json-file)")
    if isinstance(value, dict):
        opts = {str(k): str(v) for k, v in value.items()}
    else:
        opts = {}
        for item in value or []:
            key, sep, val = str(item).partition("=")
            if not sep:
                raise ConfigError(f"invalid log-opt {item!r}: expected key=value")
            opts[key] = val
    unknown = sorted(set(opts) - ROTATION_KEYS)
    if unknown:
        raise ConfigError(f"unknown log opt '{unknown[0]}' for json-file log driver")
    try:
        log_rotation(opts)
    except InvalidParameter as err:
        raise ConfigError(f"invalid log-opts: {err}") from None
    return opts


def _concurrency(merged: dict[str, Any], key: str, default: int) -> int:
    value = merged.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"invalid {key.replace('_', '-')}: {value!r} (a positive integer)")
    return value


def _tls(merged: dict[str, Any]) -> TLSConfig | None:
    verify = bool(merged.get("tlsverify", False))
    if not (verify or merged.get("tls", False)):
        return None
    cert = Path(merged.get("tlscert") or DEFAULT_CERT_DIR / "cert.pem")
    key = Path(merged.get("tlskey") or DEFAULT_CERT_DIR / "key.pem")
    ca_value = merged.get("tlscacert") or (DEFAULT_CERT_DIR / "ca.pem" if verify else None)
    for path in (cert, key, ca_value):
        if path is not None and not Path(path).is_file():
            raise ConfigError(f"could not load TLS files: {path} does not exist")
    return TLSConfig(cert, key, Path(ca_value) if ca_value else None, verify)


def _check_tcp_exposure(listener: Listener, tls: TLSConfig | None) -> None:
    """Off loopback, only clients with a certificate signed by our CA may reach the API."""
    if not isinstance(listener, TcpListener) or listener.loopback:
        return
    where = f"tcp://{listener.host}:{listener.port}"
    if tls is None:
        raise ConfigError(
            f"refusing to listen on {where} without TLS: plain TCP is only allowed on a "
            "loopback address (use --tlsverify)")
    if not tls.verify or tls.ca is None:
        raise ConfigError(
            f"refusing to listen on {where} with --tls but without --tlsverify: anyone who "
            "can connect would be root on this host; verify client certificates "
            "(--tlsverify --tlscacert) or listen on a loopback address")


def load_config(argv: Sequence[str]) -> DaemonConfig:
    """Flags over daemon.json over defaults; ConfigError for any conflict or unsafe setting."""
    flags = vars(build_parser().parse_args(list(argv)))
    explicit = "config_file" in flags
    config_path = Path(flags.pop("config_file", DEFAULT_CONFIG_FILE))
    from_file = _load_file(config_path, explicit)
    _check_no_duplicates(flags, from_file, config_path)
    merged = {**from_file, **flags}
    tls = _tls(merged)
    hosts = merged.get("hosts") or [DEFAULT_SOCKET]
    if isinstance(hosts, str):
        hosts = [hosts]
    listeners = [parse_listener(str(h), tls is not None) for h in hosts]
    for listener in listeners:
        _check_tcp_exposure(listener, tls)
    runtimes = _runtimes(merged.get("runtimes"))
    default_runtime = str(merged.get("default_runtime") or "wharf")
    if default_runtime not in runtimes:
        raise ConfigError(f"default runtime {default_runtime} is not a known runtime")
    log_level = "debug" if merged.get("debug") else str(merged.get("log_level", "info"))
    pidfile = merged.get("pidfile")
    try:
        hub_mirrors, mirrors = registry_mirrors(merged.get("registry_mirrors"))
        insecure = insecure_registries(merged.get("insecure_registries"))
        network = network_options(merged)
    except (ValueError, NetworkConfigError) as err:
        raise ConfigError(str(err)) from None
    return DaemonConfig(
        listeners=listeners,
        data_root=Path(merged.get("data_root") or DEFAULT_DATA_ROOT),
        exec_root=Path(merged.get("exec_root") or DEFAULT_EXEC_ROOT),
        pidfile=Path(pidfile) if pidfile else DEFAULT_PIDFILE,
        log_level=log_level,
        live_restore=bool(merged.get("live_restore", False)),
        tls=tls,
        default_runtime=default_runtime,
        runtimes=runtimes,
        registry_mirrors=hub_mirrors,
        insecure_registries=insecure,
        mirrors_by_registry=mirrors,
        max_concurrent_downloads=_concurrency(merged, "max_concurrent_downloads", 3),
        max_download_attempts=_concurrency(merged, "max_download_attempts", 5),
        max_concurrent_uploads=_concurrency(merged, "max_concurrent_uploads", 5),
        registry_read_timeout=_concurrency(merged, "registry_read_timeout", 60),
        network=network,
        log_opts=_log_opts(merged.get("log_opts"), merged.get("log_driver")),
    )
