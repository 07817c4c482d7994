"""A small OCI image layout written from Python for the registry tests: N gzip layers of
random-looking bytes (seeded, so reproducible), a config whose diff_ids match, one manifest."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import random
import tarfile
from dataclasses import dataclass
from pathlib import Path

MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


@dataclass(frozen=True)
class Layout:
    path: Path
    manifest_digest: str
    blob_digests: list[str]


def _layer(seed: int, size: int) -> bytes:
    payload = random.Random(seed).randbytes(size)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(f"file-{seed}.bin")
        info.size, info.mtime = len(payload), 0
        tar.addfile(info, io.BytesIO(payload))
    return raw.getvalue()


def _put(blobs: Path, data: bytes) -> str:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    (blobs / digest.split(":")[1]).write_bytes(data)
    return digest


def write_layout(path: Path, seed: int, layer_sizes: list[int]) -> Layout:
    """An OCI layout at ``path`` with one image tagged ``latest``."""
    blobs = path / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    layers, diff_ids = [], []
    for index, size in enumerate(layer_sizes):
        tar = _layer(seed * 1000 + index, size)
        diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
        compressed = gzip.compress(tar, compresslevel=1, mtime=0)
        layers.append(
            {"mediaType": MEDIA_LAYER, "digest": _put(blobs, compressed), "size": len(compressed)}
        )
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        }
    ).encode()
    config_descriptor = {
        "mediaType": MEDIA_CONFIG,
        "digest": _put(blobs, config),
        "size": len(config),
    }
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MEDIA_MANIFEST,
            "config": config_descriptor,
            "layers": layers,
        }
    ).encode()
    manifest_digest = _put(blobs, manifest)
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": MEDIA_MANIFEST,
                "digest": manifest_digest,
                "size": len(manifest),
                "annotations": {"org.opencontainers.image.ref.name": "latest"},
            }
        ],
    }
    (path / "index.json").write_text(json.dumps(index))
    (path / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    digests = [config_descriptor["digest"], *(layer["digest"] for layer in layers)]
    return Layout(path, manifest_digest, digests)
