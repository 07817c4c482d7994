"""The write side of images: layers in, images recorded, images and layers deleted.

``ImageStore`` ties the three stores together (content blobs, snapshots, metadata) so that every
image on record has its config and manifest blobs and every layer it names is unpacked. It holds
no policy (who may delete what, Docker's messages): that is ``ImageService``'s job.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, Protocol, cast

from wharf.core.content import ContentStoreProtocol
from wharf.core.digest import Digest
from wharf.core.errors import InvalidParameter, NotFound
from wharf.core.metadata import (
    ImageRecord,
    ImageRecords,
    KeyValues,
    LayerRecord,
    LayerRecords,
    ReferenceStore,
)
from wharf.core.oci import (
    MEDIA_TYPE_OCI_CONFIG,
    MEDIA_TYPE_OCI_LAYER_GZIP,
    Descriptor,
    Manifest,
    canonical_json,
    chain_ids,
)
from wharf.core.reference import Reference
from wharf.core.snapshots import SnapshotterProtocol
from wharf.core.timefmt import rfc3339_nano
from wharf.lib.archive import compressor, decompressed

__all__ = ["JSON_LIMIT", "PULLED_INDEX", "ImageLimits", "ImageMetadata", "ImageStore"]

JSON_LIMIT = 8 << 20  # configs and manifests larger than this are refused
CACHED_CONFIGS = 256  # image configs kept in memory (by digest), at most
CACHED_CONFIG_MAX = 256 << 10  # and only those up to this size
_CHUNK = 1 << 20
_HELD_LAYERS = "held-layers"  # kv namespace: image id -> chain ids kept for its containers
PULLED_INDEX = "pulled-index"  # kv namespace: image id -> the index it was pulled through


class ImageMetadata(ImageRecords, ReferenceStore, LayerRecords, KeyValues, Protocol):
    """What images need of the metadata database: image records, their references, layer
    records, and the ``held-layers`` facts (layers kept for containers of deleted images)."""


@dataclass(frozen=True)
class ImageLimits:
    """Bounds on what a client can make the daemon unpack (decompression bombs).

    ``layer_bytes``: uncompressed bytes of one layer tar; ``archive_bytes``: uncompressed bytes
    of one ``docker load`` archive (spooled to disk before it is read).
    """

    layer_bytes: int = 64 << 30
    archive_bytes: int = 256 << 30


class ImageStore:
    """Layers and images over the content store, the snapshotter and the metadata DB.

    ``lock`` (re-entrant) guards every read-modify-write; a caller that reuses layers for a
    new image holds it from :meth:`add_layer` to :meth:`store_image`, so a concurrent delete
    cannot remove a reused layer in between.
    """

    def __init__(
        self,
        content: ContentStoreProtocol,
        metadata: ImageMetadata,
        snapshots: SnapshotterProtocol,
        limits: ImageLimits | None = None,
    ) -> None:
        self.content = content
        self.db = metadata
        self.snapshots = snapshots
        self.limits = limits or ImageLimits()
        self.lock = threading.RLock()
        self._config_bytes: OrderedDict[str, bytes] = OrderedDict()  # digest -> bytes (immutable)
        self._config_lock = threading.Lock()

    # ---- layers ----------------------------------------------------------------------------

    def add_layer(self, stream: BinaryIO, parent: LayerRecord | None) -> LayerRecord:
        """Store a layer tar (any compression) as a gzip blob and unpack it over ``parent``."""
        blob, diff_id = self.ingest_layer(stream)
        with self.lock:
            return self.unpack_layer(blob, diff_id, parent)

    def ingest_layer(self, stream: BinaryIO) -> tuple[Digest, str]:
        """Gzip the uncompressed tar into the content store; returns (blob, diff id).

        This is the slow, streaming part and needs no lock. A tar larger than
        ``limits.layer_bytes`` once decompressed is refused (InvalidParameter) and leaves
        nothing behind.
        """
        plain = decompressed(stream, self.limits.layer_bytes)
        hasher = hashlib.sha256()
        total = 0
        writer = self.content.writer()
        try:
            gz = compressor(cast(BinaryIO, writer))
            while chunk := plain.read(_CHUNK):
                hasher.update(chunk)
                total += len(chunk)
                gz.write(chunk)
            gz.close()
            if total == 0:
                raise InvalidParameter("the image tar is empty")
            blob = writer.commit()
        except BaseException:
            writer.abort()
            raise
        return blob, f"sha256:{hasher.hexdigest()}"

    def unpack_layer(self, blob: Digest, diff_id: str, parent: LayerRecord | None) -> LayerRecord:
        """The layer ``diff_id`` over ``parent``, unpacked from ``blob`` unless already there."""
        chain_id = chain_ids([parent.chain_id, diff_id])[1] if parent else diff_id
        known = self.db.get_layer(chain_id)
        if known is not None and self.snapshots.has_layer(chain_id):
            return known
        with self.content.open(blob) as layer_stream:
            size = self.snapshots.add_layer(
                chain_id, parent.chain_id if parent else None, layer_stream
            )
        layer = LayerRecord(
            chain_id,
            diff_id,
            parent.chain_id if parent else "",
            size,
            str(blob),
            MEDIA_TYPE_OCI_LAYER_GZIP,
            rfc3339_nano(),
        )
        self.db.put_layer(layer)
        return layer

    def require_layer(self, chain_id: str) -> LayerRecord:
        layer = self.db.get_layer(chain_id)
        if layer is None:
            raise NotFound(f"layer {chain_id} not found")
        return layer

    def layer_size(self, chain_id: str) -> int:
        layer = self.db.get_layer(chain_id)
        return layer.size if layer else 0

    # ---- images ----------------------------------------------------------------------------

    def store_image(
        self, config_bytes: bytes, layers: list[LayerRecord], target: Reference | None = None
    ) -> str:
        """Write the config (its digest is the image id) and an OCI manifest, record the image,
        tag it when ``target`` is set; returns the image id. The layers must match the
        config's diff ids."""
        try:
            config = json.loads(config_bytes)
        except ValueError as exc:
            raise InvalidParameter(f"invalid image config: {exc}") from exc
        diff_ids = list(((config.get("rootfs") or {}).get("diff_ids")) or [])
        if diff_ids != [layer.diff_id for layer in layers]:
            raise InvalidParameter("image config diff ids do not match the layers")
        config_digest = self.content.put_bytes(config_bytes)
        manifest = Manifest(
            Descriptor(MEDIA_TYPE_OCI_CONFIG, config_digest, len(config_bytes)),
            [self._layer_descriptor(layer) for layer in layers],
        )
        manifest_digest = self.content.put_bytes(canonical_json(manifest.to_json()))
        image_id = str(config_digest)
        record = ImageRecord(
            image_id,
            str(config_digest),
            str(manifest_digest),
            str(config.get("created") or rfc3339_nano()),
            sum(layer.size for layer in layers),
            [layer.chain_id for layer in layers],
        )
        with self.lock:
            self.db.put_image(record)
            if target is not None:
                self.db.set_tag(str(target), image_id)
                self.db.set_last_tag_time(image_id, rfc3339_nano())
        return image_id

    def _layer_descriptor(self, layer: LayerRecord) -> Descriptor:
        blob = Digest.parse(layer.blob_digest)
        return Descriptor(layer.media_type, blob, self.content.size(blob))

    def load_config(self, digest: str) -> dict[str, object]:
        data = json.loads(self._config_blob(digest))
        if not isinstance(data, dict):
            raise InvalidParameter(f"image config {digest} is not a JSON object")
        return data

    def _config_blob(self, digest: str) -> bytes:
        """A config's bytes, the most used ones kept in memory (a build resolves its parent
        image at every step); each caller still gets a config dict of its own."""
        with self._config_lock:
            cached = self._config_bytes.get(digest)
            if cached is not None:
                self._config_bytes.move_to_end(digest)
                return cached
        data = self.content.read_bytes(Digest.parse(digest), JSON_LIMIT)
        if len(data) <= CACHED_CONFIG_MAX:
            with self._config_lock:
                self._config_bytes[digest] = data
                while len(self._config_bytes) > CACHED_CONFIGS:
                    self._config_bytes.popitem(last=False)
        return data

    def manifest_of(self, image_id: str) -> tuple[Digest, Manifest]:
        """The OCI manifest wharf wrote for an image, with its digest."""
        record = self.db.get_image(image_id)
        if record is None or not record.manifest_digest:
            raise NotFound(f"No such image: {image_id}")
        digest = Digest.parse(record.manifest_digest)
        data = json.loads(self.content.read_bytes(digest, JSON_LIMIT))
        return digest, Manifest.from_json(data)

    def delete_image(
        self, image_id: str, chain: list[str], *, hold_layers: bool = False
    ) -> tuple[list[dict[str, str]], int]:
        """Delete the image and the layers nothing else uses; returns Docker's ``Deleted``
        records and the bytes freed. With ``hold_layers`` (containers still use the image)
        its layers stay until :meth:`release_layers` finds those containers gone, as Docker's
        layer store keeps the layers under a container's writable layer. Callers hold
        :attr:`lock`."""
        record = self.db.get_image(image_id)
        if hold_layers:  # first: a crash in between leaves a hold the image itself outlives
            self.db.kv_put(_HELD_LAYERS, image_id, json.dumps(chain))
        self.db.delete_image(image_id)
        out = [{"Deleted": image_id}]
        records, freed = self._delete_unused_layers(chain)
        if record is not None:
            self.content.delete(Digest.parse(record.config_digest))
            if record.manifest_digest:
                self.content.delete(Digest.parse(record.manifest_digest))
        self._forget_index(image_id)
        return out + records, freed

    def _forget_index(self, image_id: str) -> None:
        """Drop the index blob an image was pulled through, unless another image still came
        from it (two platforms of one index)."""
        index = self.db.kv_get(PULLED_INDEX, image_id)
        if index is None:
            return
        self.db.kv_delete(PULLED_INDEX, image_id)
        if all(value != index for _, value in self.db.kv_list(PULLED_INDEX)):
            self.content.delete(Digest.parse(index))

    def release_layers(self, still_used: Callable[[str], bool]) -> tuple[list[str], int]:
        """Drop the layers held for deleted images whose containers are all gone
        (``still_used(image_id)`` is false); returns the chain ids removed and bytes freed."""
        with self.lock:
            released: list[str] = []
            for image_id, chain_json in self.db.kv_list(_HELD_LAYERS):
                if still_used(image_id) and self.db.get_image(image_id) is None:
                    continue
                self.db.kv_delete(_HELD_LAYERS, image_id)
                released += [c for c in json.loads(chain_json) if c not in released]
            records, freed = self._delete_unused_layers(released)
            return [r["Deleted"] for r in records], freed

    def _used_chain_ids(self) -> set[str]:
        used = {c for record in self.db.list_images() for c in record.chain_ids}
        for _, chain_json in self.db.kv_list(_HELD_LAYERS):
            used.update(json.loads(chain_json))
        return used

    def _delete_unused_layers(self, chain: list[str]) -> tuple[list[dict[str, str]], int]:
        """Top first, as Docker lists them."""
        still_used = self._used_chain_ids()
        out, freed = [], 0
        for chain_id in reversed(chain):
            if chain_id not in still_used and self.db.get_layer(chain_id) is not None:
                freed += self._delete_layer(chain_id)
                out.append({"Deleted": chain_id})
        return out, freed

    def _delete_layer(self, chain_id: str) -> int:
        layer = self.db.get_layer(chain_id)
        self.snapshots.remove_layer(chain_id)
        self.db.delete_layer(chain_id)
        if layer is None:
            return 0
        if layer.blob_digest:
            self.content.delete(Digest.parse(layer.blob_digest))
        return layer.size

    def collect_garbage(self) -> list[str]:
        """Drop layers no image references (left by a crash mid-import or mid-remove).

        Call at daemon start, before serving requests; returns the chain ids removed.
        """
        with self.lock:
            removed = sorted(set(self.db.list_layers()) - self._used_chain_ids())
            for chain_id in removed:
                self._delete_layer(chain_id)
            recorded = set(self.db.list_layers())
            for chain_id in self.snapshots.layers():
                if chain_id not in recorded:
                    self.snapshots.remove_layer(chain_id)
                    removed.append(chain_id)
            return removed
