"""``docker load``: Docker archives (``manifest.json``, any age) and OCI image layouts.

Accepted, in this order of preference:

- ``manifest.json`` (``docker save`` since 1.10, ``skopeo copy docker-archive:``): each entry
  names a config and its layer tars (``blobs/sha256/<hex>``, ``<id>/layer.tar``, ``<hex>.tar``;
  compressed or not);
- ``index.json`` (an OCI image layout, e.g. ``skopeo copy oci-archive:``): manifests (a nested
  index picks this host's platform), every blob checked against its digest and size. Tags come
  from the ``io.containerd.image.name`` annotation, else from ``org.opencontainers.image.ref.name``
  when it is a whole reference (``app:1``); a bare ``latest`` names no repository, so the image
  loads untagged.

The archive is spooled (decompressed) to a scratch file and its members read by name, never
extracted. Symbolic and hard links between members (older ``docker save`` linked repeated
``layer.tar`` files) are followed inside the archive only. Each layer's diff id is checked before
it is unpacked, layers already present are not read again, and nothing is tagged unless the
whole image is in.
"""

from __future__ import annotations

import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

from wharf.core.digest import Digest
from wharf.core.errors import InvalidParameter
from wharf.core.metadata import LayerRecord
from wharf.core.oci import chain_ids
from wharf.core.reference import Reference
from wharf.core.timefmt import rfc3339_nano
from wharf.lib.archive import decompressed
from wharf.lib.jsoncodec import loads_object
from wharf.services.image_layout import Entry, LayoutReader, entries_from_index, loading_progress
from wharf.services.image_store import ImageStore
from wharf.services.images import ImageService

__all__ = ["Progress", "load_images"]

Progress = Callable[[dict[str, Any]], None]
"""Receives Docker's ``Loading layer`` progress messages (``docker load`` without ``-q``)."""

_CHUNK = 1 << 20
_JSON_LIMIT = 8 << 20
_PROGRESS_STEP = 1 << 20


def load_images(
    images: ImageService, stream: BinaryIO, progress: Progress | None = None
) -> list[str]:
    """Load every image of an archive; returns Docker's lines (``Loaded image: x:y``)."""
    with tempfile.TemporaryFile(dir=images.scratch_dir) as spool:
        plain = decompressed(stream, images.store.limits.archive_bytes)
        while chunk := plain.read(_CHUNK):
            spool.write(chunk)
        spool.seek(0)
        try:
            with tarfile.open(fileobj=spool, mode="r:") as tar:
                reader = LayoutReader(tar)
                return _Loader(images, reader, progress).load(_entries(reader))
        except tarfile.TarError as exc:
            raise InvalidParameter(f"invalid image archive: {exc}") from exc


def _entries(reader: LayoutReader) -> list[Entry]:
    if reader.has("manifest.json"):
        listed = reader.json("manifest.json")
        if not isinstance(listed, list):
            raise InvalidParameter("invalid manifest, manifest cannot be null (but can be [])")
        return [_docker_entry(item) for item in listed]
    if reader.has("index.json"):
        return entries_from_index(reader)
    if reader.has("repositories"):
        raise InvalidParameter(
            "invalid image archive: images saved by Docker before 1.10 (no manifest.json) "
            "are not supported"
        )
    raise InvalidParameter("invalid image archive: no manifest.json or index.json")


def _docker_entry(item: Any) -> Entry:
    if not isinstance(item, dict) or not isinstance(item.get("Config"), str):
        raise InvalidParameter("invalid image archive: a manifest.json entry has no Config")
    layers, tags = item.get("Layers") or [], item.get("RepoTags") or []
    if not isinstance(layers, list) or not all(isinstance(x, str) for x in layers):
        raise InvalidParameter("invalid image archive: manifest.json Layers must be paths")
    if not isinstance(tags, list) or not all(isinstance(x, str) for x in tags):
        raise InvalidParameter("invalid image archive: manifest.json RepoTags must be strings")
    parent = item.get("Parent") if isinstance(item.get("Parent"), str) else ""
    return Entry(item["Config"], [(path, None) for path in layers], tags, None, parent or "")


