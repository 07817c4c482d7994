"""Containers run through the Python API: what a process inside sees and can do."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wharf.runtime import oci
from wharf.runtime.cgroups import open_cgroup

from .bundles import docker_config
from .helpers import run_captured

MakeBundle = Callable[[dict[str, Any]], Path]


def run_sh(make_bundle: MakeBundle, state_root: Path, container_id: str, script: str,
           **options: Any) -> tuple[int, str]:
    config = docker_config(["sh", "-c", script], container_id, **options)
    result = run_captured(state_root, container_id, make_bundle(config))
    return result.exit_code, result.output


def test_echo_and_exit_code(make_bundle: MakeBundle, state_root: Path,
                            container_id: str) -> None:
    assert run_sh(make_bundle, state_root, container_id, "echo ok; exit 3") == (3, "ok\n")


def test_hostname_and_pid_namespace(make_bundle: MakeBundle, state_root: Path,
                                    container_id: str) -> None:
    code, output = run_sh(make_bundle, state_root, container_id, "hostname; echo $$")
    assert (code, output.split()) == (0, ["wharftest", "1"])


def test_sysctl_and_domainname(make_bundle: MakeBundle, state_root: Path,
                               container_id: str) -> None:
    config = docker_config(["sh", "-c", "cat /proc/sys/net/ipv4/ip_unprivileged_port_start "
                            "/proc/sys/kernel/domainname"], container_id)
    config["domainname"] = "example.test"
    result = run_captured(state_root, container_id, make_bundle(config))
    assert (result.exit_code, result.output) == (0, "0\nexample.test\n")


def test_default_capabilities(make_bundle: MakeBundle, state_root: Path,
                              container_id: str) -> None:
    _, output = run_sh(make_bundle, state_root, container_id,
                       "grep -E '^Cap(Eff|Bnd|Prm)' /proc/self/status")
    assert output.split() == ["CapPrm:", "00000000a80425fb", "CapEff:", "00000000a80425fb",
                              "CapBnd:", "00000000a80425fb"]


def test_masked_and_readonly_paths(make_bundle: MakeBundle, state_root: Path,
                                   container_id: str) -> None:
    script = ("wc -c < /proc/timer_list; ls -A /proc/acpi | wc -l; "
              "echo 1 > /proc/sys/kernel/printk_ratelimit && echo writable; "
              "grep -E ' /proc/sys | /sys ' /proc/mounts | cut -d' ' -f2,4 | cut -d, -f1")
    code, output = run_sh(make_bundle, state_root, container_id, script)
    lines = output.splitlines()
    assert code == 0
    assert lines[:2] == ["0", "0"]
    assert "writable" not in output and "Read-only file system" in output
    assert sorted(lines[-2:]) == ["/proc/sys ro", "/sys ro"]


def test_seccomp_blocks_unshare_and_mount(make_bundle: MakeBundle, state_root: Path,
                                          container_id: str) -> None:
    script = "unshare -m true; echo unshare=$?; mount -t tmpfs t /mnt; echo mount=$?"
    _, output = run_sh(make_bundle, state_root, container_id, script)
    assert "unshare=1" in output and "mount=" in output and "mount=0" not in output
    assert "Operation not permitted" in output


def test_no_fd_leaks_into_the_container(make_bundle: MakeBundle, state_root: Path,
                                        container_id: str, tmp_path: Path) -> None:
    import os

    leaked = os.open(tmp_path, os.O_RDONLY)  # an inheritable fd of the "daemon"
    os.set_inheritable(leaked, True)
    try:
        _, output = run_sh(make_bundle, state_root, container_id, "ls /proc/self/fd")
    finally:
        os.close(leaked)
    assert output.split() == ["0", "1", "2", "3"]  # 3 is ls's own directory fd


def test_cgroup_limits_applied(make_bundle: MakeBundle, state_root: Path,
                               container_id: str) -> None:
    cgroup = open_cgroup(f"/wharf-test/{container_id}")
    sources = cgroup.mount_sources()
    if "memory" not in sources:
        pytest.skip("checks the v1 layout of this host")
    script = ("cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max; "
              "cat /proc/self/cgroup | grep -E ':(memory|pids):'")
    code, output = run_sh(make_bundle, state_root, container_id, script)
    lines = output.splitlines()
    assert code == 0
    assert lines[:2] == ["67108864", "64"]
    assert all(line.endswith(f"/wharf-test/{container_id}") for line in lines[2:])
    assert not any(path.exists() for path in sources.values())  # delete removed them


def test_no_pivot_uses_chroot(make_bundle: MakeBundle, state_root: Path,
                              container_id: str) -> None:
    bundle = make_bundle(docker_config(["sh", "-c", "ls /bin/busybox; hostname"],
                                       container_id))
    result = run_captured(state_root, container_id, bundle, no_pivot=True)
    assert (result.exit_code, result.output) == (0, "/bin/busybox\nwharftest\n")


def test_readonly_rootfs(make_bundle: MakeBundle, state_root: Path,
                         container_id: str) -> None:
    code, output = run_sh(make_bundle, state_root, container_id, "touch /x", readonly=True)
    assert code == 1 and "Read-only file system" in output


def test_user_and_groups(make_bundle: MakeBundle, state_root: Path, container_id: str) -> None:
    config = docker_config(["id"], container_id)
    config["process"]["user"] = {"uid": 65534, "gid": 65534, "additionalGids": [100]}
    result = run_captured(state_root, container_id, make_bundle(config))
    assert result.output.split() == ["uid=65534(nobody)", "gid=65534(nogroup)",
                                     "groups=100(users)"]


@pytest.mark.parametrize(("args", "message"), [
    (["nosuch"], 'exec: "nosuch": executable file not found in $PATH'),
    (["/etc"], 'exec: "/etc": permission denied'),
    (["/nosuch"], 'exec: "/nosuch": stat /nosuch: no such file or directory'),
])
def test_missing_executable_is_a_create_error(make_bundle: MakeBundle, state_root: Path,
                                              container_id: str, args: list[str],
                                              message: str) -> None:
    bundle = make_bundle(docker_config(args, container_id))
    with pytest.raises(oci.RuntimeCreateError) as caught:
        oci.create(state_root, container_id, bundle)
    assert str(caught.value) == message
    assert not (state_root / container_id).exists()
    assert not any(p.exists() for p in
                   open_cgroup(f"/wharf-test/{container_id}").mount_sources().values())


def test_docker_default_spec_with_no_new_privileges(make_bundle: MakeBundle, state_root: Path,
                                                    container_id: str) -> None:
    """The spec builder's Docker defaults (moby's full seccomp profile) run unchanged."""
    from wharf.runtime.spec import default_spec

    config = default_spec(args=["sh", "-c", "grep -E '^(CapEff|NoNewPrivs|Seccomp):' "
                                "/proc/self/status; unshare -m true || echo blocked"])
    config["process"]["noNewPrivileges"] = True
    config["linux"]["cgroupsPath"] = f"/wharf-test/{container_id}"
    result = run_captured(state_root, container_id, make_bundle(config))
    assert result.exit_code == 0, result.output
    assert result.output.split("\n")[:3] == ["CapEff:\t00000000a80425fb", "NoNewPrivs:\t1",
                                             "Seccomp:\t2"]
    assert result.output.endswith("blocked\n")


def test_signals_start_at_their_defaults(make_bundle: MakeBundle, state_root: Path,
                                         container_id: str) -> None:
    """Python's own SIG_IGN for SIGPIPE/SIGXFSZ must not survive into the container."""
    import signal

    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as a daemon or shim would
    try:
        config = docker_config(["grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status"],
                               container_id)
        output = run_captured(state_root, container_id, make_bundle(config)).output
    finally:
        signal.signal(signal.SIGHUP, previous)
    assert output.split() == ["SigBlk:", "0000000000000000", "SigIgn:", "0000000000000000"]
