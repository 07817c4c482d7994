"""Images: resolve, list, inspect, history, tag, remove, prune, import and commit.

An image is an OCI image config (its sha256 is the image id), a manifest, and layers. Blobs live
in the content store, the unpacked layers in the snapshotter (named by chain id), and the
records (images, tags, layers) in the metadata database; ``ImageStore`` keeps those three in
step, this service adds Docker's rules and shapes (the routes only encode them).
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from wharf.core.content import ContentStoreProtocol
from wharf.core.digest import is_digest
from wharf.core.errors import InvalidParameter, NotFound
from wharf.core.metadata import ImageRecord, LayerRecord
from wharf.core.oci import canonical_json
from wharf.core.reference import Reference, parse_reference
from wharf.core.snapshots import SnapshotterProtocol
from wharf.core.timefmt import rfc3339_nano
from wharf.services import image_reports
from wharf.services.image_build_steps import BuildSteps
from wharf.services.image_changes import apply_changes
from wharf.services.image_configs import commit_config, import_config
from wharf.services.image_delete import ImageDeleter
from wharf.services.image_parents import ImageParents
from wharf.services.image_prune import prune_images
from wharf.services.image_store import ImageLimits, ImageMetadata, ImageStore
from wharf.services.image_views import Image

__all__ = ["EventSink", "Image", "ImageLimits", "ImageService", "rfc3339_nano"]

EventSink = Callable[[str, str, dict[str, str]], object]
"""``(action, image id, attributes)``: an image event as dockerd reports it on ``/events``."""

_SHORT_ID_RE = re.compile(r"^(?:sha256:)?[a-f0-9]{1,64}$")


class ImageService(BuildSteps):
    """Use cases on images.

    ``image_in_use(image_id)`` lists the containers using an image (default: none does; the
    daemon passes the containers table's ``containers_using_image``);
    ``container_running(container_id)`` tells a running one from a stopped one (default: none
    runs), which ``rmi`` treats differently.
    ``on_event(action, image_id, attributes)`` receives Docker's image events (``tag``,
    ``untag``, ``delete``, ``import``, ``load``, ``save``, ``prune``); it may be called from
    worker threads. ``limits`` bounds what a layer or an archive may decompress to.
    """

    def __init__(
        self,
        content: ContentStoreProtocol,
        metadata: ImageMetadata,
        snapshots: SnapshotterProtocol,
        image_in_use: Callable[[str], list[str]] | None = None,
        scratch_dir: Path | None = None,
        *,
        on_event: EventSink | None = None,
        container_running: Callable[[str], bool] | None = None,
        limits: ImageLimits | None = None,
    ) -> None:
        self.store = ImageStore(content, metadata, snapshots, limits)
        self._db = metadata
        self._snapshots = snapshots
        self._in_use = image_in_use or (lambda _image_id: [])
        self._on_event = on_event
        self._lock = self.store.lock  # every read-modify-write of images, tags and layers
        self.scratch_dir = scratch_dir  # temporary spools (save/load); None: the system's
        self.parents = ImageParents(metadata)
        self._deleter = ImageDeleter(
            self.store,
            metadata,
            self._in_use,
            container_running or (lambda _container_id: False),
            self.emit,
            self.parents,
            self.resolve,
        )

    def emit(self, action: str, img: Image | None, name: str) -> None:
        """Report an image event; attributes are the image's labels and ``name`` (as moby's
        ``LogImageEvent``: a tag for ``tag``, the image id for the others)."""
        if self._on_event is None:
            return
        attributes: dict[str, str] = {}
        if img is not None:
            labels = (img.config.get("config") or {}).get("Labels") or {}
            attributes.update({str(k): str(v) for k, v in labels.items()})
        attributes["name"] = name
        self._on_event(action, img.id if img is not None else name, attributes)

    # ---- lookup ----------------------------------------------------------------------------

    def _find_id(self, ref: str) -> str | None:
        if is_digest(ref) or re.fullmatch(r"[a-f0-9]{64}", ref):
            image_id = ref if ref.startswith("sha256:") else f"sha256:{ref}"
            return image_id if self._db.get_image(image_id) else None
        try:
            parsed = parse_reference(ref)
        except InvalidParameter:
            if not _SHORT_ID_RE.match(ref):
                raise
            parsed = None
        if parsed is not None:
            found = (
                self._db.get_digest(str(parsed))
                if parsed.digest
                else self._db.get_tag(str(parsed.with_default_tag()))
            )
            if found:
                return found
        if _SHORT_ID_RE.match(ref):
            prefix = ref if ref.startswith("sha256:") else f"sha256:{ref}"
            matches = self._db.image_ids_with_prefix(prefix)
            if len(matches) == 1:
                return matches[0]
        return None

    def resolve(self, ref_or_id: str) -> Image:
        image_id = self._find_id(ref_or_id)
        record = self._db.get_image(image_id) if image_id else None
        if record is None:
            raise NotFound(f"No such image: {ref_or_id}")
        return self.image(record)

    def exists(self, image_id: str) -> bool:
        return self._db.get_image(image_id) is not None

    def image(self, record: ImageRecord) -> Image:
        config = self.store.load_config(record.config_digest)
        return Image(
            id=record.id,
            config=config,
            repo_tags=[parse_reference(t).familiar() for t in self._db.tags_of(record.id)],
            repo_digests=[parse_reference(d).familiar() for d in self._db.digests_of(record.id)],
            created=record.created,
            size=record.size,
            chain_ids=list(record.chain_ids),
        )

    # ---- list / inspect / history (shapes in image_reports) ----------------------------------

    def list(
        self,
        all_: bool = False,
        filters: dict[str, builtins.list[str]] | None = None,
        shared_size: bool = False,
    ) -> builtins.list[dict[str, Any]]:
        return image_reports.list_images(self, all_, filters, shared_size)

    def inspect(self, ref: str) -> dict[str, Any]:
        return image_reports.inspect(self, ref)

    def history(self, ref: str) -> builtins.list[dict[str, Any]]:
        return image_reports.history(self, ref)

    # ---- tag / remove ----------------------------------------------------------------------

    def tag(self, ref: str, repo: str, tag: str = "") -> Reference:
        """Point ``repo[:tag]`` (default tag ``latest``) at the image ``ref`` names."""
        img = self.resolve(ref)
        target = self.parse_tag_target(repo, tag)
        with self._lock:
            self._db.set_tag(str(target), img.id)
            self._db.set_last_tag_time(img.id, rfc3339_nano())
        self.emit("tag", img, target.familiar())
        return target

    @staticmethod
    def parse_tag_target(repo: str, tag: str) -> Reference:
        parsed = parse_reference(repo)
        if parsed.digest:
            raise InvalidParameter("refusing to create a tag with a digest reference")
        return parsed.with_tag(tag) if tag else parsed.with_default_tag()

    def remove(
        self, ref: str, force: bool = False, prune: bool = True
    ) -> builtins.list[dict[str, str]]:
        """``docker rmi``: untag and/or delete, in Docker's order (``[{"Untagged": ...},
        {"Deleted": ...}]``); the rules are in :mod:`wharf.services.image_delete`."""
        with self._lock:
            self.release_layers()
            img = self.resolve(ref)
            if self._is_id_ref(ref, img.id):
                return self._deleter.by_id(img, force, prune)
            return self._deleter.by_name(img, ref, force, prune)

    def release_layers(self) -> builtins.list[str]:
        """Free the layers kept for images deleted under containers that are gone now
        (call after removing a container); returns the chain ids removed."""
        return self.store.release_layers(lambda image_id: bool(self._in_use(image_id)))[0]

    def _is_id_ref(self, ref: str, image_id: str) -> bool:
        if not _SHORT_ID_RE.match(ref):
            return False
        bare = ref.removeprefix("sha256:")
        return image_id.removeprefix("sha256:").startswith(bare) and not self._named(ref)

    def _named(self, ref: str) -> bool:
        try:
            parsed = parse_reference(ref)
        except InvalidParameter:
            return False
        return self._db.get_tag(str(parsed.with_default_tag())) is not None

    def prune(self, filters: dict[str, builtins.list[str]] | None = None) -> dict[str, Any]:
        """``POST /images/prune`` (see :mod:`wharf.services.image_prune`)."""
        with self._lock:
            return prune_images(self, self._deleter, filters or {})

    def mark_used(self, image_id: str) -> None:
        """``Metadata.LastUsed``: a container was created from the image just now. Not under
        the image lock (a long prune holds it; this runs on the event loop): one row update,
        a no-op for an image deleted meanwhile."""
        self._db.set_last_used(image_id, rfc3339_nano())

    def in_use(self, image_id: str) -> builtins.list[str]:
        return self._in_use(image_id)

    def emit_prune(self, reclaimed: int) -> None:
        if self._on_event is not None:
            self._on_event("prune", "", {"reclaimed": str(reclaimed)})

    # ---- creating images -------------------------------------------------------------------

    def import_tar(
        self,
        stream: BinaryIO,
        repo: str = "",
        tag: str = "",
        changes: builtins.list[str] | None = None,
        message: str = "",
        source: str = "-",
    ) -> Image:
        """``docker import``: one layer from a (possibly compressed) root filesystem tar."""
        target = self.parse_tag_target(repo, tag) if repo else None
        container_config = apply_changes({}, changes or [])
        blob, diff_id = self.store.ingest_layer(stream)
        comment = message or f"Imported from {source}"
        config = import_config(diff_id, container_config, comment, rfc3339_nano())
        with self._lock:
            layer = self.store.unpack_layer(blob, diff_id, None)
            image = self.store_image(canonical_json(config), [layer], target)
        if target is not None:
            self.emit("tag", image, target.familiar())
        self.emit("import", image, image.id)
        return image

    def commit(
        self,
        base: Image | None,
        layer: BinaryIO,
        container_config: dict[str, Any],
        *,
        changes: builtins.list[str] | None = None,
        comment: str = "",
        author: str = "",
        created_by: str = "",
        repo: str = "",
        tag: str = "",
    ) -> Image:
        """``docker commit`` (and build steps): ``base`` plus one layer, with a new config."""
        target = self.parse_tag_target(repo, tag) if repo else None
        parents = [self.store.require_layer(c) for c in (base.chain_ids if base else [])]
        blob, diff_id = self.store.ingest_layer(layer)
        config = commit_config(
            base.config if base else None,
            [p.diff_id for p in parents] + [diff_id],
            apply_changes(container_config, changes or []),
            rfc3339_nano(),
            comment=comment,
            author=author,
            created_by=created_by,
        )
        with self._lock:
            added = self.store.unpack_layer(blob, diff_id, parents[-1] if parents else None)
            image = self.store_image(canonical_json(config), [*parents, added], target)
            if base is not None:
                self.parents.set(image.id, base.id)
        if target is not None:
            self.emit("tag", image, target.familiar())
        return image

    def store_image(
        self,
        config_bytes: bytes,
        layers: builtins.list[LayerRecord],
        target: Reference | None = None,
    ) -> Image:
        """Record an image from its exact config bytes (see :meth:`ImageStore.store_image`)."""
        return self.resolve(self.store.store_image(config_bytes, layers, target))

    def collect_garbage(self) -> builtins.list[str]:
        """Drop layers no image uses (after a crash, or held for containers removed since);
        call at daemon start, before serving."""
        return self.release_layers() + self.store.collect_garbage()
