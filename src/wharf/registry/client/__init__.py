"""Registry client: the daemon side of pull, push, search and login (OCI distribution v2).

Blocking and thread-safe (urllib3): the daemon calls it from worker threads. Every socket has
a timeout (connect 10 s, read 60 s by default, ``RegistryConfig``).

Public API::

    client = RegistryClient(RegistryConfig(mirrors={"docker.io": ["http://127.0.0.1:5001"]},
                                           insecure_registries=["10.0.0.0/8"]))
    creds = Credentials(username="u", password="p")      # or identity_token / registry_token
    ref = parse_reference("127.0.0.1:5000/team/app:1.0")  # wharf.core.reference

    client.ping("127.0.0.1:5000", creds) -> Endpoint            # GET /v2/
    client.login("http://127.0.0.1:5000", creds) -> str         # identity token, or ""
    client.resolve(ref, creds, platform=None) -> ResolvedImage  # tag/digest → platform manifest
        .digest     what the reference named (the index digest for an index: RepoDigests)
        .manifest   FetchedManifest(digest, media_type, data) of the platform's image manifest
        .index      FetchedManifest of the manifest list / OCI index, or None
        .platform   the index entry's Platform, or None
        .image_manifest  the parsed wharf.core.oci.Manifest
    client.fetch_manifest(ref, creds, digest=None) -> FetchedManifest   # byte-exact, verified
    client.head_manifest(ref, creds) -> Descriptor | None      # upstream only; None = absent
    client.fetch_blob(ref, digest, creds, limit=N) -> bytes    # small blobs (configs), verified
    client.open_blob(ref, digest, creds, offset=0, size=None) -> BlobStream
        .offset     where the body starts: ``offset`` if Range was honoured (206 + matching
                    Content-Range), else 0 — then the caller restarts the blob from 0
        .size       the whole blob's size when known; .read(n), iteration, .close(), ``with``
        reads raise RemoteFailure on a timeout, a truncated body or an overlong one;
        the caller hashes the bytes (digest verification happens at the content store)
    client.list_tags(ref, creds) -> list[str]                  # Link pagination, bounded
    client.blob_size(ref, digest, creds) -> int | None         # HEAD: size, None = absent
    client.mount_blob(ref, digest, from_path, creds) -> bool   # cross-repo mount, same host
    client.upload_blob(ref, digest, size, fileobj, creds, chunk_size=None, progress=None)
                    # monolithic, or chunked PATCHes when chunk_size (or size > 64 MiB)
    client.put_manifest(ref, media_type, data, creds, tag=None) -> Digest
    client.search(domain, term, limit, creds) -> list[SearchResult]   # GET /v1/search
    client.close()

``ref`` is a ``wharf.core.reference.Reference``: its ``domain`` picks the registry
(``docker.io`` → ``registry-1.docker.io``) and ``path`` the repository; blob and push calls
ignore its tag/digest. Platforms are ``wharf.core.oci.Platform``; ``parse_platform("linux/
arm64/v8")`` and ``host_default_platform()`` help.

Endpoints (``endpoints.py``): pulls try the mirrors configured for the registry's domain first,
in order, falling back to the next on any failure, then the upstream; pushes, login and ping
use the upstream only. Insecure registries (loopback by default, or listed by host, host:port
or CIDR) try https without verification, then plain http (remembered). TLS trusts
``/etc/docker/certs.d/<host>/*.crt`` and presents ``*.cert``/``*.key`` as Docker does.

Auth (``auth.py``, ``session.py``): anonymous, Basic, and Bearer (``WWW-Authenticate`` realm/
service/scope; token GET with basic credentials or anonymous, OAuth2 POST with the identity
token); tokens cached per scope until they expire. Redirects (blob storage) never carry the
``Authorization`` header to another host.

Errors (``wharf.core.errors``): ``NotFound`` with Docker's texts (``manifest for x:t not
found: manifest unknown: manifest unknown``; ``pull access denied for x, repository does not
exist or may require 'docker login': …``; ``no matching manifest for linux/arm64/v8 in the
manifest list entries``), ``Unauthorized``/``Forbidden`` for push and login and refused
credentials (``Get "http://…/v2/…": unauthorized: incorrect username or password``; ``login
attempt to http://…/v2/ failed with status: 401 Unauthorized``), ``InvalidParameter`` for
schema1 images, ``RemoteFailure`` (500) for unreachable registries (``Get "https://…/v2/":
dial tcp …: connect: connection refused``), timeouts, digest mismatches, bad or oversized
manifests (4 MiB) and unknown media types, blobs shorter or longer than their size. Every
response body is read bounded; uploads of more than 64 MiB go in 16 MiB chunks by default.
"""

from __future__ import annotations

from wharf.registry.client.auth import ANONYMOUS, Credentials
from wharf.registry.client.blobs import BlobStream
from wharf.registry.client.client import RegistryClient, ResolvedImage
from wharf.registry.client.endpoints import (
    Endpoint,
    RegistryConfig,
    normalize_server_address,
)
from wharf.registry.client.manifests import (
    ACCEPT_MANIFESTS,
    INDEX_TYPES,
    MANIFEST_TYPES,
    FetchedManifest,
    format_platform,
    host_default_platform,
    parse_platform,
    select_platform,
)
from wharf.registry.client.search import SearchResult
from wharf.registry.client.uploads import Progress

__all__ = [
    "ACCEPT_MANIFESTS",
    "ANONYMOUS",
    "INDEX_TYPES",
    "MANIFEST_TYPES",
    "BlobStream",
    "Credentials",
    "Endpoint",
    "FetchedManifest",
    "Progress",
    "RegistryClient",
    "RegistryConfig",
    "ResolvedImage",
    "SearchResult",
    "format_platform",
    "host_default_platform",
    "normalize_server_address",
    "parse_platform",
    "select_platform",
]
