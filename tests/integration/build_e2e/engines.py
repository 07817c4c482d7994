"""What the end-to-end build tests share: the engine under test, the stock CLI's classic
builder against it, and the checks that a failed build left the store as it was.

The engines come from ``WHARF_BUILD_E2E_ENGINES`` (comma separated, default ``wharfd``);
``dockerd`` runs the same tests against Debian's dockerd, the oracle that proves a test asks for
Docker's real behaviour (``WHARF_BUILD_E2E_ENGINES=dockerd,wharfd``).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.daemons import (
    DOCKER_CLI,
    Daemon,
    dockerd_with_busybox,
    import_busybox,
    wharfd_running,
)

ENGINES = [e for e in os.environ.get("WHARF_BUILD_E2E_ENGINES", "wharfd").split(",") if e]
BUILD_TIMEOUT = 300.0


@contextmanager
def engine_running(name: str, tmp: Path) -> Iterator[Daemon]:
    """``name`` (``wharfd`` or ``dockerd``) on ``tmp``, with busybox imported."""
    if name == "dockerd":
        with dockerd_with_busybox(tmp) as daemon:
            yield daemon
    else:
        with wharfd_running(tmp) as daemon:
            import_busybox(daemon)
            yield daemon


def docker_build(daemon: Daemon, *args: str,
                 timeout: float = BUILD_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """``DOCKER_BUILDKIT=0 docker build ARGS`` against ``daemon``, not checked."""
    env = dict(daemon.docker_env(), DOCKER_BUILDKIT="0")
    return subprocess.run([DOCKER_CLI, "build", *args], env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=timeout, text=True)


def write_context(root: Path, dockerfile: str, files: dict[str, bytes] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Dockerfile").write_text(dockerfile)
    for name, content in (files or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    return root


def tar_of(entries: list[tarfile.TarInfo], contents: dict[str, bytes] | None = None) -> bytes:
    """A tar of ``entries``; a regular file's bytes come from ``contents`` by name."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info in entries:
            data = (contents or {}).get(info.name, b"")
            if info.isreg():
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return buf.getvalue()


def entry(name: str, kind: bytes = tarfile.REGTYPE, link: str = "",
          mode: int = 0o644) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode = kind, link, mode
    return info


@dataclass(frozen=True)
class StoreView:
    images: frozenset[str]   # every image id, intermediate ones too
    tags: frozenset[str]
    containers: frozenset[str]


def store_view(daemon: Daemon) -> StoreView:
    images = daemon.json("GET", "/images/json?all=1")
    containers = daemon.json("GET", "/containers/json?all=1")
    assert isinstance(images, list) and isinstance(containers, list)
    tags = {t for image in images for t in image.get("RepoTags") or [] if t != "<none>:<none>"}
    return StoreView(frozenset(i["Id"] for i in images), frozenset(tags),
                     frozenset(c["Id"] for c in containers))


def assert_store_consistent(daemon: Daemon, before: StoreView) -> None:
    """After a failed build: the daemon answers, no tag appeared or went, every image listed
    (intermediate ones too) inspects with its layers, and every container's image exists."""
    after = store_view(daemon)
    assert after.tags == before.tags, (before.tags, after.tags)
    assert before.images <= after.images
    for image_id in after.images:
        inspected = daemon.json("GET", f"/images/{image_id}/json")
        assert isinstance(inspected, dict) and inspected["RootFS"]["Layers"], image_id
        history = daemon.json("GET", f"/images/{image_id}/history")
        assert isinstance(history, list) and history, image_id
    for container_id in after.containers:
        inspected = daemon.json("GET", f"/containers/{container_id}/json")
        assert isinstance(inspected, dict)
        assert inspected["Image"] in after.images, (container_id, inspected["Image"])


def tree_digest(root: Path) -> str:
    """A digest of every name, mode and content under ``root`` (to see it untouched)."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        stat = path.lstat()
        digest.update(json.dumps([str(path.relative_to(root)), stat.st_mode]).encode())
        if path.is_file() and not path.is_symlink():
            digest.update(path.read_bytes())
    return digest.hexdigest()
