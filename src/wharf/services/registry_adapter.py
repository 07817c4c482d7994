"""``wharf.registry.client.RegistryClient`` behind the services' ``RegistryPort``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict
from typing import Any, BinaryIO

from wharf.core.digest import Digest
from wharf.core.reference import Reference
from wharf.registry.client import (
    BlobStream,
    Credentials,
    FetchedManifest,
    RegistryClient,
    parse_platform,
)
from wharf.services.registry_port import RegistryAuth, RemoteManifest, ResolvedManifest

__all__ = ["ClientRegistry", "ClientRepository"]

_READ = 1 << 20


def _credentials(auth: RegistryAuth) -> Credentials:
    return Credentials(auth.username, auth.password, auth.identity_token, auth.registry_token)


def _remote(fetched: FetchedManifest) -> RemoteManifest:
    return RemoteManifest(fetched.digest, fetched.media_type, fetched.data)


class _Chunks:
    """A blob body as 1 MiB chunks; ``close`` releases the connection even when the body was
    never read (a generator's cleanup would not run then)."""

    def __init__(self, stream: BlobStream) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        chunk = self._stream.read(_READ)
        if not chunk:
            self._stream.close()
            raise StopIteration
        return chunk

    def close(self) -> None:
        self._stream.close()


class ClientRepository:
    """One repository with the caller's credentials (a ``RepositoryPort``)."""

    def __init__(self, client: RegistryClient, ref: Reference, auth: RegistryAuth) -> None:
        self._client = client
        self._ref = Reference(ref.domain, ref.path)
        self._creds = _credentials(auth)

    def _at(self, reference: str) -> Reference:
        if reference.startswith("sha256:"):
            return Reference(self._ref.domain, self._ref.path, None, reference)
        return Reference(self._ref.domain, self._ref.path, reference)

    def resolve(self, reference: str, platform: str) -> ResolvedManifest:
        wanted = parse_platform(platform) if platform else None
        resolved = self._client.resolve(self._at(reference), self._creds, wanted)
        index = _remote(resolved.index) if resolved.index is not None else None
        return ResolvedManifest(resolved.digest, _remote(resolved.manifest), index)

    def fetch_top(self, reference: str) -> RemoteManifest:
        return _remote(self._client.fetch_manifest(self._at(reference), self._creds))

    def get_blob(self, digest: Digest, limit: int) -> bytes:
        return self._client.fetch_blob(self._ref, digest, self._creds, limit=limit)

    def open_blob(self, digest: Digest, offset: int) -> tuple[int, Iterator[bytes]]:
        stream = self._client.open_blob(self._ref, digest, self._creds, offset=offset)
        return stream.offset, _Chunks(stream)

    def list_tags(self) -> list[str]:
        return self._client.list_tags(self._ref, self._creds)

    def has_blob(self, digest: Digest) -> bool:
        return self._client.blob_size(self._ref, digest, self._creds) is not None

    def mount_blob(self, digest: Digest, from_repository: str) -> bool:
        return self._client.mount_blob(self._ref, digest, from_repository, self._creds)

    def upload_blob(self, digest: Digest, size: int, stream: BinaryIO,
                    progress: Callable[[int], None]) -> None:
        self._client.upload_blob(self._ref, digest, size, stream, self._creds, progress=progress)

    def put_manifest(self, tag: str, media_type: str, data: bytes) -> Digest:
        return self._client.put_manifest(self._ref, media_type, data, self._creds, tag=tag)


class ClientRegistry:
    """The daemon's registry client as a ``RegistryPort``."""

    def __init__(self, client: RegistryClient) -> None:
        self._client = client

    def repository(self, ref: Reference, auth: RegistryAuth, *, push: bool = False
                   ) -> ClientRepository:
        return ClientRepository(self._client, ref, auth)

    def login(self, auth: RegistryAuth) -> str:
        return self._client.login(auth.server_address, _credentials(auth))

    def search(self, server: str, term: str, limit: int, auth: RegistryAuth
               ) -> list[dict[str, Any]]:
        return [asdict(r) for r in self._client.search(server, term, limit, _credentials(auth))]

    def close(self) -> None:
        self._client.close()
