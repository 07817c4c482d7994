"""``docker save``: images as the archive Docker 25+ writes (also an OCI image layout).

The archive holds, as moby's classic store writes it::

    blobs/sha256/<hex>   image configs, uncompressed layer tars (named by diff id), manifests
    manifest.json        Docker's list: Config, RepoTags, Layers (paths of the blobs above)
    repositories         {familiar name: {tag: top layer diff id hex}} (when a tag is saved)
    index.json           an OCI index: one manifest descriptor per saved tag
    oci-layout           {"imageLayoutVersion": "1.0.0"}

Which tags go in follows moby: ``name:tag`` saves that tag, a bare ``name`` every tag of the
repository, an id (or ``name@digest``) the image with no tag. Layers are stored compressed, so
each is decompressed into the archive and its diff id checked on the way. The archive is
spooled to a scratch file first, so an error comes before the first byte is sent. Loading lives
in :mod:`wharf.services.image_load`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any, BinaryIO

from wharf.core.digest import Digest
from wharf.core.errors import InvalidParameter, NotFound, RuntimeFailure
from wharf.core.oci import MEDIA_TYPE_OCI_CONFIG, MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_OCI_MANIFEST
from wharf.core.oci import MEDIA_TYPE_OCI_LAYER as _LAYER_TAR
from wharf.core.reference import Reference, parse_reference
from wharf.lib.archive import decompressed
from wharf.services.image_load import load_images
from wharf.services.image_store import JSON_LIMIT
from wharf.services.image_views import unix_seconds
from wharf.services.images import Image, ImageService

__all__ = ["load_images", "save_images"]

_CHUNK = 1 << 20
_BLOCK = 512
_LAYOUT = b'{"imageLayoutVersion": "1.0.0"}'
_IMAGE_NAME = "io.containerd.image.name"
_REF_NAME = "org.opencontainers.image.ref.name"


@dataclass
class _Chosen:
    image: Image
    tags: list[Reference] = field(default_factory=list)


def save_images(images: ImageService, refs: list[str]) -> Iterator[bytes]:
    """The archive of the images ``refs`` name, in chunks (spooled first: errors come early)."""
    chosen = _choose(images, refs)
    spool = tempfile.TemporaryFile(dir=images.scratch_dir)  # noqa: SIM115 - closed by _chunks
    try:
        with contextlib.ExitStack() as pinned:
            writer = _ArchiveWriter(images, _TarSpool(spool))
            with images.store.lock:  # open every blob at once: a concurrent rmi cannot pull
                writer.pin(chosen, pinned)  # a layer from under the archive (fds stay valid)
            writer.write(chosen)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    for entry in chosen:
        images.emit("save", entry.image, entry.image.id)
    return _chunks(spool)


# ---- which images, with which tags ---------------------------------------------------------


def _choose(images: ImageService, refs: list[str]) -> list[_Chosen]:
    chosen: dict[str, _Chosen] = {}

    def add(image: Image, tag: Reference | None) -> None:
        entry = chosen.setdefault(image.id, _Chosen(image))
        if tag is not None and tag not in entry.tags:
            entry.tags.append(tag)

    for ref in refs:
        for image, tag in _named(images, ref):
            add(image, tag)
    return list(chosen.values())


def _named(images: ImageService, ref: str) -> list[tuple[Image, Reference | None]]:
    if ref.startswith("sha256:"):
        return [(images.resolve(ref), None)]
    try:
        parsed = parse_reference(ref)
    except InvalidParameter:
        return [(images.resolve(ref), None)]  # a full id (or a malformed name: NotFound)
    if parsed.digest is not None:
        return [(images.resolve(ref), None)]
    if parsed.tag is not None:
        return [(images.resolve(ref), parsed)]
    db = images.store.db
    named: list[tuple[Image, Reference | None]] = [
        (images.resolve(key), found)
        for key, _ in db.list_tags()
        if (found := parse_reference(key)).name == parsed.name
    ]
    named += [  # a digest reference of the repository brings its image, untagged
        (images.resolve(record.id), None)
        for record in db.list_images()
        if any(parse_reference(d).name == parsed.name for d in db.digests_of(record.id))
    ]
    return named or [(images.resolve(ref), None)]  # no such repository: an id prefix


# ---- the archive ----------------------------------------------------------------------------


class _TarSpool:
    """A minimal tar writer over a seekable file; a member of unknown size gets its header
    written once its data is in (GNU headers: one block each, any size)."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out

    def directory(self, name: str) -> None:
        info = tarfile.TarInfo(name)
        info.type, info.mode = tarfile.DIRTYPE, 0o755
        self.out.write(_header(info))

    def file(self, name: str, data: bytes, mtime: int = 0) -> None:
        self.stream(name, io.BytesIO(data), mtime)

    def stream(self, name: str, data: BinaryIO, mtime: int = 0) -> tuple[int, str]:
        """Copy ``data`` in as ``name``; returns its size and sha256 hex."""
        start = self.out.tell()
        self.out.write(b"\0" * _BLOCK)
        hasher, size = hashlib.sha256(), 0
        while chunk := data.read(_CHUNK):
            hasher.update(chunk)
            size += len(chunk)
            self.out.write(chunk)
        self.out.write(b"\0" * (-size % _BLOCK))
        end = self.out.tell()
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = size, 0o644, mtime
        self.out.seek(start)
        self.out.write(_header(info))
        self.out.seek(end)
        return size, hasher.hexdigest()

    def close(self) -> None:
        self.out.write(b"\0" * (2 * _BLOCK))


