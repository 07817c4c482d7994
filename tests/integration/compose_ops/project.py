"""A compose project made the way ``compose up`` makes one (Compose's labels and names,
containers created and started through ``wharf.client``), without depending on ``up``."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.daemons import Daemon

from wharf.client.api import Client
from wharf.compose import labels
from wharf.core.errors import WharfError

WHARF = str(Path(sys.executable).parent / "wharf")
TRAP = "trap 'exit 0' TERM; "


def free_port() -> str:
    """A loopback port free now (test daemons share the host: an ephemeral port one of them
    holds would make the start fail)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


def project_name(prefix: str) -> str:
    return f"{prefix}{os.getpid()}{uuid.uuid4().hex[:4]}"


@dataclass
class Project:
    daemon: Daemon
    name: str
    directory: Path
    ids: dict[str, str] = field(default_factory=dict)  # container name -> id

    @property
    def file(self) -> Path:
        return self.directory / "compose.yaml"

    @contextlib.contextmanager
    def client(self) -> Iterator[Client]:
        client = Client.from_address(self.daemon.host)
        try:
            yield client
        finally:
            client.close()

    def write_file(self, services: dict[str, list[str]]) -> None:
        """``compose.yaml`` naming ``services`` (each with its depends_on)."""
        lines = ["services:"]
        for service, deps in services.items():
            lines += [f"  {service}:", "    image: busybox"]
            if deps:
                lines += ["    depends_on:"] + [f"      - {d}" for d in deps]
        self.file.write_text("\n".join(lines) + "\n")

    def add(self, service: str, script: str, number: int = 1, start: bool = True,
            ports: dict[str, str] | None = None, env: list[str] | None = None,
            oneoff: bool = False) -> str:
        name = labels.container_name(self.name, service, number, oneoff)
        config = {
            "Image": "busybox", "Cmd": ["sh", "-c", script], "Env": env or [],
            "Labels": {labels.PROJECT: self.name, labels.SERVICE: service,
                       labels.NUMBER: str(number), labels.ONEOFF: str(oneoff),
                       labels.CONFIG_FILES: str(self.file),
                       labels.WORKING_DIR: str(self.directory),
                       labels.VERSION: labels.COMPOSE_VERSION},
            "ExposedPorts": {key: {} for key in ports or {}},
            "HostConfig": {"PortBindings": {key: [{"HostIp": "127.0.0.1", "HostPort": host}]
                                            for key, host in (ports or {}).items()}},
        }
        with self.client() as client:
            ident = str(client.containers.create(config, name=name)["Id"])
            if start:
                client.containers.start(ident)
        self.ids[name] = ident
        return ident

    def wait_exited(self, ident: str) -> None:
        with self.client() as client:
            client.containers.wait(ident)

    def compose(self, *args: str, check: bool = True, stdin: bytes | None = None,
                timeout: float = 60, env: dict[str, str] | None = None
                ) -> subprocess.CompletedProcess[bytes]:
        res = subprocess.run([WHARF, "compose", "-p", self.name, *args],
                             env={**self.daemon.docker_env(), **(env or {})},
                             cwd=self.directory, input=stdin,
                             stdin=None if stdin is not None else subprocess.DEVNULL,
                             capture_output=True, timeout=timeout, check=False)
        if check:
            assert res.returncode == 0, (args, res.stdout, res.stderr)
        return res

    def remove(self) -> None:
        with self.client() as client:
            for ident in self.ids.values():
                with contextlib.suppress(WharfError):  # already gone
                    client.containers.remove(ident, force=True)
