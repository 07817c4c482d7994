"""An in-memory registry behind the services' RegistryPort, and images made for it."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import zstandard
from tests.support.oci_layout import layer_tar

from wharf.core.digest import Digest
from wharf.core.errors import NotFound
from wharf.core.oci import MEDIA_TYPE_DOCKER_MANIFEST, MEDIA_TYPE_OCI_INDEX
from wharf.core.reference import Reference
from wharf.services.registry_port import RegistryAuth, RemoteManifest, ResolvedManifest

DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
ZSTD_LAYER = "application/vnd.oci.image.layer.v1.tar+zstd"
PLAIN_LAYER = "application/vnd.oci.image.layer.v1.tar"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"


@dataclass
class FakeImage:
    manifest: bytes
    manifest_digest: Digest
    config: bytes
    blobs: dict[Digest, bytes]
    tars: list[bytes]


def make_image(layers: list[dict[str, bytes]], *, zstd_last: bool = False,
               plain_first: bool = False, bad_diff_id: bool = False) -> FakeImage:
    blobs: dict[Digest, bytes] = {}
    descriptors, diff_ids, tars = [], [], []
    for i, files in enumerate(layers):
        tar = layer_tar(files)
        zstd = zstd_last and i == len(layers) - 1
        plain = plain_first and i == 0
        blob = (zstandard.ZstdCompressor().compress(tar) if zstd
                else tar if plain else gzip.compress(tar, mtime=0))
        digest = Digest.from_bytes(blob)
        blobs[digest] = blob
        tars.append(tar)
        media_type = ZSTD_LAYER if zstd else PLAIN_LAYER if plain else DOCKER_LAYER
        descriptors.append({"mediaType": media_type, "size": len(blob), "digest": str(digest)})
        diff_ids.append(str(Digest.from_bytes(tar + (b"x" if bad_diff_id else b""))))
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {"Cmd": ["sh"]}, "created": "2024-01-01T00:00:00Z",
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    config_digest = Digest.from_bytes(config)
    blobs[config_digest] = config
    manifest = json.dumps({"schemaVersion": 2, "mediaType": MEDIA_TYPE_DOCKER_MANIFEST,
                           "config": {"mediaType": DOCKER_CONFIG, "size": len(config),
                                      "digest": str(config_digest)},
                           "layers": descriptors}, indent=3).encode()
    return FakeImage(manifest, Digest.from_bytes(manifest), config, blobs, tars)


def index_of(*images: tuple[FakeImage, str]) -> bytes:
    return json.dumps({"schemaVersion": 2, "mediaType": MEDIA_TYPE_OCI_INDEX, "manifests": [
        {"mediaType": MEDIA_TYPE_DOCKER_MANIFEST, "size": len(img.manifest),
         "digest": str(img.manifest_digest),
         "platform": {"os": "linux", "architecture": arch}} for img, arch in images]}).encode()


@dataclass
class FakeRepo:
    manifests: dict[str, RemoteManifest] = field(default_factory=dict)
    blobs: dict[Digest, bytes] = field(default_factory=dict)
    served: int = 0
    ignore_range: bool = False
    fail_after: int | None = None  # bytes served per request before the "connection" drops
    chunk: int = 64 * 1024
    on_chunk: Callable[[], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    registry: FakeRegistry | None = None
    domain: str = ""

    def add(self, tag: str, image: FakeImage) -> None:
        self.blobs.update(image.blobs)
        remote = RemoteManifest(image.manifest_digest, MEDIA_TYPE_DOCKER_MANIFEST, image.manifest)
        self.manifests[tag] = remote
        self.manifests[str(image.manifest_digest)] = remote

    def add_index(self, tag: str, index: bytes, *images: FakeImage) -> Digest:
        for image in images:
            self.blobs.update(image.blobs)
            self.manifests[str(image.manifest_digest)] = RemoteManifest(
                image.manifest_digest, MEDIA_TYPE_DOCKER_MANIFEST, image.manifest)
        digest = Digest.from_bytes(index)
        self.manifests[tag] = self.manifests[str(digest)] = RemoteManifest(
            digest, MEDIA_TYPE_OCI_INDEX, index)
        return digest

    def resolve(self, reference: str, platform: str) -> ResolvedManifest:
        try:
            top = self.manifests[reference]
        except KeyError:
            raise NotFound(f"manifest for {reference} not found: manifest unknown: "
                           "manifest unknown") from None
        if top.media_type != MEDIA_TYPE_OCI_INDEX:
            return ResolvedManifest(top.digest, top)
        arch = (platform or "linux/amd64").split("/")[1]
        for entry in json.loads(top.data)["manifests"]:
            if entry["platform"]["architecture"] == arch:
                return ResolvedManifest(top.digest, self.manifests[entry["digest"]], top)
        raise NotFound(f"no matching manifest for {platform} in the manifest list entries")

    def fetch_top(self, reference: str) -> RemoteManifest:
        try:
            return self.manifests[reference]
        except KeyError:
            raise NotFound("manifest unknown") from None

    def get_blob(self, digest: Digest, limit: int) -> bytes:
        return self.blobs[digest]

    def open_blob(self, digest: Digest, offset: int) -> tuple[int, Iterator[bytes]]:
        data = self.blobs[digest]
        start = 0 if self.ignore_range else offset
        return start, self._chunks(data[start:])

    def _chunks(self, data: bytes) -> Iterator[bytes]:
        sent = 0
        for i in range(0, len(data), self.chunk):
            piece = data[i:i + self.chunk]
            if self.fail_after is not None and sent + len(piece) > self.fail_after:
                raise ConnectionResetError("connection reset by peer")
            if self.on_chunk is not None:
                self.on_chunk()
            sent += len(piece)
            with self.lock:
                self.served += len(piece)
            yield piece

    def list_tags(self) -> list[str]:
        return [t for t in self.manifests if not t.startswith("sha256:")]

    def has_blob(self, digest: Digest) -> bool:
        return digest in self.blobs

    def mount_blob(self, digest: Digest, from_repository: str) -> bool:
        source = self.registry.repos.get(f"{self.domain}/{from_repository}") \
            if self.registry else None
        if source is None or digest not in source.blobs:
            return False
        self.blobs[digest] = source.blobs[digest]
        return True

    def upload_blob(self, digest: Digest, size: int, stream: BinaryIO,
                    progress: Callable[[int], None]) -> None:
        data = stream.read()
        assert Digest.from_bytes(data) == digest and len(data) == size
        self.blobs[digest] = data
        progress(size)

    def put_manifest(self, tag: str, media_type: str, data: bytes) -> Digest:
        digest = Digest.from_bytes(data)
        self.manifests[tag] = self.manifests[str(digest)] = RemoteManifest(digest, media_type,
                                                                           data)
        return digest


@dataclass
class FakeRegistry:
    repos: dict[str, FakeRepo] = field(default_factory=dict)
    auths: list[RegistryAuth] = field(default_factory=list)

    def repository(self, ref: Reference, auth: RegistryAuth, *, push: bool = False) -> FakeRepo:
        self.auths.append(auth)
        if ref.name not in self.repos:
            if not push:
                raise NotFound(f"pull access denied for {ref.familiar_name}, repository does "
                               "not exist or may require 'docker login'")
            self.repos[ref.name] = FakeRepo()
        repo = self.repos[ref.name]
        repo.registry, repo.domain = self, ref.domain
        return repo

    def login(self, auth: RegistryAuth) -> str:
        return ""

    def search(self, server: str, term: str, limit: int, auth: RegistryAuth
               ) -> list[dict[str, Any]]:
        return []
