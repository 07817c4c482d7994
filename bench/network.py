"""Networking side by side: wharf against dockerd (Debian's docker.io), both started here.

Run as root: ``.venv/bin/python bench/network.py [--runs 10] [--dns-containers 200]``.
Figures (medians of ``--runs`` samples unless said):
- ``run --rm busybox true`` on the default bridge, and with ``--network none``;
- 20 parallel ``run -d busybox sleep`` on the default bridge;
- DNS: ``--dns-containers`` containers on one user network; from inside each one's network
  namespace, 5 queries to 127.0.0.11 for the next container's name; p50 and p99 of every
  answer's latency (all must be answered with an address);
- a published port: HTTP requests per second (a new connection per request, as busybox
  httpd closes each) through ``-p 127.0.0.1:X:80`` and to the container's own address.
Each engine gets a bridge of its own; the test dockerd runs without firewall rules
(``--iptables=false``: it must not touch the host's DOCKER chains), wharf with its own.
Traffic goes only to loopback and to the containers made here.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import http.client
import json
import os
import socket
import statistics
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import (
    Engine,
    compile_wharf,
    dockerd,
    import_busybox,
    timed,
    wharfd,
)
from tests.support.daemons import new_parent_cgroups_removed

CLONE_NEWNET = 0x40000000
QUERIES_PER_CONTAINER = 5
HTTP_REQUESTS = 1000
HTTP_CLIENTS = 4
TARGETS = {"run_rm_bridge_s": 0.2, "run_rm_none_s": 0.15, "parallel_run_d_20_s": 0.33}


def socket_in_netns(pid: int, kind: int) -> socket.socket:
    """A UDP/TCP socket made inside the network namespace of process ``pid``: a fresh thread
    enters it, makes the socket (which keeps that namespace) and ends."""
    made: list[socket.socket] = []
    failed: list[BaseException] = []

    def enter_and_make() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        try:
            fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns")
            finally:
                os.close(fd)
            made.append(socket.socket(socket.AF_INET, kind))
        except BaseException as err:  # reported to the caller
            failed.append(err)

    thread = threading.Thread(target=enter_and_make)
    thread.start()
    thread.join()
    if failed:
        raise failed[0]
    return made[0]


def dns_query(name: str, ident: int) -> bytes:
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + labels + struct.pack("!HH", 1, 1)


def answered(reply: bytes, ident: int) -> bool:
    """The reply is to ``ident``, NOERROR, with at least one answer."""
    got, flags, _, count = struct.unpack("!HHHH", reply[:8])
    return got == ident and flags & 0x8000 != 0 and flags & 0xF == 0 and count > 0


def time_queries(pid: int, name: str) -> list[float]:
    sock = socket_in_netns(pid, socket.SOCK_DGRAM)
    sock.settimeout(2.0)
    samples = []
    try:
        for ident in range(1, QUERIES_PER_CONTAINER + 1):
            start = time.perf_counter()
            sock.sendto(dns_query(name, ident), ("127.0.0.11", 53))
            reply = sock.recv(512)
            samples.append(time.perf_counter() - start)
            if not answered(reply, ident):
                raise RuntimeError(f"no address for {name}: {reply!r}")
    finally:
        sock.close()
    return samples


def container_pid(engine: Engine, ref: str) -> int:
    return int(engine.run("inspect", "-f", "{{.State.Pid}}", ref).strip())


def bench_dns(engine: Engine, count: int) -> dict[str, float]:
    network = f"benchdns{os.getpid()}"
    engine.run("network", "create", network)
    names = [f"{network}-{i}" for i in range(count)]
    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda n: engine.run("run", "-d", "--name", n, "--network", network,
                                               "busybox", "sleep", "600"), names))
        pids = [container_pid(engine, n) for n in names]
        samples: list[float] = []
        for i, pid in enumerate(pids):
            samples += time_queries(pid, names[(i + 1) % count])
        samples.sort()
        return {"dns_p50_ms": 1000 * statistics.median(samples),
                "dns_p99_ms": 1000 * samples[int(0.99 * (len(samples) - 1))]}
    finally:
        engine.run("rm", "-f", *names, check=False)
        engine.run("network", "rm", network, check=False)


def http_rps(host: str, port: int) -> float:
    """Requests per second of ``HTTP_CLIENTS`` threads, a new connection per request."""
    per_client = HTTP_REQUESTS // HTTP_CLIENTS

    def client(_: int) -> None:
        for _ in range(per_client):
            conn = http.client.HTTPConnection(host, port, timeout=5)
            conn.request("GET", "/index.html")
            body = conn.getresponse().read()
            conn.close()
            if body != b"hello\n":
                raise RuntimeError(f"unexpected body {body!r}")

    start = time.perf_counter()
    with ThreadPoolExecutor(HTTP_CLIENTS) as pool:
        list(pool.map(client, range(HTTP_CLIENTS)))
    return per_client * HTTP_CLIENTS / (time.perf_counter() - start)


def bench_http(engine: Engine) -> dict[str, float]:
    script = "mkdir /www && echo hello > /www/index.html && exec httpd -f -p 80 -h /www"
    ref = engine.run("run", "-d", "-p", "127.0.0.1::80", "busybox", "sh", "-c", script).strip()
    try:
        inspected = json.loads(engine.run("inspect", ref))[0]
        port = int(inspected["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"])
        address = inspected["NetworkSettings"]["Networks"]["bridge"]["IPAddress"]
        wait_for_http("127.0.0.1", port)
        return {"http_rps_published": http_rps("127.0.0.1", port),
                "http_rps_direct": http_rps(address, 80)}
    finally:
        engine.run("rm", "-f", ref, check=False)


def wait_for_http(host: str, port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn = http.client.HTTPConnection(host, port, timeout=1)
            conn.request("GET", "/index.html")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def parallel_runs(engine: Engine, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        with ThreadPoolExecutor(20) as pool:
            ids = list(pool.map(lambda _: engine.run("run", "-d", "busybox", "sleep", "600")
                                .strip(), range(20)))
        samples.append(time.perf_counter() - start)
        engine.run("rm", "-f", *ids)
    return samples


def bench_engine(engine: Engine, runs: int, dns_containers: int) -> dict[str, float]:
    def run_rm(*network: str) -> Callable[[], object]:
        return lambda: engine.run("run", "--rm", *network, "busybox", "true")

    figures: dict[str, float] = {}
    for key, network in (("run_rm_bridge_s", ()), ("run_rm_none_s", ("--network", "none"))):
        run_rm(*network)()  # warm
        figures[key] = statistics.median(timed(run_rm(*network), runs))
    figures["parallel_run_d_20_s"] = statistics.median(parallel_runs(engine, runs))
    figures.update(bench_http(engine))
    if dns_containers:
        figures.update(bench_dns(engine, dns_containers))
    return figures


def print_table(results: dict[str, dict[str, float]]) -> None:
    wharf, docker = results.get("wharf", {}), results.get("docker", {})
    print(f"{'figure':<24}{'wharf':>12}{'docker':>12}{'ratio':>10}{'target':>10}")
    for key, value in wharf.items():
        other = docker.get(key)
        ratio = f"{value / other:.2f}x" if other else "-"
        target = f"≤{TARGETS[key]}x" if key in TARGETS else ""
        shown = f"{other:.3f}" if other is not None else "-"
        print(f"{key:<24}{value:>12.3f}{shown:>12}{ratio:>10}{target:>10}")


@contextlib.contextmanager
def engines(tmp: Path, pycache: Path) -> Iterator[dict[str, Engine]]:
    with wharfd(tmp / "w", pycache) as w, dockerd(tmp / "d") as d:
        found = {"wharf": w}
        if d is not None:
            found["docker"] = d
        yield found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--dns-containers", type=int, default=200)
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    with new_parent_cgroups_removed(), tempfile.TemporaryDirectory(prefix="wharf-bench-") as name:
        tmp = Path(name)
        for sub in ("w", "d"):
            (tmp / sub).mkdir()
        compile_wharf(tmp / "pycache")
        with engines(tmp, tmp / "pycache") as found:
            for engine_name, engine in found.items():
                import_busybox(engine)
                results[engine_name] = bench_engine(engine, args.runs, args.dns_containers)
    print_table(results)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
