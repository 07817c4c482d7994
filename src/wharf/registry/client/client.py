"""``RegistryClient``: the one object the daemon uses to talk to registries (see the package
docstring for the whole API)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, TypeVar

from wharf.core.digest import Digest
from wharf.core.errors import NotFound
from wharf.core.oci import Descriptor, Manifest, Platform
from wharf.core.reference import Reference
from wharf.registry.client.auth import ANONYMOUS, Credentials, TokenCache
from wharf.registry.client.blobs import BlobStream
from wharf.registry.client.endpoints import (
    Endpoint,
    RegistryConfig,
    check_config,
    normalize_server_address,
    search_endpoints,
)
from wharf.registry.client.fallback import EndpointFallback
from wharf.registry.client.manifests import FetchedManifest, host_default_platform, select_platform
from wharf.registry.client.operations import RepoOps
from wharf.registry.client.search import SearchResult, search_endpoint
from wharf.registry.client.session import AuthContext, Session
from wharf.registry.client.transport import Transport
from wharf.registry.client.uploads import Progress

__all__ = ["RegistryClient", "ResolvedImage"]

T = TypeVar("T")
DEFAULT_CHUNK_THRESHOLD = 64 * 1024 * 1024
DEFAULT_CHUNK_SIZE = 16 * 1024 * 1024


@dataclass(frozen=True)
class ResolvedImage:
    """What a reference resolved to for one platform.

    ``digest`` is the digest the tag (or digest) named — the index's when it named an index —
    which is what RepoDigests record. ``manifest`` is the chosen platform's image manifest,
    ``index`` the manifest list / OCI index when there was one (both byte-exact).
    """

    reference: Reference
    digest: Digest
    manifest: FetchedManifest
    index: FetchedManifest | None = None
    platform: Platform | None = None

    @property
    def image_manifest(self) -> Manifest:
        return self.manifest.manifest()


def _pull_scope(ref: Reference) -> tuple[str, ...]:
    return (f"repository:{ref.path}:pull",)


def _push_scope(ref: Reference, *mount_from: str) -> tuple[str, ...]:
    return (f"repository:{ref.path}:pull,push", *(f"repository:{m}:pull" for m in mount_from))


class RegistryClient:
    """Thread-safe, blocking registry client (call it from worker threads)."""

    def __init__(self, config: RegistryConfig | None = None) -> None:
        self.config = config or RegistryConfig()
        check_config(self.config)
        self._session = Session(Transport(self.config), TokenCache())
        self._fallback = EndpointFallback(self.config)

    def close(self) -> None:
        self._session.transport.close()

    def _try(self, domain: str, pull: bool, action: Callable[[Endpoint], T]) -> T:
        return self._fallback.run(self._fallback.endpoints(domain, pull=pull), action)

    def _ops(self, endpoint: Endpoint, ref: Reference, auth: AuthContext) -> RepoOps:
        return RepoOps(self._session, endpoint, ref, auth)

    # -- discovery and login ------------------------------------------------------------
    def ping(self, domain: str, credentials: Credentials = ANONYMOUS) -> Endpoint:
        """``GET /v2/``; the endpoint that answered (RemoteFailure when none did)."""
        auth = AuthContext(credentials)
        return self._try(domain, False, lambda e: RepoOps.ping(self._session, e, auth))

    def login(self, server_address: str, credentials: Credentials) -> str:
        """Check credentials; the identity token to keep (``""`` when none was issued)."""
        domain = normalize_server_address(server_address)
        return self._try(domain, False, lambda e: self._session.login(e, credentials))

    # -- pull ---------------------------------------------------------------------------
    def fetch_manifest(
        self, ref: Reference, credentials: Credentials = ANONYMOUS, *, digest: Digest | None = None
    ) -> FetchedManifest:
        """The manifest ``ref`` names (its digest, else its tag, else ``latest``), or the one
        ``digest`` names in ``ref``'s repository; byte-exact and verified."""
        auth = AuthContext(credentials, _pull_scope(ref))
        return self._try(ref.domain, True, lambda e: self._ops(e, ref, auth).get_manifest(digest))

    def head_manifest(
        self, ref: Reference, credentials: Credentials = ANONYMOUS
    ) -> Descriptor | None:
        """``HEAD`` what ``ref`` names on the upstream (no mirrors): its descriptor (media type,
        digest, size), or None when the registry does not have it."""
        auth = AuthContext(credentials, _pull_scope(ref))
        return self._try(ref.domain, False, lambda e: self._ops(e, ref, auth).head_manifest())

    def resolve(
        self, ref: Reference, credentials: Credentials = ANONYMOUS, platform: Platform | None = None
    ) -> ResolvedImage:
        """Fetch what ``ref`` names and, for an index, the manifest of ``platform`` (default:
        the host's)."""
        top = self.fetch_manifest(ref, credentials)
        if not top.is_index:
            return ResolvedImage(ref, top.digest, top)
        wanted = platform or host_default_platform()
        entry = select_platform(top.index(), wanted)
        chosen = self.fetch_manifest(ref, credentials, digest=entry.digest)
        if chosen.is_index:
            raise NotFound(f"nested manifest lists are not supported ({entry.digest})")
        return ResolvedImage(ref, top.digest, chosen, top, entry.platform)

    def fetch_blob(
        self, ref: Reference, digest: Digest, credentials: Credentials = ANONYMOUS, *, limit: int
    ) -> bytes:
        """A small blob (an image config) read whole, at most ``limit`` bytes, digest-verified."""
        auth = AuthContext(credentials, _pull_scope(ref))
        return self._try(
            ref.domain, True, lambda e: self._ops(e, ref, auth).get_small_blob(digest, limit)
        )

    def open_blob(
        self,
        ref: Reference,
        digest: Digest,
        credentials: Credentials = ANONYMOUS,
        *,
        offset: int = 0,
        size: int | None = None,
    ) -> BlobStream:
        """Stream a blob from ``offset`` (``Range``); check ``stream.offset`` — 0 means the
        registry sent the whole blob. The caller verifies the digest; close the stream."""
        auth = AuthContext(credentials, _pull_scope(ref))
        return self._try(
            ref.domain, True, lambda e: self._ops(e, ref, auth).open_blob(digest, offset, size)
        )

    def list_tags(self, ref: Reference, credentials: Credentials = ANONYMOUS) -> list[str]:
        """Every tag of ``ref``'s repository (Link pagination followed, bounded)."""
        auth = AuthContext(credentials, _pull_scope(ref))
        return self._try(ref.domain, True, lambda e: self._ops(e, ref, auth).list_tags())

    # -- push ---------------------------------------------------------------------------
    def blob_size(
        self, ref: Reference, digest: Digest, credentials: Credentials = ANONYMOUS
    ) -> int | None:
        """``HEAD`` a blob in ``ref``'s repository: its size, or None when it is not there."""
        auth = AuthContext(credentials, _push_scope(ref))
        return self._try(ref.domain, False, lambda e: self._ops(e, ref, auth).head_blob(digest))

    def mount_blob(
        self, ref: Reference, digest: Digest, from_path: str, credentials: Credentials = ANONYMOUS
    ) -> bool:
        """Cross-repository mount from ``from_path`` (same registry); False when refused."""
        auth = AuthContext(credentials, _push_scope(ref, from_path))
        return self._try(
            ref.domain, False, lambda e: self._ops(e, ref, auth).mount_blob(digest, from_path)
        )

    def upload_blob(
        self,
        ref: Reference,
        digest: Digest,
        size: int,
        source: IO[bytes],
        credentials: Credentials = ANONYMOUS,
        *,
        chunk_size: int | None = None,
        progress: Progress | None = None,
    ) -> None:
        """Upload ``size`` bytes read from ``source``: monolithic, or chunked PATCHes of
        ``chunk_size`` (default: chunked above 64 MiB). ``progress(bytes_sent)``."""
        if chunk_size is None and size > DEFAULT_CHUNK_THRESHOLD:
            chunk_size = DEFAULT_CHUNK_SIZE
        auth = AuthContext(credentials, _push_scope(ref))
        self._try(
            ref.domain,
            False,
            lambda e: self._ops(e, ref, auth).upload(digest, size, source, chunk_size, progress),
        )

    def put_manifest(
        self,
        ref: Reference,
        media_type: str,
        data: bytes,
        credentials: Credentials = ANONYMOUS,
        *,
        tag: str | None = None,
    ) -> Digest:
        """PUT manifest bytes under ``tag`` (default ``ref``'s tag, else by digest); the digest."""
        auth = AuthContext(credentials, _push_scope(ref))
        target = tag or ref.tag or str(Digest.from_bytes(data))
        return self._try(
            ref.domain,
            False,
            lambda e: self._ops(e, ref, auth).put_manifest(target, media_type, data),
        )

    # -- search -------------------------------------------------------------------------
    def search(
        self, domain: str, term: str, limit: int = 25, credentials: Credentials = ANONYMOUS
    ) -> list[SearchResult]:
        """``GET /v1/search?q=&n=`` on the registry (Docker's search API)."""
        auth = AuthContext(credentials)
        endpoints = self._fallback.ordered(search_endpoints(domain, self.config))
        return self._fallback.run(
            endpoints, lambda e: search_endpoint(self._session, e, auth, term, limit)
        )