def _header(info: tarfile.TarInfo) -> bytes:
    header = info.tobuf(tarfile.GNU_FORMAT, "utf-8", "surrogateescape")
    if len(header) != _BLOCK:  # names are short (blobs/sha256/<hex>): never a long-name block
        raise RuntimeFailure(f"unexpected tar header for {info.name}")
    return header


class _ArchiveWriter:
    def __init__(self, images: ImageService, tar: _TarSpool) -> None:
        self._images = images
        self._store = images.store
        self._tar = tar
        self._layers: dict[str, int] = {}  # diff id -> size of its tar in the archive
        self._blobs: set[str] = set()
        self._configs: dict[str, bytes] = {}  # image id -> config bytes
        self._open: dict[str, tuple[str, BinaryIO]] = {}  # chain id -> (diff id, its blob)

    def pin(self, chosen: list[_Chosen], stack: contextlib.ExitStack) -> None:
        """Read the configs and open the layer blobs of every chosen image (callers hold the
        store lock)."""
        for entry in chosen:
            image = entry.image
            if not self._store.db.get_image(image.id):
                raise NotFound(f"No such image: {image.id}")
            self._configs[image.id] = self._store.content.read_bytes(
                Digest.parse(image.id), JSON_LIMIT
            )
            for chain_id in image.chain_ids:
                record = self._store.db.get_layer(chain_id)
                if record is None or not record.blob_digest:
                    raise NotFound(f"layer {chain_id} not found")
                if chain_id not in self._open:
                    blob = stack.enter_context(
                        self._store.content.open(Digest.parse(record.blob_digest))
                    )
                    self._open[chain_id] = (record.diff_id, blob)

    def write(self, chosen: list[_Chosen]) -> None:
        self._tar.directory("blobs/")
        self._tar.directory("blobs/sha256/")
        index: list[dict[str, Any]] = []
        legacy: list[dict[str, Any]] = []
        repositories: dict[str, dict[str, str]] = {}
        for entry in chosen:
            diff_ids, descriptor = self._image(entry.image)
            platform = {"platform": _platform(entry.image)}
            for tag in entry.tags:
                repositories.setdefault(tag.familiar_name, {})[tag.tag or ""] = diff_ids[-1][7:]
                annotations = {_IMAGE_NAME: str(tag), _REF_NAME: tag.tag or ""}
                index.append({**descriptor, "annotations": annotations, **platform})
            if not entry.tags:
                index.append({**descriptor, **platform})
            item: dict[str, Any] = {
                "Config": f"blobs/sha256/{entry.image.id[7:]}",
                "RepoTags": [t.familiar() for t in entry.tags] or None,
                "Layers": [f"blobs/sha256/{d[7:]}" for d in diff_ids],
            }
            parent = self._images.parents.parent(entry.image.id)
            if parent and any(other.image.id == parent for other in chosen):
                item["Parent"] = parent  # only a parent saved alongside, as moby
            legacy.append(item)
        doc = {"schemaVersion": 2, "mediaType": MEDIA_TYPE_OCI_INDEX, "manifests": index}
        self._tar.file("index.json", _go_json(doc))
        self._tar.file("manifest.json", _go_json(legacy) + b"\n")
        self._tar.file("oci-layout", _LAYOUT)
        if repositories:
            self._tar.file("repositories", _go_json(repositories, sort=True) + b"\n")
        self._tar.close()

    def _image(self, image: Image) -> tuple[list[str], dict[str, Any]]:
        """Write an image's blobs; returns its diff ids and its manifest's descriptor."""
        config_digest = Digest.parse(image.id)
        config = self._configs[image.id]
        diff_ids = list((image.config.get("rootfs") or {}).get("diff_ids") or [])
        if not diff_ids:
            raise InvalidParameter("empty export - not implemented")
        created = _mtime(image)
        layers = [self._layer(chain_id, created) for chain_id in image.chain_ids]
        self._blob(config_digest.hex, config, created)
        manifest = {
            "schemaVersion": 2,
            "mediaType": MEDIA_TYPE_OCI_MANIFEST,
            "config": {"mediaType": MEDIA_TYPE_OCI_CONFIG, "digest": image.id, "size": len(config)},
            "layers": layers,
        }
        data = _go_json(manifest)
        digest = Digest.from_bytes(data)
        self._blob(digest.hex, data, 0)
        return [layer["digest"] for layer in layers], {
            "mediaType": MEDIA_TYPE_OCI_MANIFEST,
            "digest": str(digest),
            "size": len(data),
        }

    def _blob(self, hex_digest: str, data: bytes, mtime: int) -> None:
        if hex_digest not in self._blobs:
            self._blobs.add(hex_digest)
            self._tar.file(f"blobs/sha256/{hex_digest}", data, mtime)

    def _layer(self, chain_id: str, mtime: int) -> dict[str, Any]:
        """The layer's uncompressed tar, once per archive, checked against its diff id."""
        diff_id, stream = self._open[chain_id]
        if diff_id not in self._layers:
            plain = decompressed(stream, self._store.limits.layer_bytes)
            name = f"blobs/sha256/{Digest.parse(diff_id).hex}"
            size, got = self._tar.stream(name, plain, mtime)
            if f"sha256:{got}" != diff_id:
                raise RuntimeFailure(f"layer {diff_id} is corrupt in the store (read sha256:{got})")
            self._layers[diff_id] = size
            self._blobs.add(Digest.parse(diff_id).hex)
        return {"mediaType": _LAYER_TAR, "digest": diff_id, "size": self._layers[diff_id]}


def _go_json(value: Any, sort: bool = False) -> bytes:
    """JSON as Go's encoder writes it: compact, fields in struct order (maps sorted)."""
    return json.dumps(value, separators=(",", ":"), sort_keys=sort).encode()


def _platform(image: Image) -> dict[str, str]:
    out = {
        "architecture": str(image.config.get("architecture") or ""),
        "os": str(image.config.get("os") or "linux"),
    }
    if image.config.get("variant"):
        out["variant"] = str(image.config["variant"])
    return out


def _mtime(image: Image) -> int:
    return max(unix_seconds(image.created), 0)


def _chunks(spool: IO[bytes]) -> Iterator[bytes]:
    with spool:
        while chunk := spool.read(_CHUNK):
            yield chunk
