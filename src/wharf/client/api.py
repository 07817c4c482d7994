"""``Client``: the Engine API grouped by resource (``client.containers.start(id)``)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from wharf.client.archive import Archive
from wharf.client.build import Build
from wharf.client.containers import Containers
from wharf.client.exec import Exec
from wharf.client.hosts import TLSSettings, parse_endpoint, resolve_host
from wharf.client.images import Images
from wharf.client.networks import Networks
from wharf.client.system import System
from wharf.client.transport import Transport
from wharf.client.volumes import Volumes


class Client:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.containers = Containers(transport)
        self.archive = Archive(transport)  # docker cp and commit
        self.images = Images(transport)
        self.build = Build(transport)
        self.exec = Exec(transport)
        self.system = System(transport)
        self.networks = Networks(transport)
        self.volumes = Volumes(transport)

    @classmethod
    def from_address(cls, address: str, tls: TLSSettings | None = None,
                     api_version: str | None = None) -> Client:
        return cls(Transport(parse_endpoint(address, tls), api_version))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Client:
        """``WHARF_HOST``/``DOCKER_HOST`` or the default socket; ``DOCKER_API_VERSION``."""
        env = os.environ if env is None else env
        return cls.from_address(resolve_host(None, env), None,
                                env.get("DOCKER_API_VERSION") or None)

    def close(self) -> None:
        self.transport.close()
