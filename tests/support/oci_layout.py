"""Small ad-hoc OCI image layouts for tests (``imagegen`` makes the big deterministic one).

``oci_layout(dest, layers)`` writes one linux/amd64 image whose layers hold the given files
(gzip level 1, or per layer ``zstd``/``none``); ``oci_index_layout(dest, per_arch)`` an image
index of one such image per architecture. ``random_files`` gives incompressible layer contents
unique per seed (``seeded_layers``: reproducible ones), ``skopeo_push`` copies a layout's tag
to a registry over plain HTTP, and ``assert_container_files`` checks that an image pulled from
it unpacked every file.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import random
import tarfile
from pathlib import Path
from typing import TYPE_CHECKING

import zstandard

from tests.support.registries import skopeo_copy

if TYPE_CHECKING:
    from tests.support.daemons import Daemon

LAYER = "application/vnd.oci.image.layer.v1.tar"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"


def random_files(count: int, size: int, seed: str) -> dict[str, bytes]:
    """Incompressible files (distinct per ``seed``) so no two images share a layer."""
    return {f"{seed}/f{i}": os.urandom(size) for i in range(count)}


def seeded_layers(seed: int, sizes: list[int]) -> list[dict[str, bytes]]:
    """One file per layer of ``sizes`` bytes, pseudo-random but the same for the same seed."""
    return [{f"file-{seed * 1000 + i}.bin": random.Random(seed * 1000 + i).randbytes(size)}
            for i, size in enumerate(sizes)]


def layer_tar(files: dict[str, bytes], symlinks: dict[str, str] | None = None,
              mtime: int = 0) -> bytes:
    """A tar (PAX) of regular files (mode 0644) and ``symlinks`` (name -> target)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, mtime
            tar.addfile(info, io.BytesIO(data))
        for name, target in (symlinks or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return buf.getvalue()


def add_blob(layout: Path, data: bytes) -> dict[str, object]:
    """Store ``data`` in the layout; its ``digest`` and ``size``."""
    digest = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256" / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def compressed(tar: bytes, kind: str) -> tuple[str, bytes]:
    """(media type, blob) of a layer tar compressed as ``kind`` (gzip, zstd or none)."""
    if kind == "zstd":
        return LAYER + "+zstd", zstandard.ZstdCompressor().compress(tar)
    if kind == "none":
        return LAYER, tar
    return LAYER + "+gzip", gzip.compress(tar, 1, mtime=0)


def add_image(dest: Path, layers: list[dict[str, bytes]], arch: str,
              compression: list[str] | None = None) -> dict[str, object]:
    """Layers, config and manifest blobs of one image; its manifest's descriptor."""
    descriptors, diff_ids = [], []
    for i, files in enumerate(layers):
        tar = layer_tar(files, mtime=1_700_000_000)
        diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
        media_type, blob = compressed(tar, compression[i] if compression else "gzip")
        descriptors.append({"mediaType": media_type, **add_blob(dest, blob)})
    config = json.dumps({"architecture": arch, "os": "linux",
                         "created": "2024-01-01T00:00:00Z", "config": {"Cmd": ["sh"]},
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": MANIFEST,
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      **add_blob(dest, config)},
                           "layers": descriptors}).encode()
    return {"mediaType": MANIFEST, **add_blob(dest, manifest),
            "platform": {"architecture": arch, "os": "linux"}}


def finish_layout(dest: Path, top: dict[str, object], tag: str) -> Path:
    entry = {**top, "annotations": {"org.opencontainers.image.ref.name": tag}}
    entry.pop("platform", None)
    (dest / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [entry]}))
    (dest / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    return dest


def oci_layout(dest: Path, layers: list[dict[str, bytes]], tag: str = "latest",
               compression: list[str] | None = None) -> Path:
    """An OCI image layout with a linux/amd64 config; layers gzip (level 1) unless
    ``compression`` says ``zstd`` or ``none`` for each."""
    (dest / "blobs" / "sha256").mkdir(parents=True)
    return finish_layout(dest, add_image(dest, layers, "amd64", compression), tag)


def oci_index_layout(dest: Path, per_arch: dict[str, list[dict[str, bytes]]],
                     tag: str = "latest") -> Path:
    """An OCI layout whose tag names an image index of one image per architecture."""
    (dest / "blobs" / "sha256").mkdir(parents=True)
    manifests = [add_image(dest, layers, arch) for arch, layers in per_arch.items()]
    index = json.dumps({"schemaVersion": 2, "mediaType": INDEX,
                        "manifests": manifests}).encode()
    return finish_layout(dest, {"mediaType": INDEX, **add_blob(dest, index)}, tag)


def top_manifest(layout: Path) -> dict[str, object]:
    """The manifest (or index) the layout's one tag names."""
    top = json.loads((layout / "index.json").read_text())["manifests"][0]["digest"]
    return dict(json.loads((layout / "blobs/sha256" / top[7:]).read_bytes()))


def skopeo_push(layout: Path, target: str, tag: str = "latest",
                creds: str | None = None) -> None:
    """``skopeo copy --all`` of the layout's ``tag`` to ``docker://target`` (plain HTTP)."""
    skopeo_copy(layout.parent, f"oci:{layout}:{tag}", f"docker://{target}", dest_creds=creds,
                extra=("--all",))


def assert_container_files(daemon: Daemon, image: str, layers: list[dict[str, bytes]]) -> None:
    """A container made from ``image`` exports every file of ``layers`` with its bytes."""
    created = daemon.json("POST", "/containers/create", {"Image": image})
    assert isinstance(created, dict), created
    cid = created["Id"]
    try:
        status, body = daemon.request("GET", f"/containers/{cid}/export")
        assert status == 200
        with tarfile.open(fileobj=io.BytesIO(body)) as tar:
            for files in layers:
                for path, data in files.items():
                    member = tar.extractfile(path)
                    assert member is not None and member.read() == data
    finally:
        daemon.request("DELETE", f"/containers/{cid}?force=1")
