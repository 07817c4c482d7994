"""The init sequence run against the recording fake: order and arguments, no root needed."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wharf.runtime.oci import syscalls as sc
from wharf.runtime.oci.config import parse_config
from wharf.runtime.oci.fakesyscalls import Call, RecordingSyscalls
from wharf.runtime.oci.mountopts import MOUNT_ATTR_RDONLY
from wharf.runtime.oci.steps import EXEC_STEPS, INIT_STEPS, CgroupMount, InitContext, run_steps
from wharf.runtime.oci.sync import SyncChannel

DOCKER_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
               "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
               "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]
DOCKER_CAP_MASK = 0xA80425FB


def raw_config(**process: Any) -> dict[str, Any]:
    return {
        "process": {"args": ["/bin/sh", "-c", "true"], "env": ["PATH=/bin"], "cwd": "/",
                    "user": {"uid": 1000, "gid": 1000, "additionalGids": [10]},
                    "capabilities": {k: DOCKER_CAPS for k in
                                     ("bounding", "effective", "permitted")},
                    "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 4096}],
                    **process},
        "root": {"path": "rootfs", "readonly": True},
        "hostname": "box",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
             "options": ["ro", "nosuid"]},
            {"destination": "/etc/hosts", "type": "bind", "source": "/etc/hosts",
             "options": ["rbind", "ro", "rprivate"]},
        ],
        "linux": {"namespaces": [{"type": "mount"}, {"type": "pid"}],
                  "maskedPaths": ["/proc/timer_list", "/proc/acpi", "/proc/no-such-path"],
                  "readonlyPaths": ["/proc/sys"]},
    }


@pytest.fixture
def channel() -> Iterator[tuple[SyncChannel, SyncChannel]]:
    left, right = socket.socketpair()
    parent, child = SyncChannel(left.detach()), SyncChannel(right.detach())
    yield parent, child
    parent.close()
    child.close()


def run_init(tmp_path: Path, channel: tuple[SyncChannel, SyncChannel], *,
             steps: Any = INIT_STEPS, **process: Any) -> RecordingSyscalls:
    bundle = tmp_path / "bundle"
    (bundle / "rootfs").mkdir(parents=True)
    config = parse_config(raw_config(**process), bundle)
    fake = RecordingSyscalls()
    ctx = InitContext(config=config, process=config.process, sys=fake, sync=channel[1],
                      last_cap=40, seccomp_program=b"\0" * 16, proc=tmp_path / "proc",
                      cgroup_mounts=(CgroupMount("memory", Path("/sys/fs/cgroup/memory/x")),))
    run_steps(steps, ctx)
    return fake


def index(fake: RecordingSyscalls, name: str, *args: object) -> int:
    for position, call in enumerate(fake.calls):
        if call.name == name and call.args[: len(args)] == args:
            return position
    raise AssertionError(f"{name}{args} not called: {fake.names()}")


def test_init_sequence_order(tmp_path: Path, channel: tuple[SyncChannel, SyncChannel]) -> None:
    fake = run_init(tmp_path, channel)
    rootfs = str((tmp_path / "bundle/rootfs").resolve())
    order = [
        index(fake, "mount", None, "/", None, sc.MS_SLAVE | sc.MS_REC),
        index(fake, "mount", rootfs, rootfs, "bind"),
        index(fake, "mount", "proc", f"{rootfs}/proc", "proc"),
        index(fake, "mknod", f"{rootfs}/dev/null"),
        index(fake, "pivot_root", ".", "."),
        index(fake, "umount2", ".", sc.MNT_DETACH),
        index(fake, "mount", "/proc/sys", "/proc/sys"),
        index(fake, "sethostname", "box"),
        index(fake, "close_range", 3),
        index(fake, "setrlimit"),
        index(fake, "seccomp_load"),
        index(fake, "capbset_drop"),
        index(fake, "setresuid", 1000),
        index(fake, "capset"),
        index(fake, "execve"),
    ]
    assert order == sorted(order)
    assert channel[0].receive(timeout=1) == {"type": "created"}


def test_capabilities_match_docker_defaults(tmp_path: Path,
                                            channel: tuple[SyncChannel, SyncChannel]) -> None:
    fake = run_init(tmp_path, channel)
    capset = fake.calls[index(fake, "capset")]
    assert capset.args == (DOCKER_CAP_MASK, DOCKER_CAP_MASK, 0)
    dropped = {call.args[0] for call in fake.calls if call.name == "capbset_drop"}
    assert dropped == {cap for cap in range(41) if not DOCKER_CAP_MASK & (1 << cap)}


def test_user_switch_keeps_capabilities(tmp_path: Path,
                                        channel: tuple[SyncChannel, SyncChannel]) -> None:
    fake = run_init(tmp_path, channel)
    names = fake.names()
    start = names.index("setgroups")
    assert names[start:start + 5] == ["setgroups", "set_keepcaps", "setresgid", "setresuid",
                                      "set_keepcaps"]
    assert fake.calls[start] == Call("setgroups", ((10,),))


def test_seccomp_last_with_no_new_privileges(tmp_path: Path,
                                             channel: tuple[SyncChannel, SyncChannel]) -> None:
    fake = run_init(tmp_path, channel, noNewPrivileges=True)
    names = fake.names()
    assert names[-2:] == ["seccomp_load", "execve"]
    assert names.index("set_no_new_privs") < names.index("seccomp_load")
    assert names.count("seccomp_load") == 1


def test_seccomp_before_dropping_privileges_without_nnp(
        tmp_path: Path, channel: tuple[SyncChannel, SyncChannel]) -> None:
    names = run_init(tmp_path, channel).names()
    assert names.index("seccomp_load") < names.index("setresuid")
    assert "set_no_new_privs" not in names


def test_masked_and_readonly_paths(tmp_path: Path,
                                   channel: tuple[SyncChannel, SyncChannel]) -> None:
    fake = run_init(tmp_path, channel)  # after the fake pivot_root, paths are the host's
    if Path("/proc/timer_list").exists():
        index(fake, "mount", "/dev/null", "/proc/timer_list", None, sc.MS_BIND)
    if Path("/proc/acpi").is_dir():
        index(fake, "mount", "tmpfs", "/proc/acpi", "tmpfs", sc.MS_RDONLY)
    assert not [c for c in fake.calls if "/proc/no-such-path" in c.args]
    remount = fake.calls[index(fake, "mount", "/proc/sys", "/proc/sys", None,
                               sc.MS_BIND | sc.MS_REMOUNT | sc.MS_RDONLY | sc.MS_REC
                               | (os.statvfs("/proc/sys").f_flag & 0xF))]
    assert int(str(remount.args[3])) & sc.MS_RDONLY
    root = [c for c in fake.calls if c.name == "mount" and c.args[1] == "/"][-1]
    assert int(str(root.args[3])) & (sc.MS_RDONLY | sc.MS_REMOUNT | sc.MS_BIND) == \
        sc.MS_RDONLY | sc.MS_REMOUNT | sc.MS_BIND


def test_bind_mount_with_options_is_remounted(tmp_path: Path,
                                              channel: tuple[SyncChannel, SyncChannel]) -> None:
    """rbind,ro,rprivate: a recursive copy of the source made read-only at its top, then
    attached to the target's fd, then made private through the copy's own fd."""
    fake = run_init(tmp_path, channel)
    rootfs = str((tmp_path / "bundle/rootfs").resolve())
    target = f"{rootfs}/etc/hosts"
    first = index(fake, "open_tree", "/etc/hosts", True)
    second = index(fake, "mount_setattr", "/etc/hosts", False, MOUNT_ATTR_RDONLY, 0)
    third = index(fake, "move_mount", "/etc/hosts", target)
    fourth = index(fake, "mount", None, target, None, sc.MS_PRIVATE | sc.MS_REC)
    assert first < second < third < fourth
    assert (tmp_path / "bundle/rootfs/etc/hosts").is_file()


def test_dev_symlinks_created(tmp_path: Path, channel: tuple[SyncChannel, SyncChannel]) -> None:
    run_init(tmp_path, channel)
    dev = tmp_path / "bundle/rootfs/dev"
    assert os.readlink(dev / "ptmx") == "pts/ptmx"
    assert os.readlink(dev / "stdin") == "/proc/self/fd/0"
    assert os.readlink(dev / "fd") == "/proc/self/fd"


def test_v1_cgroup_mount_binds_each_hierarchy(
        tmp_path: Path, channel: tuple[SyncChannel, SyncChannel]) -> None:
    fake = run_init(tmp_path, channel)
    rootfs = str((tmp_path / "bundle/rootfs").resolve())
    index(fake, "mount", "tmpfs", f"{rootfs}/sys/fs/cgroup", "tmpfs")
    index(fake, "move_mount", "/sys/fs/cgroup/memory/x", f"{rootfs}/sys/fs/cgroup/memory")


def test_exec_sequence_has_no_rootfs_steps(tmp_path: Path,
                                           channel: tuple[SyncChannel, SyncChannel]) -> None:
    names = run_init(tmp_path, channel, steps=EXEC_STEPS).names()
    assert "pivot_root" not in names and "mount" not in names and "mknod" not in names
    assert names[-1] == "execve"
    assert names.index("capset") < names.index("execve")


def test_close_fds_closes_all_but_stdio_preserved_and_our_own(
        tmp_path: Path, channel: tuple[SyncChannel, SyncChannel]) -> None:
    from wharf.runtime.oci.steps.process import LAST_FD, _gaps

    assert _gaps(4, [7, 9]) == [(4, 6), (8, 8), (10, LAST_FD)]
    assert _gaps(3, [3, 4]) == [(5, LAST_FD)]
    assert _gaps(3, []) == [(3, LAST_FD)]
    fake = run_init(tmp_path, channel)
    sync_fd = channel[1].fd
    closed = [call.args for call in fake.calls if call.name == "close_range"]
    assert closed == [(3, sync_fd - 1), (sync_fd + 1, LAST_FD)] if sync_fd > 3 else \
        [(4, LAST_FD)]
    assert fake.names().index("close_range") < fake.names().index("seccomp_load")
