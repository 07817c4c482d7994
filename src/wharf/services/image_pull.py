"""``docker pull``: resolve a reference on a registry, fetch what is missing, record the image.

    manifest (by tag or digest; an index → the platform's manifest)
      → config blob (its diff ids name the layers: chain ids, so "Already exists" is known)
      → missing layers, fetched concurrently (``pull_layers``), each verified twice
      → the image recorded with its exact bytes (``ImageStore.store_pulled_image``)

Progress goes to a ``ProgressSink`` as Docker's JSON messages. A failure before the first
message is raised (the API answers it with its HTTP status, as dockerd does when nothing was
flushed yet); later ones too, and the route turns them into an ``errorDetail`` message.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from wharf.core.content import ContentStoreProtocol
from wharf.core.digest import Digest, is_digest
from wharf.core.errors import InvalidParameter, NotFound
from wharf.core.metadata import LayerRecord
from wharf.core.oci import (
    INDEX_TYPES,
    Manifest,
    chain_ids,
)
from wharf.core.reference import Reference, parse_reference
from wharf.core.snapshots import SnapshotterProtocol
from wharf.lib.jsoncodec import loads_object
from wharf.services.image_store import JSON_LIMIT, ImageStore
from wharf.services.layer_pull import LayerJob
from wharf.services.progress import ProgressSink, layer_status, plain_message
from wharf.services.pull_layers import BlobClaims, LayerFetcher, Retries
from wharf.services.pulled_images import PulledImage, store_pulled_image
from wharf.services.registry_port import RegistryAuth, RegistryPort, RemoteManifest, RepositoryPort

__all__ = ["PullOptions", "PullService", "pull_reference"]

PullEventSink = Callable[[str, str, dict[str, str]], object]
_LAYER_TYPES = (
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "application/vnd.docker.image.rootfs.diff.tar.zstd",
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
)


@dataclass(frozen=True)
class PullOptions:
    platform: str = ""
    auth: RegistryAuth = field(default_factory=RegistryAuth)


def pull_reference(from_image: str, tag: str) -> Reference:
    """moby's reading of ``fromImage`` + ``tag``: the tag may be a digest; a name without tag
    or digest means every tag."""
    ref = parse_reference(from_image)
    if tag:
        if is_digest(tag):
            return Reference(ref.domain, ref.path, None, tag)
        return ref.with_tag(tag)
    return ref


class PullService:
    def __init__(self, store: ImageStore, registry: RegistryPort, *,
                 on_event: PullEventSink | None = None, concurrency: int = 3,
                 attempts: int = 5, retry_delay: float = 1.0) -> None:
        self._store = store
        self._retries = Retries(attempts, retry_delay)
        self._registry = registry
        self._on_event = on_event
        self._concurrency = concurrency
        self._slots = threading.Semaphore(max(1, concurrency))  # for every pull at once
        self._claims = BlobClaims()

    @property
    def _content(self) -> ContentStoreProtocol:
        return self._store.content

    @property
    def _snapshots(self) -> SnapshotterProtocol:
        return self._store.snapshots

    def pull(self, ref: Reference, options: PullOptions, sink: ProgressSink,
             cancelled: threading.Event | None = None) -> None:
        """Pull ``ref`` (every tag when it has neither tag nor digest)."""
        cancelled = cancelled or threading.Event()
        if options.platform:
            _valid_platform(options.platform)
        repo = self._registry.repository(ref, options.auth)
        if ref.tag is None and ref.digest is None:
            tags = sorted(repo.list_tags())
            if not tags:
                raise NotFound(f"no tags found for {ref.familiar_name}")
            updated = [self._pull_one(repo, ref.with_tag(tag), options, sink, cancelled)
                       for tag in tags]
            sink(_final_status(any(updated), ref.familiar_name))
            return
        updated_one = self._pull_one(repo, ref, options, sink, cancelled)
        sink(_final_status(updated_one, ref.familiar()))

    def _pull_one(self, repo: RepositoryPort, ref: Reference, options: PullOptions,
                  sink: ProgressSink, cancelled: threading.Event) -> bool:
        wanted = ref.digest or ref.tag or "latest"
        resolved = repo.resolve(wanted, options.platform)
        manifest, index = resolved.manifest, resolved.index
        if ref.digest and Digest.parse(ref.digest) != resolved.digest:
            raise InvalidParameter(f"manifest digest {resolved.digest} does not match "
                                   f"{ref.digest}")
        if manifest.media_type in INDEX_TYPES:
            raise InvalidParameter(f"nested manifest lists are not supported ({manifest.digest})")
        parsed = _parse_manifest(manifest)
        # moby names the repository by its path on the registry: "library/busybox", "team/app"
        sink(plain_message(f"Pulling from {ref.path}", wanted))
        config = repo.get_blob(parsed.config.digest, JSON_LIMIT)
        if Digest.from_bytes(config) != parsed.config.digest:
            raise InvalidParameter(f"image config verification failed for digest "
                                   f"{parsed.config.digest}")
        if options.platform and index is None:
            _check_platform(config, options.platform, ref)
        every = _all(parsed, config)
        jobs = self._missing(every)
        for job in every:
            if job not in jobs:
                sink(layer_status(job.blob.short, "Already exists"))
        fetched = self._fetch(repo, jobs, sink, cancelled)
        layers = [fetched.get(job.chain_id) or self._known(job.chain_id) for job in every]
        name_only = Reference(ref.domain, ref.path)
        _, moved = store_pulled_image(self._store, PulledImage(
            config, manifest.data, index.data if index else None, layers,
            ref if ref.tag and not ref.digest else None,
            Reference(name_only.domain, name_only.path, None, str(resolved.digest)),
        ))
        sink(plain_message(f"Digest: {resolved.digest}"))
        if self._on_event is not None:
            self._on_event("pull", ref.familiar(), {"name": ref.familiar_name})
        return moved or bool(jobs)

    def _missing(self, jobs: list[LayerJob]) -> list[LayerJob]:
        return [job for job in jobs
                if self._store.db.get_layer(job.chain_id) is None
                or not self._snapshots.has_layer(job.chain_id)]

    def _known(self, chain_id: str) -> LayerRecord:
        return self._store.require_layer(chain_id)

    def _fetch(self, repo: RepositoryPort, jobs: list[LayerJob], sink: ProgressSink,
               cancelled: threading.Event) -> dict[str, LayerRecord]:
        if not jobs:
            return {}
        with self._claims.claim([job.blob for job in jobs]):
            still = self._missing(jobs)  # a concurrent pull may have brought some meanwhile
            for job in jobs:
                if job not in still:
                    sink(layer_status(job.blob.short, "Already exists"))
            jobs = still
            fetcher = LayerFetcher(self._content, self._snapshots, repo.open_blob, sink,
                                   concurrency=self._concurrency, slots=self._slots,
                                   layer_limit=self._store.limits.layer_bytes,
                                   cancelled=cancelled, retries=self._retries)
            return fetcher.fetch(jobs)


def _final_status(updated: bool, name: str) -> dict[str, str]:
    verb = "Downloaded newer image for" if updated else "Image is up to date for"
    return plain_message(f"Status: {verb} {name}")


def _valid_platform(text: str) -> None:
    """``os/arch[/variant]``, as the docker CLI's ``--platform`` takes it."""
    parts = text.strip().split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise InvalidParameter(f'"{text}": unknown operating system or architecture: '
                               "invalid argument")


