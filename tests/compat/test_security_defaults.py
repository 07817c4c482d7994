"""The defaults SECURITY.md promises, observed from inside containers run by the docker CLI."""

from __future__ import annotations

from tests.support.daemons import Daemon

DEFAULT_CAPEFF = "00000000a80425fb"


def run_sh(wharfd: Daemon, script: str, *flags: str) -> str:
    return wharfd.docker("run", "--rm", *flags, "busybox", "sh", "-c", script).stdout.decode()


def test_default_capabilities(wharfd: Daemon) -> None:
    out = run_sh(wharfd, "grep -E '^Cap(Eff|Prm|Bnd)' /proc/self/status")
    values = dict(line.split(":\t") for line in out.strip().splitlines())
    assert values == {"CapEff": DEFAULT_CAPEFF, "CapPrm": DEFAULT_CAPEFF,
                      "CapBnd": DEFAULT_CAPEFF}


def test_cap_drop_and_add(wharfd: Daemon) -> None:
    out = run_sh(wharfd, "grep ^CapEff /proc/self/status", "--cap-drop", "ALL",
                 "--cap-add", "NET_ADMIN")
    assert out.split()[1] == f"{1 << 12:016x}"


def test_masked_and_readonly_paths(wharfd: Daemon) -> None:
    assert run_sh(wharfd, "wc -c < /proc/interrupts").strip() == "0"  # a masked file
    assert run_sh(wharfd, "ls -A /sys/firmware | wc -l").strip() == "0"
    out = run_sh(wharfd, "(echo x > /proc/sys/kernel/domainname) 2>/dev/null || echo proc-ro; "
                         "touch /sys/x 2>/dev/null || echo sys-ro")
    assert out.split() == ["proc-ro", "sys-ro"]


def test_seccomp_blocks_unshare_and_mount(wharfd: Daemon) -> None:
    out = run_sh(wharfd, "unshare -n true 2>&1 || echo unshare-blocked; "
                         "mount -t tmpfs t /mnt 2>&1 || echo mount-blocked")
    assert "unshare-blocked" in out and "mount-blocked" in out


def test_unconfined_and_privileged_lift_the_limits(wharfd: Daemon) -> None:
    out = run_sh(wharfd, "unshare -n true && echo unshare-ok", "--security-opt",
                 "seccomp=unconfined", "--cap-add", "SYS_ADMIN")
    assert "unshare-ok" in out


def test_no_fd_leaks_into_the_container(wharfd: Daemon) -> None:
    out = run_sh(wharfd, "ls /proc/self/fd")
    assert out.split() == ["0", "1", "2", "3"]  # 3 is ls's own directory handle


def test_pid_one_and_hostname(wharfd: Daemon) -> None:
    out = run_sh(wharfd, "echo $$; hostname", "--hostname", "box1")
    assert out.split() == ["1", "box1"]


def test_readonly_rootfs_and_user(wharfd: Daemon) -> None:
    out = run_sh(wharfd, "id -u; id -g; touch /x 2>/dev/null || echo rootfs-ro",
                 "--read-only", "--user", "nobody")
    assert out.split() == ["65534", "65534", "rootfs-ro"]


def test_pids_limit_contains_a_fork_bomb(wharfd: Daemon) -> None:
    # the bomb runs in a subshell that dies when fork fails; the rest uses only builtins
    script = ("(for i in $(seq 40); do sleep 5 & done) 2>/dev/null; "
              "d=/sys/fs/cgroup/pids; [ -e $d/pids.max ] || d=/sys/fs/cgroup; "
              "read max < $d/pids.max; read cur < $d/pids.current; echo $max $cur")
    out = wharfd.docker("run", "--rm", "--pids-limit", "16", "busybox", "sh", "-c",
                        script, timeout=60).stdout.decode().split()
    assert out[0] == "16"
    assert 8 <= int(out[1]) <= 16


def test_memory_limit_oom_kills_with_137(wharfd: Daemon) -> None:
    name = "oom-test"
    res = wharfd.docker("run", "--name", name, "-m", "16m", "--memory-swap", "16m", "busybox",
                        "sh", "-c", "x=$(head -c 64000000 /dev/zero | tr '\\0' a); echo $x",
                        check=False, timeout=60)
    try:
        assert res.returncode == 137
        oom = wharfd.docker("inspect", "-f", "{{.State.OOMKilled}}", name).stdout.strip()
        assert oom == b"true"
    finally:
        wharfd.docker("rm", "-f", name, check=False)


def test_cpus_sets_the_quota(wharfd: Daemon) -> None:
    v1 = "/sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us"
    out = run_sh(wharfd, f"cat {v1} 2>/dev/null || cat /sys/fs/cgroup/cpu.max", "--cpus", "0.5")
    assert out.split() == ["50000", "100000"]
