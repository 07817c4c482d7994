"""``docker save`` / ``docker load``: images as an OCI image layout tarball.

A saved archive holds, like Docker 25+'s::

    oci-layout                     {"imageLayoutVersion": "1.0.0"}
    index.json                     one manifest descriptor per image (with its tag annotations)
    manifest.json                  Docker's legacy list: Config, RepoTags, Layers (blob paths)
    blobs/sha256/<hex>             manifests, configs, layers

Loading accepts that layout or Docker's legacy ``manifest.json`` archives. Members are read from
the (spooled, seekable) tar by name and never extracted to disk; only regular files count, so
links in a hostile archive cannot point anywhere.
"""

from __future__ import annotations

import io
import json
import posixpath
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any, BinaryIO, cast

from wharf.core.digest import Digest
from wharf.core.errors import InvalidParameter
from wharf.core.metadata import LayerRecord
from wharf.core.oci import MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_OCI_MANIFEST, Manifest, canonical_json
from wharf.core.reference import parse_reference
from wharf.lib.archive import decompressed
from wharf.services.images import Image, ImageService

__all__ = ["load_images", "save_images"]

_CHUNK = 1 << 20
_JSON_LIMIT = 8 << 20


def save_images(images: ImageService, refs: list[str]) -> Iterator[bytes]:
    """The archive of the images ``refs`` name, in chunks (spooled first: errors come early)."""
    chosen: list[tuple[Image, list[str]]] = []
    for ref in refs:
        image = images.resolve(ref)
        tags = _tags_named(ref, image)
        chosen.append((image, tags))
    spool = tempfile.TemporaryFile(dir=images.scratch_dir)  # noqa: SIM115 - closed by _chunks
    try:
        with tarfile.open(fileobj=spool, mode="w", format=tarfile.PAX_FORMAT) as tar:
            _write_layout(images, chosen, tar)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    for image in {image.id: image for image, _ in chosen}.values():
        images.emit("save", image, image.id)
    return _chunks(spool)


def _tags_named(ref: str, image: Image) -> list[str]:
    """Docker saves only the tag asked for, or every tag when given an id."""
    if image.id.removeprefix("sha256:").startswith(ref.removeprefix("sha256:")):
        return list(image.repo_tags)
    parsed = parse_reference(ref)
    return [parsed.with_default_tag().familiar()] if not parsed.digest else []


