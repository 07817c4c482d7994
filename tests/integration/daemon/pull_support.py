"""Peers for the pull/push tests: the CNCF registry on a random loopback port, a counting and
throttling TCP proxy in front of it, and multi-layer OCI layouts pushed with skopeo."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import bcrypt
import pytest
import zstandard

REGISTRY_BIN = "/usr/bin/docker-registry"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


@contextlib.contextmanager
def cncf_registry(tmp: Path, htpasswd: tuple[str, str] | None = None) -> Iterator[str]:
    """``docker-registry`` (CNCF distribution), without auth or with one htpasswd user
    (bcrypt); yields ``127.0.0.1:PORT``."""
    port = free_port()
    root = tmp / "registry"
    root.mkdir(parents=True)
    config = tmp / "registry.yml"
    auth = ""
    if htpasswd is not None:
        users = tmp / "htpasswd"
        hashed = bcrypt.hashpw(htpasswd[1].encode(), bcrypt.gensalt(rounds=5)).decode()
        users.write_text(f"{htpasswd[0]}:{hashed}\n")
        auth = f"auth:\n  htpasswd:\n    realm: wharf-test\n    path: {users}\n"
    config.write_text(
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
        f"    rootdirectory: {root}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n{auth}")
    with (tmp / "registry.log").open("ab") as log:
        proc = subprocess.Popen([REGISTRY_BIN, "serve", str(config)], stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        wait_port(port)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class CountingProxy:
    """Forwards 127.0.0.1:port → upstream; counts the bytes sent back; ``delay`` per 64 KiB
    slows the replies down."""

    upstream: int
    port: int = field(default_factory=free_port)
    served: int = 0
    delay: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._server.settimeout(0.2)
        self._spawn(self._accept_loop)

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        thread.start()
        self._threads.append(thread)

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream), 5)
            for sock in (client, upstream):
                sock.settimeout(1.0)
            self._spawn(self._pipe, client, upstream, False)
            self._spawn(self._pipe, upstream, client, True)

    def _pipe(self, src: socket.socket, dst: socket.socket, count: bool) -> None:
        idle = 0.0
        try:
            while not self._stop.is_set() and idle < 120:
                try:
                    data = src.recv(65536)
                except TimeoutError:
                    idle += 1.0
                    continue
                idle = 0.0
                if not data:
                    break
                if count:
                    with self._lock:
                        self.served += len(data)
                    if self.delay:
                        time.sleep(self.delay)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def stop(self) -> None:
        self._stop.set()
        self._server.close()
        for thread in self._threads:
            thread.join(5)


@contextlib.contextmanager
def counting_proxy(upstream_port: int) -> Iterator[CountingProxy]:
    proxy = CountingProxy(upstream_port)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


def _tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _blob(layout: Path, data: bytes) -> dict[str, object]:
    digest = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256" / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


_LAYER = "application/vnd.oci.image.layer.v1.tar"


def _compressed(tar: bytes, kind: str) -> tuple[str, bytes]:
    if kind == "zstd":
        return _LAYER + "+zstd", zstandard.ZstdCompressor().compress(tar)
    if kind == "none":
        return _LAYER, tar
    return _LAYER + "+gzip", gzip.compress(tar, 1, mtime=0)


def _image(dest: Path, layers: list[dict[str, bytes]], arch: str,
           compression: list[str] | None = None) -> dict[str, object]:
    """Layers, config and manifest blobs of one image; its manifest's descriptor."""
    descriptors, diff_ids = [], []
    for i, files in enumerate(layers):
        tar = _tar(files)
        diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
        media_type, blob = _compressed(tar, (compression or [])[i] if compression else "gzip")
        descriptors.append({"mediaType": media_type, **_blob(dest, blob)})
    config = json.dumps({"architecture": arch, "os": "linux",
                         "created": "2024-01-01T00:00:00Z", "config": {"Cmd": ["sh"]},
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    manifest = json.dumps({"schemaVersion": 2,
                           "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      **_blob(dest, config)},
                           "layers": descriptors}).encode()
    return {"mediaType": "application/vnd.oci.image.manifest.v1+json", **_blob(dest, manifest),
            "platform": {"architecture": arch, "os": "linux"}}


def _finish_layout(dest: Path, top: dict[str, object], tag: str) -> Path:
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
    return _finish_layout(dest, _image(dest, layers, "amd64", compression), tag)


def oci_index_layout(dest: Path, per_arch: dict[str, list[dict[str, bytes]]],
                     tag: str = "latest") -> Path:
    """An OCI layout whose tag names an image index of one image per architecture."""
    (dest / "blobs" / "sha256").mkdir(parents=True)
    manifests = [_image(dest, layers, arch) for arch, layers in per_arch.items()]
    index = json.dumps({"schemaVersion": 2, "mediaType":
                        "application/vnd.oci.image.index.v1+json",
                        "manifests": manifests}).encode()
    top = {"mediaType": "application/vnd.oci.image.index.v1+json", **_blob(dest, index)}
    return _finish_layout(dest, top, tag)


def skopeo_push(layout: Path, target: str, tag: str = "latest") -> None:
    subprocess.run(["skopeo", "copy", "--all", "--dest-tls-verify=false",
                    f"oci:{layout}:{tag}", f"docker://{target}"],
                   check=True, capture_output=True, timeout=300)


@pytest.fixture(scope="module")
def registry() -> Iterator[str]:
    """A CNCF registry for the module's tests; yields ``127.0.0.1:PORT``."""
    tmp = Path(tempfile.mkdtemp(prefix="wharf-reg-"))
    try:
        with cncf_registry(tmp) as address:
            yield address
    finally:
        remove_tree(tmp)


def registry_blob_path(registry_root: Path, digest: str) -> Path:
    hex_ = digest.removeprefix("sha256:")
    return registry_root / "docker/registry/v2/blobs/sha256" / hex_[:2] / hex_ / "data"


def random_files(count: int, size: int, seed: str) -> dict[str, bytes]:
    """Incompressible files (distinct per ``seed``) so no two images share a layer."""
    return {f"{seed}/f{i}": os.urandom(size) for i in range(count)}


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
