"""A deterministic multi-layer test image, written as an OCI image layout.

``generate_image(dest, seed, size_mb)`` builds the same bytes for the same arguments on the same
host (fixed mtimes, owners, ordering, gzip without a timestamp; the only host input is the
static busybox binary of the base layer, which makes the image runnable). The seed goes into
every file's content, so two seeds share no layer: a benchmark or a test never finds a layer
of its image already present because another image had it.

The layers exercise what a layer applier must get right (see the OCI image layer spec):

1. base: busybox with its applet symlinks, /etc/passwd, the seed's marker file, bulk data;
2. files that later layers remove or replace, a hard link, a relative and an absolute symlink;
3. a file whiteout (``etc/.wh.remove-me``), an opaque directory (``opt/old/.wh..wh..opq``)
   with a new entry, a file replaced in place plus a hard link to the new one, a symlink to a
   directory, bulk data;
4. a whiteout of a whole directory (``usr/local/share/.wh.dir``), bulk data.

``GeneratedImage.check_script()`` is a busybox ``sh`` script that checks the merged root
filesystem inside a container (exit 0 and "rootfs ok" when every expectation holds);
``GeneratedImage.verify_rootfs(path)`` checks an unpacked tree from the host.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from isal import igzip

from wharf.lib.bootstrap import busybox_rootfs_tar

MTIME = 1_704_067_200  # 2024-01-01T00:00:00Z, for every entry
CREATED = "2024-01-01T00:00:00Z"
LAYER_MEDIA_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_MEDIA_TYPE = "application/vnd.oci.image.config.v1+json"
BULK_SHARES = (0.35, 0.25, 0.2, 0.2)  # of size_mb, per layer
SIXTEEN_SYMBOLS = bytes(b"etaoinshrdlucmfw"[i % 16] for i in range(256))  # ~50% compressible


@dataclass
class Expectations:
    """What the merged root filesystem must hold once every layer is applied in order."""

    files: dict[str, str] = field(default_factory=dict)        # path -> sha256 hex of content
    absent: list[str] = field(default_factory=list)
    hardlinks: list[tuple[str, str]] = field(default_factory=list)  # same inode
    symlinks: dict[str, str] = field(default_factory=dict)     # path -> link target


@dataclass(frozen=True)
class GeneratedImage:
    layout: Path                 # the OCI image layout directory
    ref_name: str                # its ``org.opencontainers.image.ref.name`` ("latest")
    manifest_digest: str
    manifest: bytes
    config_digest: str
    layer_digests: list[str]     # compressed blobs, bottom first
    layer_sizes: list[int]
    diff_ids: list[str]
    expectations: Expectations

    @property
    def oci_ref(self) -> str:
        """The skopeo source name: ``oci:<dir>:<ref>``."""
        return f"oci:{self.layout}:{self.ref_name}"

    @property
    def total_size(self) -> int:
        return sum(self.layer_sizes)

    def blob(self, digest: str) -> Path:
        return self.layout / "blobs" / "sha256" / digest.removeprefix("sha256:")

    def check_script(self) -> str:
        exp = self.expectations
        lines = ["set -e", "fail() { echo \"rootfs wrong: $1\"; exit 1; }"]
        for path in exp.absent:
            lines.append(f"[ ! -e {path} ] && [ ! -L {path} ] || fail 'present {path}'")
        for path, digest in exp.files.items():
            lines.append(f"[ \"$(sha256sum {path} | cut -d' ' -f1)\" = {digest} ] "
                         f"|| fail 'content {path}'")
        for a, b in exp.hardlinks:
            lines.append(f"[ \"$(stat -c %i {a})\" = \"$(stat -c %i {b})\" ] || fail 'link {b}'")
        for path, target in exp.symlinks.items():
            lines.append(f"[ \"$(readlink {path})\" = '{target}' ] || fail 'symlink {path}'")
        lines.append("echo rootfs ok")
        return "\n".join(lines)

    def verify_rootfs(self, root: Path) -> list[str]:
        """The expectations ``root`` (an unpacked merged tree) misses; empty when all hold."""
        exp, wrong = self.expectations, []
        inside = root / "."  # paths below are absolute inside the image
        for path in exp.absent:
            if os.path.lexists(f"{inside}{path}"):
                wrong.append(f"present {path}")
        for path, digest in exp.files.items():
            target = Path(f"{inside}{path}")
            if not target.is_file() or hashlib.sha256(target.read_bytes()).hexdigest() != digest:
                wrong.append(f"content {path}")
        for a, b in exp.hardlinks:
            if os.lstat(f"{inside}{a}").st_ino != os.lstat(f"{inside}{b}").st_ino:
                wrong.append(f"link {b}")
        for path, link in exp.symlinks.items():
            if os.readlink(f"{inside}{path}") != link:
                wrong.append(f"symlink {path}")
        return wrong


class LayerWriter:
    """One layer's tar, entries in the order they are added, every header fixed."""

    def __init__(self, exp: Expectations) -> None:
        self.buf = io.BytesIO()
        self.tar = tarfile.open(  # noqa: SIM115 -- closed by finish()
            fileobj=self.buf, mode="w", format=tarfile.PAX_FORMAT)
        self.exp = exp

    def _info(self, name: str, kind: bytes, mode: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name.lstrip("/"))
        info.type, info.mode, info.mtime = kind, mode, MTIME
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    def directory(self, name: str, mode: int = 0o755) -> None:
        self.tar.addfile(self._info(name, tarfile.DIRTYPE, mode))

    def file(self, name: str, data: bytes, mode: int = 0o644, *, expect: bool = True) -> None:
        info = self._info(name, tarfile.REGTYPE, mode)
        info.size = len(data)
        self.tar.addfile(info, io.BytesIO(data))
        if expect:
            self.exp.files["/" + name.lstrip("/")] = hashlib.sha256(data).hexdigest()

    def whiteout(self, name: str) -> None:
        """An empty ``.wh.`` marker (also ``.wh..wh..opq`` for an opaque directory)."""
        self.file(name, b"", 0o644, expect=False)

    def hardlink(self, name: str, target: str) -> None:
        info = self._info(name, tarfile.LNKTYPE, 0o644)
        info.linkname = target.lstrip("/")
        self.tar.addfile(info)
        self.exp.hardlinks.append(("/" + target.lstrip("/"), "/" + name.lstrip("/")))

    def symlink(self, name: str, target: str) -> None:
        info = self._info(name, tarfile.SYMTYPE, 0o777)
        info.linkname = target
        self.tar.addfile(info)
        self.exp.symlinks["/" + name.lstrip("/")] = target

    def copy_base(self, source: bytes) -> None:
        """Entries of another tar (busybox's rootfs), with this writer's fixed headers."""
        with tarfile.open(fileobj=io.BytesIO(source), mode="r:") as src:
            for member in src.getmembers():
                info = self._info(member.name, member.type, member.mode)
                info.linkname, info.size = member.linkname, member.size
                data = src.extractfile(member) if member.isreg() else None
                self.tar.addfile(info, data)

    def finish(self) -> bytes:
        self.tar.close()
        return self.buf.getvalue()


