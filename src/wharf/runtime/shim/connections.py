"""Connections to shim.sock: accept, read the request line, send replies and frames, drop."""

from __future__ import annotations

import json
import sys
from typing import Any

from wharf.runtime.shim.eventloop import READ, WRITE, Handler
from wharf.runtime.shim.process_io import READ_SIZE
from wharf.runtime.shim.records import Client, Process
from wharf.runtime.shim.state import ShimState

__all__ = ["MAX_REQUEST", "Connections"]

MAX_REQUEST = 1024 * 1024


class Connections(ShimState):
    # ---- clients ----------------------------------------------------------------------------

    def _on_accept(self, _mask: int) -> None:
        for _ in range(64):
            try:
                sock, _addr = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            sock.setblocking(False)
            client = Client(sock)
            self._clients.append(client)
            self._loop.on(client.fd, self._client_handler(client))

    def _client_handler(self, client: Client) -> Handler:
        def handle(mask: int) -> None:
            try:
                self._on_client(client, mask)
            except Exception as e:  # one bad client must not take the container's shim down
                sys.stderr.write(f"shim: dropping a client after {type(e).__name__}: {e}\n")
                if client in self._clients:
                    self._drop(client)

        return handle

    def _on_client(self, client: Client, mask: int) -> None:
        if mask & WRITE and not self._flush(client):
            return
        if mask & READ:
            try:
                data = client.sock.recv(READ_SIZE)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            self._on_client_data(client, data)

    def _flush(self, client: Client) -> bool:
        try:
            sent = client.sock.send(client.out)
        except BlockingIOError:
            return True
        except OSError:
            self._drop(client)
            return False
        del client.out[:sent]
        return True

    def _on_client_data(self, client: Client, data: bytes) -> None:
        if client.closing_until is not None:  # finished: only its end is awaited
            if not data:
                self._drop(client)
            return
        if client.answered:
            if not data:
                self._end_input(client)
            elif client.stdin_target is not None and self._accepts_input(client.stdin_target):
                client.stdin_target.stdin_buffer += data  # (else the input has nowhere to go)
            return
        if not data:
            self._drop(client)
            return
        client.request += data
        line, newline, rest = client.request.partition(b"\n")
        if not newline:
            if len(client.request) > MAX_REQUEST:
                self._drop(client)
            return
        client.answered = True
        client.request = bytearray()
        self._dispatch(client, bytes(line))
        if rest:
            self._on_client_data(client, bytes(rest))

    def _accepts_input(self, process: Process) -> bool:
        """True while ``process`` has a stdin, or is the init not started yet: input that
        arrives on an attach made before ``start`` waits in its buffer for the process."""
        if process.stdio.stdin is not None:
            return True
        return process.is_init and self._status == "created" and not process.stdin_closing

    def _drop(self, client: Client) -> None:
        if client.stdin_target is not None:
            self._end_input(client)
        for process in self._execs:
            if process.stream is client:
                process.stream = None
        self._loop.forget(client.fd)
        if client in self._clients:
            self._clients.remove(client)
        client.sock.close()

    def _reply(self, client: Client, body: dict[str, Any], then_close: bool = True) -> None:
        client.out += json.dumps(body).encode() + b"\n"
        client.close_when_flushed = client.close_when_flushed or then_close