def _write_layout(
    images: ImageService, chosen: list[tuple[Image, list[str]]], tar: tarfile.TarFile
) -> None:
    written: set[str] = set()
    index: list[dict[str, Any]] = []
    legacy: list[dict[str, Any]] = []
    for image, tags in chosen:
        manifest_digest, manifest = images.store.manifest_of(image.id)
        for digest in [
            manifest_digest,
            manifest.config.digest,
            *(d.digest for d in manifest.layers),
        ]:
            if digest.hex not in written:
                written.add(digest.hex)
                with images.store.content.open(digest) as blob:
                    _add_file(
                        tar, f"blobs/sha256/{digest.hex}", blob, images.store.content.size(digest)
                    )
        descriptor: dict[str, Any] = {
            "mediaType": MEDIA_TYPE_OCI_MANIFEST,
            "digest": str(manifest_digest),
            "size": images.store.content.size(manifest_digest),
        }
        for tag in tags or [""]:
            entry = dict(descriptor)
            if tag:
                full = parse_reference(tag).with_default_tag()
                entry["annotations"] = {
                    "io.containerd.image.name": str(full),
                    "org.opencontainers.image.ref.name": full.tag or "",
                }
            index.append(entry)
        legacy.append(
            {
                "Config": f"blobs/sha256/{manifest.config.digest.hex}",
                "RepoTags": tags or None,
                "Layers": [f"blobs/sha256/{d.digest.hex}" for d in manifest.layers],
            }
        )
    _add_bytes(tar, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
    index_doc = {"schemaVersion": 2, "mediaType": MEDIA_TYPE_OCI_INDEX, "manifests": index}
    _add_bytes(tar, "index.json", canonical_json(index_doc))
    _add_bytes(tar, "manifest.json", json.dumps(legacy, separators=(",", ":")).encode())


def _add_file(tar: tarfile.TarFile, name: str, data: BinaryIO, size: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = size, 0o444
    tar.addfile(info, data)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    _add_file(tar, name, io.BytesIO(data), len(data))


def _chunks(spool: IO[bytes]) -> Iterator[bytes]:
    with spool:
        while chunk := spool.read(_CHUNK):
            yield chunk


# ---- load ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    config: str
    layers: list[str]
    tags: list[str]


def load_images(images: ImageService, stream: BinaryIO) -> list[str]:
    """Load every image of an archive; returns Docker's messages (``Loaded image: x:y``)."""
    with tempfile.TemporaryFile(dir=images.scratch_dir) as spool:
        plain = decompressed(stream, images.store.limits.archive_bytes)
        while chunk := plain.read(_CHUNK):
            spool.write(chunk)
        spool.seek(0)
        try:
            with tarfile.open(fileobj=spool, mode="r:") as tar:
                files = {
                    posixpath.normpath(m.name.lstrip("/")): m for m in tar.getmembers() if m.isreg()
                }
                return [_load_one(images, tar, files, entry) for entry in _entries(tar, files)]
        except tarfile.TarError as exc:
            raise InvalidParameter(f"invalid image archive: {exc}") from exc


def _member(tar: tarfile.TarFile, files: dict[str, tarfile.TarInfo], name: str) -> IO[bytes]:
    member = files.get(posixpath.normpath(name.lstrip("/")))
    data = tar.extractfile(member) if member is not None else None
    if data is None:
        raise InvalidParameter(f"invalid image archive: {name} is missing")
    return data


def _json(tar: tarfile.TarFile, files: dict[str, tarfile.TarInfo], name: str) -> Any:
    raw = _member(tar, files, name).read(_JSON_LIMIT + 1)
    if len(raw) > _JSON_LIMIT:
        raise InvalidParameter(f"invalid image archive: {name} is too large")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise InvalidParameter(f"invalid image archive: {name}: {exc}") from exc


def _entries(tar: tarfile.TarFile, files: dict[str, tarfile.TarInfo]) -> list[_Entry]:
    if "manifest.json" in files:
        listed = _json(tar, files, "manifest.json")
        if not isinstance(listed, list):
            raise InvalidParameter("invalid image archive: manifest.json is not a list")
        return [
            _Entry(str(e["Config"]), [str(x) for x in e["Layers"]], list(e.get("RepoTags") or []))
            for e in listed
            if isinstance(e, dict) and "Config" in e and isinstance(e.get("Layers"), list)
        ]
    if "index.json" in files:
        return _entries_from_index(tar, files)
    raise InvalidParameter("invalid image archive: no manifest.json or index.json")


def _entries_from_index(tar: tarfile.TarFile, files: dict[str, tarfile.TarInfo]) -> list[_Entry]:
    index = _json(tar, files, "index.json")
    out = []
    for descriptor in (index or {}).get("manifests", []):
        digest = Digest.parse(str(descriptor.get("digest", "")))
        manifest = Manifest.from_json(_json(tar, files, f"blobs/sha256/{digest.hex}"))
        name = (descriptor.get("annotations") or {}).get("io.containerd.image.name")
        out.append(
            _Entry(
                f"blobs/sha256/{manifest.config.digest.hex}",
                [f"blobs/sha256/{d.digest.hex}" for d in manifest.layers],
                [name] if name else [],
            )
        )
    return out


def _load_one(
    images: ImageService, tar: tarfile.TarFile, files: dict[str, tarfile.TarInfo], entry: _Entry
) -> str:
    config_bytes = _member(tar, files, entry.config).read(_JSON_LIMIT + 1)
    if len(config_bytes) > _JSON_LIMIT:
        raise InvalidParameter("invalid image archive: image config is too large")
    targets = [images.parse_tag_target(tag, "") for tag in entry.tags]
    parent: LayerRecord | None = None
    layers: list[LayerRecord] = []
    with images.store.lock:  # reused layers must not be removed before the image refers to them
        for name in entry.layers:
            parent = images.store.add_layer(cast(BinaryIO, _member(tar, files, name)), parent)
            layers.append(parent)
        image_id = images.store.store_image(config_bytes, layers, targets[0] if targets else None)
        for target in targets[1:]:  # docker load tags without ``tag`` events
            images.store.db.set_tag(str(target), image_id)
        image = images.resolve(image_id)
    images.emit("load", image, image.id)
    if not targets:
        return f"Loaded image ID: {image.id}"
    return "\n".join(f"Loaded image: {t.familiar()}" for t in targets)
