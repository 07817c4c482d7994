"""OCI mount options → mount flags and mount_setattr attributes (recursive ones too)."""

from __future__ import annotations

import errno
import socket
from pathlib import Path

import pytest

from wharf.runtime.oci import mountopts as mo
from wharf.runtime.oci import syscalls as sc
from wharf.runtime.oci.config import Mount, parse_config
from wharf.runtime.oci.errors import RuntimeCreateError
from wharf.runtime.oci.fakesyscalls import RecordingSyscalls
from wharf.runtime.oci.steps import InitContext
from wharf.runtime.oci.steps.mounts import mount_one
from wharf.runtime.oci.sync import SyncChannel


def test_recursive_options_become_attributes() -> None:
    options = mo.parse_mount_options(["rbind", "ro", "rro", "rnosuid", "rnoatime"])
    assert options.flags == sc.MS_BIND | sc.MS_REC | sc.MS_RDONLY
    assert options.data == ""  # never handed to mount(2) as file system data
    assert options.recursive == mo.MountAttributes(
        mo.MOUNT_ATTR_RDONLY | mo.MOUNT_ATTR_NOSUID | mo.MOUNT_ATTR_NOATIME,
        mo.MOUNT_ATTR_ATIME)


def test_later_recursive_option_wins() -> None:
    assert mo.parse_mount_options(["rro", "rrw"]).recursive == \
        mo.MountAttributes(0, mo.MOUNT_ATTR_RDONLY)
    assert mo.parse_mount_options(["rnoatime", "rrelatime"]).recursive == \
        mo.MountAttributes(mo.MOUNT_ATTR_RELATIME, mo.MOUNT_ATTR_ATIME)


def test_bind_attributes_set_and_clear_only_what_was_asked() -> None:
    assert mo.parse_mount_options(["rbind", "ro"]).bind_attributes() == \
        mo.MountAttributes(mo.MOUNT_ATTR_RDONLY, 0)
    assert mo.parse_mount_options(["bind", "rw", "suid", "noexec"]).bind_attributes() == \
        mo.MountAttributes(mo.MOUNT_ATTR_NOEXEC, mo.MOUNT_ATTR_RDONLY | mo.MOUNT_ATTR_NOSUID)
    assert mo.parse_mount_options(["rbind"]).bind_attributes() == mo.MountAttributes()


def test_rro_without_mount_setattr_is_refused(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    (bundle / "rootfs").mkdir(parents=True)
    source = tmp_path / "src"
    source.mkdir()
    config = parse_config({"process": {"args": ["true"], "cwd": "/"},
                           "root": {"path": "rootfs"}}, bundle)
    fake = RecordingSyscalls(fail_on={"mount_setattr": errno.ENOSYS})
    left, right = socket.socketpair()
    left.close()
    ctx = InitContext(config=config, process=config.process, sys=fake,
                      sync=SyncChannel(right.detach()), last_cap=40, root=config.rootfs)
    with pytest.raises(RuntimeCreateError, match=r"need mount_setattr.*5\.12"):
        mount_one(ctx, Mount("/data", "bind", str(source), ("rbind", "rro")))
    assert "move_mount" not in fake.names()  # never attached without its attributes


def test_plain_ro_bind_without_mount_setattr_is_remounted(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    (bundle / "rootfs").mkdir(parents=True)
    config = parse_config({"process": {"args": ["true"], "cwd": "/"},
                           "root": {"path": "rootfs"}}, bundle)
    fake = RecordingSyscalls(fail_on={"mount_setattr": errno.ENOSYS})
    left, right = socket.socketpair()
    left.close()
    ctx = InitContext(config=config, process=config.process, sys=fake,
                      sync=SyncChannel(right.detach()), last_cap=40, root=config.rootfs)
    mount_one(ctx, Mount("/data", "bind", str(tmp_path), ("rbind", "ro")))
    target = str((bundle / "rootfs/data").resolve())
    assert fake.names()[-2:] == ["move_mount", "mount"]
    assert fake.calls[-1].args == (None, target, None,
                                   sc.MS_BIND | sc.MS_REMOUNT | sc.MS_RDONLY, None)


@pytest.mark.parametrize("option", ["idmap", "ridmap"])
def test_idmapped_mounts_are_refused_not_ignored(option: str) -> None:
    with pytest.raises(RuntimeCreateError, match=f'"{option}" is not supported'):
        mo.parse_mount_options(["rbind", option])
