"""A real wharfd with busybox for the container-networking tests, and their helpers: unique
names, user networks removed after, a fake upstream DNS server on a loopback address, bounded
waits. Traffic only to loopback and to the test's own containers."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from tests.support.daemon_fixtures import wharfd
from tests.support.daemons import Daemon

from wharf.network import dnsmsg

__all__ = ["wharfd"]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def exec_root(daemon: Daemon) -> Path:
    return daemon.data_root.parent / "exec"


def netns_files(daemon: Daemon) -> list[str]:
    with contextlib.suppress(FileNotFoundError):
        return sorted(p.name for p in (exec_root(daemon) / "netns").iterdir())
    return []


def out(res: subprocess.CompletedProcess[bytes]) -> str:
    return res.stdout.decode(errors="replace")


@contextlib.contextmanager
def containers(daemon: Daemon) -> Iterator[list[str]]:
    """Names of containers the test makes: force-removed after, even on failure."""
    names: list[str] = []
    try:
        yield names
    finally:
        for name in names:
            daemon.docker("rm", "-f", name, check=False)


@contextlib.contextmanager
def user_network(daemon: Daemon, *args: str) -> Iterator[str]:
    name = unique("tnet")
    daemon.docker("network", "create", "-d", "bridge", *args, name)
    try:
        yield name
    finally:
        daemon.docker("network", "rm", name, check=False)


def host_has_ipv6_loopback() -> bool:
    """``::1`` can be bound here (not in a container whose engine switched IPv6 off)."""
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_get(port: int, host: str = "127.0.0.1", timeout: float = 10.0) -> bytes:
    """GET / on a loopback port, retried until the server answers (bounded)."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=2) as sock:
                sock.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
                data = b""
                while chunk := sock.recv(65536):
                    data += chunk
                if data:
                    return data
        except OSError as err:
            last = err
        time.sleep(0.1)
    raise AssertionError(f"no answer from {host}:{port}: {last}")


def bridge_rules(bridge: str) -> list[str]:
    """iptables rules (filter and nat) that name ``bridge``."""
    rules = []
    for table in ("filter", "nat"):
        res = subprocess.run(["iptables", "-t", table, "-S"], capture_output=True, text=True)
        rules += [line for line in res.stdout.splitlines() if bridge in line]
    return rules


def interfaces_on(bridge: str) -> list[str]:
    res = subprocess.run(["ip", "-o", "link", "show", "master", bridge], capture_output=True,
                         text=True)
    return [line.split(":")[1].strip() for line in res.stdout.splitlines() if ":" in line]


class FakeUpstream:
    """A DNS server on 127.77.x.y:53 answering every A question with ``answer``."""

    def __init__(self, answer: str) -> None:
        self.answer = ipaddress.IPv4Address(answer)
        self.address = f"127.77.{os.getpid() % 250 + 1}.{uuid.uuid4().int % 250 + 1}"
        self.asked: list[str] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((self.address, 53))
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> FakeUpstream:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, client = self._sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            with contextlib.suppress(dnsmsg.DnsFormatError):
                query = dnsmsg.parse_query(data)
                self.asked.append(query.question.name)
                records = [dnsmsg.address_record(self.answer)] \
                    if query.question.qtype == dnsmsg.TYPE_A else []
                self._sock.sendto(dnsmsg.build_response(query, dnsmsg.RCODE_NOERROR, records),
                                  client)
