"""A client flooding a container's stdin while the container never reads it: the daemon stops
reading the client (back-pressure), its memory stays bounded."""

from __future__ import annotations

import socket
import time
import uuid
from pathlib import Path

import pytest
from tests.support.daemons import import_busybox, wharfd_running

pytestmark = pytest.mark.root

FLOOD = 128 * 1024 * 1024


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_flooded_stdin_is_back_pressured(tmp_path: Path) -> None:
    with wharfd_running(tmp_path) as daemon:
        import_busybox(daemon)
        created = daemon.json("POST", f"/containers/create?name=flood-{uuid.uuid4().hex[:6]}",
                              {"Image": "busybox", "Cmd": ["sleep", "600"], "OpenStdin": True,
                               "AttachStdin": True})
        assert isinstance(created, dict)
        cid = created["Id"]
        daemon.json("POST", f"/containers/{cid}/start")
        before = rss_bytes(daemon.proc.pid)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(str(daemon.socket_path))
        try:
            sock.sendall(f"POST /containers/{cid}/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\n"
                         "Host: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n".encode())
            assert sock.recv(4096).startswith(b"HTTP/1.1 101")
            sock.setblocking(False)
            chunk, sent, stalled_since = b"x" * 65536, 0, time.monotonic()
            deadline = time.monotonic() + 60
            while sent < FLOOD and time.monotonic() < deadline:
                try:
                    sent += sock.send(chunk)
                    stalled_since = time.monotonic()
                except BlockingIOError:
                    if time.monotonic() - stalled_since > 3:
                        break  # the daemon stopped taking input: that is the point
                    time.sleep(0.01)
            grown = rss_bytes(daemon.proc.pid) - before
        finally:
            sock.close()
        assert sent < 32 * 1024 * 1024, f"the daemon took {sent} bytes nobody reads"
        assert grown < 32 * 1024 * 1024, f"the daemon grew by {grown} bytes"
