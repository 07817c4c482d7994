"""Fixtures for runtime integration tests: root only, a busybox rootfs shared per session,
a unique container id, a state root in tmp, and cleanup of everything a test made."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from wharf.lib.bootstrap import build_busybox_rootfs
from wharf.runtime import oci
from wharf.runtime.cgroups import detect_layout, open_cgroup
from wharf.runtime.oci.syscalls import set_child_subreaper

from .bundles import write_bundle


@pytest.fixture(scope="session", autouse=True)
def _require_root_and_subreaper() -> Iterator[None]:
    if os.geteuid() != 0:
        pytest.skip("runtime tests need root")
    set_child_subreaper()  # containers' inits are reparented to the test process
    yield
    layout = detect_layout()
    parents = list(open_cgroup("/wharf-test", layout).mount_sources().values())
    if layout.unified is not None:  # runc also uses a hybrid host's cgroup2 hierarchy
        parents.append(layout.unified / "wharf-test")
    for parent in parents:  # only when empty: a concurrent session may still use it
        with contextlib.suppress(OSError):
            parent.rmdir()


@pytest.fixture(scope="session")
def busybox_rootfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_busybox_rootfs(tmp_path_factory.mktemp("busybox") / "rootfs")


@pytest.fixture
def container_id() -> str:
    return "wt-" + uuid.uuid4().hex[:12]


@pytest.fixture
def state_root(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def make_bundle(tmp_path: Path, busybox_rootfs: Path) -> Callable[[dict[str, Any]], Path]:
    """A bundle whose rootfs is a copy of the session's busybox rootfs."""
    def make(config: dict[str, Any]) -> Path:
        bundle = tmp_path / f"bundle-{uuid.uuid4().hex[:6]}"
        bundle.mkdir()
        shutil.copytree(busybox_rootfs, bundle / "rootfs", symlinks=True)
        return write_bundle(bundle, config)
    return make


@pytest.fixture(autouse=True)
def _cleanup(state_root: Path, container_id: str) -> Iterator[None]:
    yield
    if state_root.exists():
        for entry in state_root.iterdir():
            if entry.is_dir() and not entry.name.startswith("."):
                with contextlib.suppress(Exception):
                    oci.delete(state_root, entry.name, force=True)
    with contextlib.suppress(Exception):
        open_cgroup(f"/wharf-test/{container_id}").remove()
    reap_children()


def reap_children() -> None:
    """Collect exited children (inits reparented to us) so none stays a zombie."""
    for _ in range(1000):
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
