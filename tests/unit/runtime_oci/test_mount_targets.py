"""Mount targets and device nodes are opened inside the root and used through their fd
(CVE-2021-30465 class): a path component swapped for a symlink to the host between the
resolution and the mount (or mknod) must not move the mount (or node) out of the root.

The swap is done by a hooked fake at the moment of the system call; the fake records the
file the kernel would reach at that moment (``os.path.realpath`` of the target)."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from wharf.runtime.oci.config import Device, Mount, parse_config
from wharf.runtime.oci.errors import RuntimeCreateError
from wharf.runtime.oci.fakesyscalls import RecordingSyscalls
from wharf.runtime.oci.steps import InitContext
from wharf.runtime.oci.steps.devices import make_device
from wharf.runtime.oci.steps.mounts import mount_one
from wharf.runtime.oci.sync import SyncChannel


@dataclass
class SwappingSyscalls(RecordingSyscalls):
    """Before the first mount/mknod: ``<root>/<component>`` becomes a symlink to ``outside``."""

    root: Path = Path("/nonexistent")
    component: str = ""
    outside: Path = Path("/nonexistent")
    landed: list[str] = field(default_factory=list)

    def _swap_then_land(self, path: str) -> None:
        victim = self.root / self.component
        if not victim.is_symlink():
            victim.rename(victim.with_name(self.component + ".moved"))
            victim.symlink_to(self.outside)
        self.landed.append(os.path.realpath(path))

    def mount(self, source: str | None, target: str, fstype: str | None, flags: int,
              data: str | None) -> None:
        if fstype is not None:  # a new file system (a propagation change lands on the copy)
            self._swap_then_land(target)
        super().mount(source, target, fstype, flags, data)

    def move_mount(self, tree_fd: int, target_fd: int) -> None:
        self._swap_then_land(f"/proc/self/fd/{target_fd}")
        super().move_mount(tree_fd, target_fd)

    def mknod(self, path: str, mode: int, device: int) -> None:
        self._swap_then_land(path)
        super().mknod(path, mode, device)


def context(tmp_path: Path, fake: RecordingSyscalls) -> InitContext:
    bundle = tmp_path / "bundle"
    (bundle / "rootfs").mkdir(parents=True)
    raw: dict[str, Any] = {"process": {"args": ["true"], "cwd": "/"}, "root": {"path": "rootfs"},
                           "linux": {"namespaces": [{"type": "mount"}]}}
    config = parse_config(raw, bundle)
    left, right = socket.socketpair()
    left.close()
    ctx = InitContext(config=config, process=config.process, sys=fake,
                      sync=SyncChannel(right.detach()), last_cap=40)
    ctx.root = config.rootfs
    return ctx


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    path = tmp_path / "host-dir"
    path.mkdir()
    return path


def assert_inside(root: Path, landed: list[str], outside: Path) -> None:
    assert landed, "nothing was mounted or made"
    for path in landed:
        assert Path(path).is_relative_to(root.resolve()), f"{path} is outside {root}"
    assert list(outside.iterdir()) == [], "the host directory was touched"


@pytest.mark.parametrize("options", [["rbind"], ["rbind", "ro", "rprivate"]])
def test_bind_target_swapped_for_a_symlink_stays_inside(tmp_path: Path, outside: Path,
                                                        options: list[str]) -> None:
    source = tmp_path / "volume"
    source.mkdir()
    rootfs = tmp_path / "bundle/rootfs"
    fake = SwappingSyscalls(root=rootfs, component="data", outside=outside)
    ctx = context(tmp_path, fake)
    (rootfs / "data/nested").mkdir(parents=True)
    mount_one(ctx, Mount(destination="/data/nested/target", type="bind", source=str(source),
                         options=tuple(options)))
    assert_inside(rootfs, fake.landed, outside)
    assert fake.landed[0] == str((rootfs / "data.moved/nested/target").resolve())


def test_filesystem_target_swapped_for_a_symlink_stays_inside(tmp_path: Path,
                                                              outside: Path) -> None:
    rootfs = tmp_path / "bundle/rootfs"
    fake = SwappingSyscalls(root=rootfs, component="run", outside=outside)
    ctx = context(tmp_path, fake)
    (rootfs / "run").mkdir()
    mount_one(ctx, Mount(destination="/run/secrets", type="tmpfs", source="tmpfs",
                         options=("nosuid",)))
    assert_inside(rootfs, fake.landed, outside)
    assert fake.landed == [str((rootfs / "run.moved/secrets").resolve())]


def test_change_after_a_filesystem_mount_stays_inside(tmp_path: Path, outside: Path) -> None:
    """A propagation change on a new tmpfs finds the mount in the root again: after a swap it
    fails cleanly (the path now leads elsewhere in the root), never reaching the host."""
    rootfs = tmp_path / "bundle/rootfs"
    fake = SwappingSyscalls(root=rootfs, component="run", outside=outside)
    ctx = context(tmp_path, fake)
    (rootfs / "run").mkdir()
    with pytest.raises(RuntimeCreateError, match='error mounting "tmpfs" to rootfs at '
                       '"/run/secrets": No such file or directory'):
        mount_one(ctx, Mount(destination="/run/secrets", type="tmpfs", source="tmpfs",
                             options=("nosuid", "rprivate")))
    assert_inside(rootfs, fake.landed, outside)
    assert [call.args[1] for call in fake.calls if call.name == "mount"] == \
        [str((rootfs / "run.moved/secrets").resolve())]


def test_file_bind_target_swapped_for_a_symlink_stays_inside(tmp_path: Path,
                                                             outside: Path) -> None:
    rootfs = tmp_path / "bundle/rootfs"
    fake = SwappingSyscalls(root=rootfs, component="etc", outside=outside)
    ctx = context(tmp_path, fake)
    (rootfs / "etc").mkdir()
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n")
    mount_one(ctx, Mount(destination="/etc/hosts", type="bind", source=str(hosts),
                         options=("rbind", "ro")))
    assert_inside(rootfs, fake.landed, outside)


def test_device_parent_swapped_for_a_symlink_stays_inside(tmp_path: Path,
                                                          outside: Path) -> None:
    rootfs = tmp_path / "bundle/rootfs"
    fake = SwappingSyscalls(root=rootfs, component="dev", outside=outside)
    ctx = context(tmp_path, fake)
    (rootfs / "dev").mkdir()
    make_device(ctx, Device("/dev/fuse", "c", 10, 229))
    assert_inside(rootfs, fake.landed, outside)
    assert fake.landed == [str((rootfs / "dev.moved/fuse").resolve())]


def test_symlinked_target_is_resolved_inside_the_root(tmp_path: Path, outside: Path) -> None:
    """An absolute symlink already in the image is followed as if the root were /."""
    rootfs = tmp_path / "bundle/rootfs"
    fake = RecordingSyscalls()
    ctx = context(tmp_path, fake)
    (rootfs / "data").symlink_to(outside)
    mount_one(ctx, Mount(destination="/data/x", type="tmpfs", source="tmpfs", options=()))
    target = fake.calls[0].args[1]
    assert target == str((rootfs / outside.relative_to("/") / "x").resolve())
    assert list(outside.iterdir()) == []
