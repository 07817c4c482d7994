"""What a build is asked to do: ``POST /build``'s query (and ``wharf build``'s extras) as one
typed value, shared by the build route, the build service and the RUN mounts."""

from __future__ import annotations

from dataclasses import dataclass, field

from wharf.services.registry_port import RegistryAuth

__all__ = ["BuildOptions", "BuildSecret"]


@dataclass(frozen=True)
class BuildSecret:
    """``--secret id=ID,src=FILE``: the bytes travel in the context tar under ``context_path``
    (a name the CLI made up); the daemon moves the file out of the context before the build
    sees it, and only a RUN with ``--mount=type=secret,id=ID`` ever mounts it."""

    id: str
    context_path: str


@dataclass(frozen=True)
class BuildOptions:
    """The classic builder's parameters (Engine API ``POST /build``), decoded and checked."""

    tags: tuple[str, ...] = ()                      # t (repeatable), already validated
    dockerfile: str = "Dockerfile"                  # path inside the context
    build_args: dict[str, str | None] = field(default_factory=dict)  # null: take it from env
    labels: dict[str, str] = field(default_factory=dict)
    quiet: bool = False                             # q: only the aux ID message
    no_cache: bool = False
    pull: bool = False                              # always pull FROM images
    remove: bool = True                             # rm: intermediate containers on success
    force_remove: bool = False                      # forcerm: also on failure
    target: str = ""
    network_mode: str = ""                          # "", default, bridge, host, none
    extra_hosts: tuple[str, ...] = ()               # "name:ip"
    cache_from: tuple[str, ...] = ()
    platform: str = ""
    squash: bool = False
    memory: int = 0
    memory_swap: int = 0
    cpu_shares: int = 0
    cpu_quota: int = 0
    cpu_period: int = 0
    shm_size: int = 0
    secrets: tuple[BuildSecret, ...] = ()           # wharf: --secret
    volumes: tuple[str, ...] = ()                   # wharf: -v /host:/ctr[:ro] on every RUN
    # X-Registry-Config: credentials by registry (keys as the client wrote them: "host:port",
    # or Docker Hub's "https://index.docker.io/v1/"), for pulling FROM images
    registry_auths: dict[str, RegistryAuth] = field(default_factory=dict)

    def auth_for(self, domain: str) -> RegistryAuth:
        """The credentials ``X-Registry-Config`` gave for a registry (``docker.io`` or
        ``host:port``), as moby's ``ResolveAuthConfig`` finds them (keys may be URLs; Docker
        Hub's is ``https://index.docker.io/v1/``); anonymous when none."""
        wanted = "docker.io" if domain in _HUB_NAMES else domain
        for key, auth in self.registry_auths.items():
            host = key.split("://", 1)[-1].split("/", 1)[0]
            if ("docker.io" if host in _HUB_NAMES else host) == wanted:
                return auth
        return RegistryAuth()


_HUB_NAMES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
