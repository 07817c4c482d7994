"""Reading an image archive's members: links resolved inside the archive, blobs verified, and
the images an OCI layout's ``index.json`` names (for :mod:`wharf.services.image_load`)."""

from __future__ import annotations

import hashlib
import io
import json
import posixpath
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from wharf.core.digest import Digest
from wharf.core.errors import InvalidParameter
from wharf.core.oci import (
    IMAGE_MANIFEST_TYPES,
    INDEX_TYPES,
    MEDIA_TYPE_DOCKER_CONFIG,
    MEDIA_TYPE_OCI_CONFIG,
)
from wharf.core.reference import parse_reference
from wharf.core.units import human_size
from wharf.services.image_configs import host_platform

__all__ = ["Entry", "LayoutReader", "entries_from_index", "loading_progress"]

_JSON_LIMIT = 8 << 20
_LINK_HOPS = 16
_INDEX_DEPTH = 4
_IMAGE_NAME = "io.containerd.image.name"
_REF_NAME = "org.opencontainers.image.ref.name"


@dataclass(frozen=True)
class Blob:
    """What a descriptor promises about a member: its digest and size."""

    digest: Digest
    size: int


@dataclass(frozen=True)
class Entry:
    """One image of an archive: its config member, its layer members in order, its tags."""

    config: str
    layers: list[tuple[str, Blob | None]]
    tags: list[str]
    config_descriptor: Blob | None = None
    parent: str = ""  # manifest.json's Parent (an image id), when the archive records one


class _Counting(io.RawIOBase):
    """A member read through a sha256 and a byte count (and an optional progress callback)."""

    def __init__(
        self, inner: IO[bytes], total: int, on_read: Callable[[int, int], None] | None
    ) -> None:
        self.inner, self.total, self.on_read = inner, total, on_read
        self.hasher = hashlib.sha256()
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.inner.read(len(view))
        view[: len(data)] = data
        self.hasher.update(data)
        self.count += len(data)
        if self.on_read is not None and data:
            self.on_read(self.count, self.total)
        return len(data)


class LayoutReader:
    """Members of an (uncompressed, seekable) archive by name; only regular files are data."""

    def __init__(self, tar: tarfile.TarFile) -> None:
        self._tar = tar
        self._files: dict[str, tarfile.TarInfo] = {}
        self._links: dict[str, str] = {}
        for member in tar.getmembers():
            name = _clean(member.name)
            if member.isreg():
                self._files[name] = member
            elif member.issym():
                self._links[name] = posixpath.join(posixpath.dirname(name), member.linkname)
            elif member.islnk():
                self._links[name] = member.linkname

    def has(self, name: str) -> bool:
        return self._resolve(name) is not None

    def _resolve(self, name: str) -> tarfile.TarInfo | None:
        current = _clean(name)
        for _ in range(_LINK_HOPS):
            if current in self._files:
                return self._files[current]
            target = self._links.get(current)
            if target is None or target.startswith("/"):
                return None
            current = _clean(target)
            if current.startswith("../") or current == "..":
                return None
        return None

    def open(self, name: str) -> IO[bytes]:
        member = self._resolve(name)
        data = self._tar.extractfile(member) if member is not None else None
        if data is None or member is None:
            raise InvalidParameter(f"invalid image archive: {name} is missing")
        return data

    def size(self, name: str) -> int:
        member = self._resolve(name)
        return member.size if member is not None else 0

    def blob(self, name: str, expected: Blob | None, limit: int = _JSON_LIMIT) -> bytes:
        data = self.open(name).read(limit + 1)
        if len(data) > limit:
            raise InvalidParameter(f"invalid image archive: {name} is too large")
        if expected is not None:
            got = Digest.from_bytes(data)
            if got != expected.digest or len(data) != expected.size:
                raise InvalidParameter(
                    f"invalid image archive: {name} does not match its descriptor "
                    f"({expected.digest}, {expected.size} bytes): got {got}, {len(data)} bytes"
                )
        return data

    def json(self, name: str, expected: Blob | None = None) -> Any:
        try:
            return json.loads(self.blob(name, expected))
        except ValueError as exc:
            raise InvalidParameter(f"invalid image archive: {name}: {exc}") from exc

    def layer(
        self, name: str, expected: Blob | None, on_read: Callable[[int, int], None] | None
    ) -> _Counting:
        """A layer member to read once; :meth:`verify` checks it against ``expected`` after."""
        total = expected.size if expected is not None else self.size(name)
        return _Counting(self.open(name), total, on_read)

    @staticmethod
    def verify(name: str, expected: Blob | None, member: _Counting) -> None:
        while member.read(1 << 20):  # a compressor may stop before the member's end
            pass
        if expected is None:
            return
        got = f"sha256:{member.hasher.hexdigest()}"
        if got != str(expected.digest) or member.count != expected.size:
            raise InvalidParameter(
                f"invalid image archive: layer {name} does not match its descriptor "
                f"({expected.digest}, {expected.size} bytes): got {got}, {member.count} bytes"
            )


