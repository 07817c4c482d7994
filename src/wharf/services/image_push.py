"""``docker push``: send an image's exact manifest, config and layer blobs to a registry.

Per layer (a pool of ``concurrency``, Docker's max-concurrent-uploads is 5): a ``HEAD`` finds
the blob there already ("Layer already exists"), a cross-repository mount takes it from a
repository of the same registry the image was pulled from ("Mounted from <repo>"), else it is
uploaded (monolithic, or chunked above the client's threshold). Then the config, then the
manifest PUT. Pulled images keep their bytes, so push → pull → push gives the same digest;
images made here push the OCI manifest ``ImageStore.store_image`` wrote.

Progress ids of layers are the first 12 hex of their diff ids, as moby's.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from wharf.core.digest import Digest
from wharf.core.errors import InvalidParameter, NotFound
from wharf.core.oci import MEDIA_TYPE_OCI_MANIFEST, Descriptor
from wharf.core.reference import Reference, parse_reference
from wharf.services.image_store import JSON_LIMIT, ImageStore
from wharf.services.progress import ProgressSink, ThrottledProgress, layer_status, plain_message
from wharf.services.push_blobs import local_blobs
from wharf.services.registry_port import RegistryAuth, RegistryPort, RepositoryPort

__all__ = ["PushService", "push_reference"]

PushEventSink = Callable[[str, str, dict[str, str]], object]


@dataclass(frozen=True)
class _Layer:
    descriptor: Descriptor
    progress_id: str


def push_reference(name: str, tag: str) -> Reference:
    """moby's reading of ``/images/{name}/push?tag=``: without a tag, every tag of the
    repository is pushed."""
    ref = parse_reference(name)
    if tag:
        return ref.with_tag(tag)
    return ref


class PushService:
    def __init__(self, store: ImageStore, registry: RegistryPort, *,
                 on_event: PushEventSink | None = None, concurrency: int = 5) -> None:
        self._store = store
        self._registry = registry
        self._on_event = on_event
        self._concurrency = concurrency
        self._slots = threading.Semaphore(max(1, concurrency))  # uploads of every push at once

    def local_tags(self, ref: Reference) -> list[Reference]:
        """The tags to push; NotFound (Docker's text) when there is none."""
        if ref.tag is not None or ref.digest is not None:
            if self._store.db.get_tag(str(ref)) is None:
                raise NotFound(f"An image does not exist locally with the tag: "
                               f"{ref.familiar_name}")
            return [ref]
        tags = [parse_reference(name) for name, _ in self._store.db.list_tags()]
        found = [t for t in tags if t.name == ref.name and t.tag is not None]
        if not found:
            raise NotFound(f"An image does not exist locally with the tag: {ref.familiar_name}")
        return sorted(found, key=lambda t: t.tag or "")

    def push(self, ref: Reference, auth: RegistryAuth, sink: ProgressSink) -> None:
        tags = self.local_tags(ref)
        sink(plain_message(f"The push refers to repository [{ref.name}]"))  # docker.io/library/x
        repo = self._registry.repository(ref, auth, push=True)
        for tagged in tags:
            self._push_tag(repo, tagged, sink)

    def _push_tag(self, repo: RepositoryPort, ref: Reference, sink: ProgressSink) -> None:
        image_id = self._store.db.get_tag(str(ref))
        if image_id is None:
            raise NotFound(f"An image does not exist locally with the tag: {ref.familiar_name}")
        manifest_digest, manifest = self._store.manifest_of(image_id)
        data = self._store.content.read_bytes(manifest_digest, JSON_LIMIT)
        config = self._store.load_config(str(manifest.config.digest))
        rootfs = config.get("rootfs")
        diff_ids = list(rootfs.get("diff_ids") or []) if isinstance(rootfs, dict) else []
        if len(diff_ids) != len(manifest.layers):
            raise InvalidParameter(f"image {image_id}: its config and manifest disagree")
        record = self._store.db.get_image(image_id)
        chain = list(record.chain_ids) if record is not None else []
        descriptors, data = local_blobs(self._store, manifest.layers, chain, data)
        layers = [_Layer(d, Digest.parse(str(diff)).short)
                  for d, diff in zip(descriptors, diff_ids, strict=True)]
        sources = self._mount_sources(image_id, ref)
        self._push_layers(repo, layers, sources, sink)
        self._push_blob(repo, manifest.config, None, sink)
        media_type = str(json.loads(data).get("mediaType") or MEDIA_TYPE_OCI_MANIFEST)
        tag = ref.tag or str(manifest_digest)
        pushed = repo.put_manifest(tag, media_type, data)
        sink(plain_message(f"{tag}: digest: {pushed} size: {len(data)}"))
        sink({"progressDetail": {}, "aux": {"Tag": tag, "Digest": str(pushed),
                                            "Size": len(data)}})
        if self._on_event is not None:
            self._on_event("push", ref.familiar(), {"name": ref.familiar_name})

    def _mount_sources(self, image_id: str, ref: Reference) -> list[str]:
        """Repositories of the same registry this image was pulled from."""
        out = []
        for digest_ref in self._store.db.digests_of(image_id):
            source = parse_reference(digest_ref)
            if source.domain == ref.domain and source.path != ref.path:
                out.append(source.path)
        return out

    def _push_layers(self, repo: RepositoryPort, layers: list[_Layer], sources: list[str],
                     sink: ProgressSink) -> None:
        for layer in layers:
            sink(layer_status(layer.progress_id, "Preparing"))
        for layer in layers[self._concurrency:]:
            sink(layer_status(layer.progress_id, "Waiting"))
        failed = threading.Event()

        def one(layer: _Layer) -> None:
            if failed.is_set():
                return
            try:
                self._push_blob(repo, layer.descriptor, layer.progress_id, sink, sources)
            except BaseException:
                failed.set()
                raise
        with ThreadPoolExecutor(self._concurrency, thread_name_prefix="push") as pool:
            futures = [pool.submit(one, layer) for layer in layers]
            errors = [f.exception() for f in futures]
        first = next((e for e in errors if e is not None), None)
        if first is not None:
            raise first

    def _push_blob(self, repo: RepositoryPort, descriptor: Descriptor, progress_id: str | None,
                   sink: ProgressSink, sources: list[str] | None = None) -> None:
        digest = descriptor.digest
        if repo.has_blob(digest):
            if progress_id:
                sink(layer_status(progress_id, "Layer already exists"))
            return
        for source in sources or []:
            if repo.mount_blob(digest, source):
                if progress_id:
                    sink(layer_status(progress_id, f"Mounted from {source}"))
                return
        if not self._store.content.has(digest):
            raise NotFound(f"blob {digest} of the image is not in the local store, and the "
                           "registry does not have it")
        size = self._store.content.size(digest)
        progress = (ThrottledProgress(sink, progress_id, "Pushing", size).update
                    if progress_id else (lambda _sent: None))
        with self._slots, self._store.content.open(digest) as blob:
            repo.upload_blob(digest, size, blob, progress)
        if progress_id:
            sink(layer_status(progress_id, "Pushed"))
