"""Per-repository links: which blobs and manifests a repository sees, its tags and its stars.

The catalog (every repository's name) and the stars are read from disk once, then kept in
memory and updated by this store's own writes (the registry is the only writer of its root),
so ``_catalog`` and search do not walk the whole tree on every request: a cheap request must
not cost a scan of every repository."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from wharf.core.digest import Digest
from wharf.lib.atomicfile import write_atomic

__all__ = ["RepositoryStore"]

_LAYERS = "_layers"
_MANIFESTS = "_manifests"
_META = "_meta.json"


class RepositoryStore:
    """Links under ``<root>/repositories/<name>/``; names are validated by the caller."""

    def __init__(self, root: Path) -> None:
        self._dir = root / "repositories"
        self._dir.mkdir(parents=True, exist_ok=True)
        self._names: set[str] | None = None  # read on first use
        self._stars: dict[str, int] = {}

    def exists(self, name: str) -> bool:
        repo = self._repo(name)
        return (repo / _LAYERS).is_dir() or (repo / _MANIFESTS).is_dir()

    def names(self) -> list[str]:
        """Every repository, sorted (the catalog)."""
        if self._names is None:
            self._names = set(self._walk(self._dir, ""))
        return sorted(self._names)

    def _created(self, name: str) -> None:
        if self._names is not None:
            self._names.add(name)

    # blobs
    def link_blob(self, name: str, digest: Digest) -> None:
        _touch(self._blob_link(name, digest))
        self._created(name)

    def has_blob(self, name: str, digest: Digest) -> bool:
        """True when ``digest`` was pushed or mounted to ``name``, or is one of its manifests."""
        return self._blob_link(name, digest).exists() or self._revision(name, digest).exists()

    def unlink_blob(self, name: str, digest: Digest) -> bool:
        return _unlink(self._blob_link(name, digest))

    # manifests
    def put_manifest(self, name: str, digest: Digest, media_type: str) -> None:
        path = self._revision(name, digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, media_type.encode())
        self._created(name)

    def manifest_media_type(self, name: str, digest: Digest) -> str | None:
        try:
            return self._revision(name, digest).read_text()
        except FileNotFoundError:
            return None

    def delete_manifest(self, name: str, digest: Digest) -> bool:
        """Remove the revision and every tag pointing at it; False when it was not there."""
        if not _unlink(self._revision(name, digest)):
            return False
        for tag in self.tags(name):
            if self.resolve_tag(name, tag) == digest:
                self.delete_tag(name, tag)
        return True

    # tags
    def set_tag(self, name: str, tag: str, digest: Digest) -> None:
        path = self._tags(name) / tag
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, str(digest).encode())

    def resolve_tag(self, name: str, tag: str) -> Digest | None:
        try:
            return Digest.parse((self._tags(name) / tag).read_text())
        except FileNotFoundError:
            return None

    def delete_tag(self, name: str, tag: str) -> bool:
        return _unlink(self._tags(name) / tag)

    def tags(self, name: str) -> list[str]:
        try:
            entries = os.listdir(self._tags(name))
        except FileNotFoundError:
            return []
        return sorted(entry for entry in entries if not entry.startswith("."))

    # metadata
    def stars(self, name: str) -> int:
        if name not in self._stars:
            self._stars[name] = self._read_stars(name)
        return self._stars[name]

    def _read_stars(self, name: str) -> int:
        try:
            meta = json.loads((self._repo(name) / _META).read_bytes())
        except (FileNotFoundError, ValueError, RecursionError):
            return 0
        stars = meta.get("stars", 0) if isinstance(meta, dict) else 0
        return stars if isinstance(stars, int) else 0

    def set_stars(self, name: str, stars: int) -> None:
        write_atomic(self._repo(name) / _META, json.dumps({"stars": stars}).encode())
        self._stars[name] = stars

    # paths
    def _repo(self, name: str) -> Path:
        return self._dir / name

    def _blob_link(self, name: str, digest: Digest) -> Path:
        return self._repo(name) / _LAYERS / "sha256" / digest.hex

    def _revision(self, name: str, digest: Digest) -> Path:
        return self._repo(name) / _MANIFESTS / "revisions" / "sha256" / digest.hex

    def _tags(self, name: str) -> Path:
        return self._repo(name) / _MANIFESTS / "tags"

    def _walk(self, directory: Path, prefix: str) -> Iterator[str]:
        try:
            entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except FileNotFoundError:
            return
        names = {entry.name for entry in entries}
        if prefix and (_LAYERS in names or _MANIFESTS in names):
            yield prefix
        for entry in entries:
            if entry.is_dir(follow_symlinks=False) and not entry.name.startswith(("_", ".")):
                yield from self._walk(Path(entry.path), f"{prefix}/{entry.name}".lstrip("/"))


def _touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        write_atomic(path, b"")


def _unlink(path: Path) -> bool:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
        return True
    return False