def _check_platform(config: bytes, wanted: str, ref: Reference) -> None:
    """A single-platform image must be the platform asked for (as dockerd checks it)."""
    doc = loads_object(config, "invalid image config")
    parts = [str(doc.get("os", "")), str(doc.get("architecture", ""))]
    if doc.get("variant"):
        parts.append(str(doc["variant"]))
    actual = "/".join(parts)
    asked = wanted.strip().lower().split("/")
    if parts[:len(asked)] != asked[:len(parts)]:
        raise NotFound(f"image with reference {ref.familiar()} was found but does not match "
                       f"the specified platform: wanted {wanted}, actual: {actual}")


def _parse_manifest(manifest: RemoteManifest) -> Manifest:
    try:
        parsed = Manifest.from_json(loads_object(manifest.data, "malformed manifest"))
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidParameter(f"malformed manifest {manifest.digest}: {exc}") from exc
    for layer in parsed.layers:
        if layer.media_type not in _LAYER_TYPES:
            raise InvalidParameter(f"unsupported layer media type {layer.media_type!r} in "
                                   f"manifest {manifest.digest}")
    return parsed


def _all(manifest: Manifest, config: bytes) -> list[LayerJob]:
    try:
        diff_ids = list(loads_object(config, "invalid image config")["rootfs"]["diff_ids"])
    except (KeyError, TypeError) as exc:
        raise InvalidParameter(f"invalid image config: no rootfs.diff_ids ({exc})") from exc
    if len(diff_ids) != len(manifest.layers):
        raise InvalidParameter(f"the image config lists {len(diff_ids)} layers, the manifest "
                               f"{len(manifest.layers)}")
    chains = chain_ids([str(Digest.parse(str(d))) for d in diff_ids])
    return [
        LayerJob(layer.digest, layer.size, layer.media_type, str(diff_id), chain,
                 chains[i - 1] if i else None)
        for i, (layer, diff_id, chain) in enumerate(zip(manifest.layers, diff_ids, chains,
                                                        strict=True))
    ]