@dataclass
class _Loader:
    images: ImageService
    reader: LayoutReader
    progress: Progress | None

    def load(self, entries: list[Entry]) -> list[str]:
        lines: list[str] = []
        loaded_ids: list[str] = []
        for entry in entries:
            image_id, messages = self._one(entry)
            loaded_ids.append(image_id)
            lines += messages
        for entry, image_id in zip(entries, loaded_ids, strict=True):
            if entry.parent in loaded_ids and entry.parent != image_id:
                self._set_parent(image_id, entry.parent)
        if not any(line.startswith("Loaded image: ") for line in lines):
            lines += [f"Loaded image ID: {image_id}" for image_id in dict.fromkeys(loaded_ids)]
        return lines

    def _set_parent(self, image_id: str, parent_id: str) -> None:
        """moby's ``checkValidParent``: the child's history is the parent's plus one entry."""
        child = self.images.resolve(image_id).config.get("history") or []
        parent = self.images.resolve(parent_id).config.get("history") or []
        if not isinstance(child, list) or not isinstance(parent, list):
            return
        if (child or parent) and (len(child) != len(parent) + 1 or child[: len(parent)] != parent):
            raise InvalidParameter(f"image {parent_id} is not a valid parent for {image_id}")
        self.images.parents.set(image_id, parent_id)

    def _one(self, entry: Entry) -> tuple[str, list[str]]:
        targets = [_tag_target(self.images, tag) for tag in entry.tags]
        config_bytes = self.reader.blob(entry.config, entry.config_descriptor, _JSON_LIMIT)
        diff_ids = _diff_ids(config_bytes)
        if len(diff_ids) != len(entry.layers):
            raise InvalidParameter(
                f"invalid manifest, layers length mismatch: expected {len(entry.layers)}, "
                f"got {len(diff_ids)}"
            )
        store = self.images.store
        blobs = self._ingest(entry, diff_ids)  # the slow part: no lock
        try:
            with store.lock:  # reused layers must not be removed before the image refers to them
                created: list[LayerRecord] = []
                try:
                    layers = self._unpack(entry, diff_ids, blobs, created)
                    image_id = store.store_image(config_bytes, layers)
                except BaseException:
                    _drop_layers(store, created)  # a failed image leaves no layer behind
                    raise
                messages = [self._tag(image_id, target) for target in targets]
                image = self.images.resolve(image_id)
        finally:
            with store.lock:
                for blob in blobs.values():
                    _discard(store, blob)  # those no layer came to use
        self.images.emit("load", image, image.id)
        return image_id, [line for pair in messages for line in pair]

    def _present(self, chain: str) -> LayerRecord | None:
        store = self.images.store
        known = store.db.get_layer(chain)
        return known if known is not None and store.snapshots.has_layer(chain) else None

    def _ingest(self, entry: Entry, diff_ids: list[str]) -> dict[int, Digest]:
        """Blobs of the layers not present, each checked against its diff id."""
        chains = chain_ids(diff_ids)
        blobs: dict[int, Digest] = {}
        try:
            for index, diff_id in enumerate(diff_ids):
                if self._present(chains[index]) is None:
                    blobs[index] = self._ingest_one(entry, index, diff_id)
        except BaseException:
            with self.images.store.lock:
                for blob in blobs.values():
                    _discard(self.images.store, blob)
            raise
        return blobs

    def _ingest_one(self, entry: Entry, index: int, diff_id: str) -> Digest:
        store = self.images.store
        path, descriptor = entry.layers[index]
        member = self.reader.layer(path, descriptor, self._reporter(diff_id))
        blob, got = store.ingest_layer(cast(BinaryIO, member))
        try:
            self.reader.verify(path, descriptor, member)
            if got != diff_id:
                raise InvalidParameter(
                    f'invalid diffID for layer {index}: expected "{diff_id}", got "{got}"'
                )
        except InvalidParameter:
            with store.lock:
                _discard(store, blob)
            raise
        return blob

    def _unpack(
        self,
        entry: Entry,
        diff_ids: list[str],
        blobs: dict[int, Digest],
        created: list[LayerRecord],
    ) -> list[LayerRecord]:
        """The image's layers, under the store lock: present ones reused, the rest unpacked
        (one that went away since it was found present is read from the archive again)."""
        store = self.images.store
        layers: list[LayerRecord] = []
        for index, chain in enumerate(chain_ids(diff_ids)):
            known = self._present(chain)
            if known is not None:
                layers.append(known)
                continue
            if index not in blobs:
                blobs[index] = self._ingest_one(entry, index, diff_ids[index])
            had_record = store.db.get_layer(chain) is not None
            parent = layers[-1] if layers else None
            layers.append(store.unpack_layer(blobs[index], diff_ids[index], parent))
            if not had_record:
                created.append(layers[-1])
        return layers

    def _reporter(self, diff_id: str) -> Callable[[int, int], None] | None:
        if self.progress is None:
            return None
        report = self.progress
        short = diff_id.removeprefix("sha256:")[:12]
        last = [-_PROGRESS_STEP]

        def on_read(current: int, total: int) -> None:
            if current - last[0] >= _PROGRESS_STEP or current == total:
                last[0] = current
                report(loading_progress(short, current, total))

        return on_read

    def _tag(self, image_id: str, target: Reference) -> list[str]:
        db = self.images.store.db
        previous = db.get_tag(str(target))
        out = []
        if previous is not None and previous != image_id:
            out.append(
                f"The image {target.familiar()} already exists, renaming the old one with ID "
                f"{previous} to empty string"
            )
        db.set_tag(str(target), image_id)
        db.set_last_tag_time(image_id, rfc3339_nano())
        return [*out, f"Loaded image: {target.familiar()}"]


def _drop_layers(store: ImageStore, created: list[LayerRecord]) -> None:
    """Remove layers this load unpacked (top first), unless an image came to use them."""
    used = {chain for record in store.db.list_images() for chain in record.chain_ids}
    for layer in reversed(created):
        if layer.chain_id in used:
            continue
        store.snapshots.remove_layer(layer.chain_id)
        store.db.delete_layer(layer.chain_id)
        _discard(store, Digest.parse(layer.blob_digest))


def _discard(store: ImageStore, blob: Digest) -> None:
    """Drop a blob ingested for nothing, unless a layer on record is stored in it."""
    for chain in store.db.list_layers():
        layer = store.db.get_layer(chain)
        if layer is not None and layer.blob_digest == str(blob):
            return
    store.content.delete(blob)


def _tag_target(images: ImageService, tag: str) -> Reference:
    target = images.parse_tag_target(tag, "")
    if target.digest is not None or target.tag is None:
        raise InvalidParameter(f'invalid tag "{tag}"')
    return target


def _diff_ids(config_bytes: bytes) -> list[str]:
    config = loads_object(config_bytes, "invalid image config")
    if str(config.get("os") or "linux") != "linux":
        raise InvalidParameter(f"cannot load {config.get('os')} image on linux")
    diff_ids = (config.get("rootfs") or {}).get("diff_ids") or []
    if not isinstance(diff_ids, list) or not all(isinstance(d, str) for d in diff_ids):
        raise InvalidParameter("invalid image config: rootfs.diff_ids must be digests")
    return diff_ids