def _clean(name: str) -> str:
    return posixpath.normpath(name.lstrip("/"))


# ---- OCI layouts -----------------------------------------------------------------------------


def entries_from_index(reader: LayoutReader) -> list[Entry]:
    """The images of an OCI layout, with the tags its annotations give."""
    index = reader.json("index.json")
    if not isinstance(index, dict) or not isinstance(index.get("manifests"), list):
        raise InvalidParameter("invalid image archive: index.json has no manifests")
    out: list[Entry] = []
    for descriptor in index["manifests"]:
        tag = _tag_of(descriptor)
        entry = _entry(reader, descriptor, 0)
        for known in out:
            if known.config == entry.config and tag:
                known.tags.append(tag)
                break
        else:
            out.append(Entry(entry.config, entry.layers, [tag] if tag else [],
                             entry.config_descriptor))
    return out


def _blob_of(descriptor: Any) -> tuple[str, Blob, str]:
    if not isinstance(descriptor, dict):
        raise InvalidParameter("invalid image archive: a descriptor is not an object")
    size = descriptor.get("size")
    if not isinstance(size, int) or size < 0:
        raise InvalidParameter("invalid image archive: a descriptor has no valid size")
    digest = Digest.parse(str(descriptor.get("digest", "")))
    return f"blobs/sha256/{digest.hex}", Blob(digest, size), str(descriptor.get("mediaType", ""))


def _entry(reader: LayoutReader, descriptor: Any, depth: int) -> Entry:
    path, blob, media_type = _blob_of(descriptor)
    document = reader.json(path, blob)
    if not isinstance(document, dict):
        raise InvalidParameter(f"invalid image archive: {path} is not a JSON object")
    media_type = media_type or str(document.get("mediaType", ""))
    if media_type in INDEX_TYPES or (not media_type and "manifests" in document):
        if depth >= _INDEX_DEPTH:
            raise InvalidParameter("invalid image archive: indexes nested too deep")
        return _entry(reader, _for_this_host(document), depth + 1)
    if media_type not in IMAGE_MANIFEST_TYPES and media_type:
        raise InvalidParameter(f"invalid image archive: unsupported media type {media_type}")
    config_path, config_blob, config_type = _blob_of(document.get("config"))
    if config_type not in (MEDIA_TYPE_OCI_CONFIG, MEDIA_TYPE_DOCKER_CONFIG):
        raise InvalidParameter(f"invalid image archive: unsupported config type {config_type}")
    layers = document.get("layers")
    if not isinstance(layers, list):
        raise InvalidParameter(f"invalid image archive: {path} has no layers")
    return Entry(
        config_path, [_blob_of(layer)[:2] for layer in layers], [], config_blob
    )


def _for_this_host(index: dict[str, Any]) -> Any:
    host = host_platform()
    candidates = [d for d in index.get("manifests") or [] if isinstance(d, dict)]
    for descriptor in candidates:
        platform = descriptor.get("platform") or {}
        if platform.get("os") == host["os"] and platform.get("architecture") == host[
            "architecture"
        ] and platform.get("variant", host.get("variant")) == host.get("variant"):
            return descriptor
    if len(candidates) == 1 and not candidates[0].get("platform"):
        return candidates[0]
    wanted = "/".join(v for v in (host["os"], host["architecture"], host.get("variant")) if v)
    raise InvalidParameter(f"invalid image archive: no image for {wanted} in the archive")


def _tag_of(descriptor: Any) -> str:
    annotations = (descriptor.get("annotations") if isinstance(descriptor, dict) else None) or {}
    name = annotations.get(_IMAGE_NAME) or ""
    if not name:
        ref_name = str(annotations.get(_REF_NAME) or "")
        name = ref_name if (":" in ref_name or "/" in ref_name) else ""
    if not name:
        return ""
    try:
        parsed = parse_reference(name)
    except InvalidParameter:
        return ""
    return parsed.familiar() if parsed.tag and not parsed.digest else ""


# ---- progress ------------------------------------------------------------------------------


def loading_progress(short_id: str, current: int, total: int) -> dict[str, Any]:
    """Docker's ``Loading layer`` progress message (``docker load`` without ``-q``), its bar
    drawn as dockerd draws one for a client that is not a terminal."""
    filled = min(current * 100 // total // 2, 50) if total > 0 else 50
    bar = f"[{'=' * filled}>{' ' * (50 - filled)}] {_human(current):>8}/{_human(total)}"
    return {
        "status": "Loading layer",
        "progressDetail": {"current": current, "total": total},
        "progress": bar,
        "id": short_id,
    }


def _human(size: int) -> str:
    """go-units HumanSize: decimal units, 4 significant digits."""
    return human_size(float(size), 4)

