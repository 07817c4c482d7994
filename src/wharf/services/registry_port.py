"""What the pull, push and registry services need of a registry client.

``daemon.wiring`` adapts ``wharf.registry.client.RegistryClient`` to these Protocols
(``services.registry_adapter``); unit tests use an in-memory registry. A ``RepositoryPort`` is
one repository on one registry with the caller's credentials bound (mirrors, endpoints,
tokens and retries are the client's business).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol

from wharf.core.digest import Digest
from wharf.core.reference import Reference

__all__ = [
    "RegistryAuth",
    "RegistryPort",
    "RemoteManifest",
    "RepositoryPort",
    "ResolvedManifest",
]


@dataclass(frozen=True)
class RegistryAuth:
    """The fields of an ``X-Registry-Auth`` header (all empty: anonymous)."""

    username: str = ""
    password: str = ""
    server_address: str = ""
    identity_token: str = ""
    registry_token: str = ""


@dataclass(frozen=True)
class RemoteManifest:
    """A manifest or index exactly as the registry sent it, digest verified."""

    digest: Digest
    media_type: str
    data: bytes


@dataclass(frozen=True)
class ResolvedManifest:
    """What a tag or digest named: ``digest`` (the index's when it named an index; what
    RepoDigests record), the platform's image ``manifest``, and the ``index`` if any."""

    digest: Digest
    manifest: RemoteManifest
    index: RemoteManifest | None = None


class RepositoryPort(Protocol):
    def resolve(self, reference: str, platform: str) -> ResolvedManifest:
        """A tag or digest; ``platform`` (``os/arch[/variant]``, "" = the host's) picks from an
        index. NotFound (Docker's texts) when unknown."""
        ...

    def fetch_top(self, reference: str) -> RemoteManifest:
        """What a tag or digest names (an index stays an index)."""
        ...

    def get_blob(self, digest: Digest, limit: int) -> bytes: ...

    def open_blob(self, digest: Digest, offset: int) -> tuple[int, Iterator[bytes]]:
        """The blob from ``offset``: (where the body really starts, its chunks)."""
        ...

    def list_tags(self) -> list[str]: ...

    def has_blob(self, digest: Digest) -> bool: ...

    def mount_blob(self, digest: Digest, from_repository: str) -> bool:
        """Cross-repository mount on the same registry; False when it was not mounted."""
        ...

    def upload_blob(self, digest: Digest, size: int, stream: BinaryIO,
                    progress: Callable[[int], None]) -> None: ...

    def put_manifest(self, tag: str, media_type: str, data: bytes) -> Digest: ...


class RegistryPort(Protocol):
    def repository(self, ref: Reference, auth: RegistryAuth, *, push: bool = False
                   ) -> RepositoryPort: ...

    def login(self, auth: RegistryAuth) -> str:
        """Check the credentials; returns an identity token when the registry issues one."""
        ...

    def search(self, server: str, term: str, limit: int, auth: RegistryAuth
               ) -> list[dict[str, Any]]:
        """``/v1/search`` results (Docker's shape: name, description, star_count, ...)."""
        ...