def bulk(rng: random.Random, size: int) -> bytes:
    """``size`` bytes, half incompressible and half ~50% compressible."""
    half = size // 2
    return rng.randbytes(half) + rng.randbytes(size - half).translate(SIXTEEN_SYMBOLS)


def add_bulk(layer: LayerWriter, rng: random.Random, directory: str, size: int) -> None:
    """``size`` bytes under ``directory``: three quarters in 4 MiB files, a quarter in small
    files (1-32 KiB, 100 to a directory), as real images hold many small files."""
    layer.directory(directory)
    small_total, big_total = size // 4, size - size // 4
    chunk = 4 << 20
    for index in range(max(1, -(-big_total // chunk))):
        part = max(0, min(chunk, big_total - index * chunk))
        layer.file(f"{directory}/blob{index:03d}.bin", bulk(rng, part), expect=False)
    written, index = 0, 0
    while written < small_total:
        if index % 100 == 0:
            layer.directory(f"{directory}/small{index // 100:03d}")
        part = min(rng.randint(1024, 32 * 1024), small_total - written)
        layer.file(f"{directory}/small{index // 100:03d}/f{index:05d}", bulk(rng, part),
                   expect=False)
        written, index = written + part, index + 1


def base_layer(layer: LayerWriter, rng: random.Random, seed: str, size: int) -> None:
    rootfs = io.BytesIO()
    busybox_rootfs_tar(rootfs)
    layer.copy_base(rootfs.getvalue())
    layer.file("etc/wharf-image-seed", f"{seed}\n".encode())
    for name in ("opt", "usr/local", "data"):
        layer.directory(name)
    add_bulk(layer, rng, "data/base", size)


def second_layer(layer: LayerWriter, rng: random.Random, seed: str, size: int) -> None:
    layer.file("etc/remove-me", f"{seed} goes away\n".encode(), expect=False)
    for name in ("opt/app", "opt/old", "usr/local/share", "usr/local/share/dir"):
        layer.directory(name)
    layer.file("opt/app/a", f"{seed} a\n".encode() * 100)
    layer.file("opt/app/b", f"{seed} old b\n".encode(), expect=False)
    layer.hardlink("opt/app/hl", "opt/app/a")
    layer.symlink("opt/app/link", "a")
    layer.symlink("etc/alt", "/opt/app/a")
    for name in ("x", "y"):
        layer.file(f"opt/old/{name}", f"{seed} {name}\n".encode(), expect=False)
    layer.file("usr/local/share/dir/gone", rng.randbytes(4096), expect=False)
    add_bulk(layer, rng, "data/second", size)


def third_layer(layer: LayerWriter, rng: random.Random, seed: str, size: int) -> None:
    layer.directory("etc")
    layer.whiteout("etc/.wh.remove-me")
    layer.directory("opt/old")
    layer.whiteout("opt/old/.wh..wh..opq")
    layer.file("opt/old/z", f"{seed} z\n".encode())
    layer.directory("opt/app")
    layer.file("opt/app/b", f"{seed} new b\n".encode() * 50, 0o600)
    layer.hardlink("opt/app/b2", "opt/app/b")
    layer.symlink("opt/dirlink", "app")
    add_bulk(layer, rng, "data/third", size)


def fourth_layer(layer: LayerWriter, rng: random.Random, seed: str, size: int) -> None:
    layer.directory("usr/local/share")
    layer.whiteout("usr/local/share/.wh.dir")
    layer.file("usr/local/share/kept", f"{seed} kept\n".encode(), 0o755)
    add_bulk(layer, rng, "data/fourth", size)


LAYER_BUILDERS: tuple[Callable[[LayerWriter, random.Random, str, int], None], ...] = (
    base_layer, second_layer, third_layer, fourth_layer)
ABSENT = ["/etc/remove-me", "/opt/old/x", "/opt/old/y", "/usr/local/share/dir",
          "/usr/local/share/dir/gone"]


def write_blob(layout: Path, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    path = layout / "blobs" / "sha256" / digest
    if not path.exists():
        path.write_bytes(data)
    return f"sha256:{digest}"


def image_config(seed: str, diff_ids: list[str]) -> bytes:
    history: list[dict[str, object]] = [
        {"created": CREATED, "created_by": f"/bin/sh -c #(nop) layer {i + 1} of {seed}"}
        for i in range(len(diff_ids))]
    history.append({"created": CREATED, "created_by": '/bin/sh -c #(nop)  CMD ["sh"]',
                    "empty_layer": True})
    config = {
        "created": CREATED, "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                   "Cmd": ["sh"], "Labels": {"org.wharf.test.seed": seed}},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }
    return json.dumps(config, sort_keys=True, separators=(",", ":")).encode()


def generate_image(dest: Path, seed: str, size_mb: float = 24, ref_name: str = "latest",
                   ) -> GeneratedImage:
    """Write the image for ``seed`` as an OCI layout at ``dest`` (created); about ``size_mb``
    MB of file data, spread over four layers (gzip makes the blobs ~20% smaller)."""
    (dest / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"wharf-imagegen:{seed}")
    exp = Expectations(absent=list(ABSENT))
    descriptors, diff_ids, digests, sizes = [], [], [], []
    for builder, share in zip(LAYER_BUILDERS, BULK_SHARES, strict=True):
        layer = LayerWriter(exp)
        builder(layer, rng, seed, int(size_mb * share * (1 << 20)))
        tar_bytes = layer.finish()
        diff_ids.append("sha256:" + hashlib.sha256(tar_bytes).hexdigest())
        blob = igzip.compress(tar_bytes, compresslevel=1, mtime=0)
        digests.append(write_blob(dest, blob))
        sizes.append(len(blob))
        descriptors.append({"mediaType": LAYER_MEDIA_TYPE, "digest": digests[-1],
                            "size": len(blob)})
    for gone in ABSENT:
        exp.files.pop(gone, None)
    config = image_config(seed, diff_ids)
    config_digest = write_blob(dest, config)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": MANIFEST_MEDIA_TYPE,
        "config": {"mediaType": CONFIG_MEDIA_TYPE, "digest": config_digest, "size": len(config)},
        "layers": descriptors,
    }, separators=(",", ":")).encode()
    manifest_digest = write_blob(dest, manifest)
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": MANIFEST_MEDIA_TYPE, "digest": manifest_digest, "size": len(manifest),
        "annotations": {"org.opencontainers.image.ref.name": ref_name}}]}
    (dest / "index.json").write_text(json.dumps(index))
    (dest / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    return GeneratedImage(dest, ref_name, manifest_digest, manifest, config_digest, digests,
                          sizes, diff_ids, exp)
