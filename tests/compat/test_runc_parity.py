"""The same bundles through runc and ``wharf-runtime``: the same outcome.

What the OCI runtime validation suite (opencontainers/runtime-tools) checks and runc passes,
in our own words: a seccomp profile of the older kind (default action ERRNO, no close_range or
other recent calls) with create/start/exec; user namespaces with uid/gid mappings; joining
namespaces by path; a namespace type without a path (a new one); a cgroup namespace; an
unknown capability (the spec's MUST: an error); the shapes of state/kill/delete.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.integration.runtime_oci.bundles import DOCKER_CAPS, docker_config
from wharf.lib.bootstrap import build_busybox_rootfs
from wharf.runtime.cgroups import open_cgroup
from wharf.runtime.seccomp_profile import default_profile, host, to_oci

RUNC = "/usr/sbin/runc"
RUNTIMES = {"runc": [RUNC], "wharf": [sys.executable, "-m", "wharf.runtime.oci.main"]}
TIMEOUT = 30
# syscalls newer than the profiles runtime-tools ships (Linux 5.x and later)
RECENT_SYSCALLS = {
    "cachestat", "clone3", "close_range", "epoll_pwait2", "faccessat2", "fchmodat2",
    "fsconfig", "fsmount", "fsopen", "fspick", "futex_requeue", "futex_wait", "futex_waitv",
    "futex_wake", "getxattrat", "io_pgetevents", "io_uring_enter", "io_uring_register",
    "io_uring_setup", "landlock_add_rule", "landlock_create_ruleset",
    "landlock_restrict_self", "listmount", "listxattrat", "map_shadow_stack", "memfd_secret",
    "mount_setattr", "move_mount", "mseal", "open_tree", "openat2", "pidfd_getfd",
    "pidfd_open", "pidfd_send_signal", "process_madvise", "process_mrelease",
    "removexattrat", "rseq", "set_mempolicy_home_node", "setxattrat", "statmount", "statx",
}

pytestmark = [pytest.mark.root,
              pytest.mark.skipif(not Path(RUNC).exists(), reason="runc is not installed")]


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


@dataclass
class Runtime:
    """One runtime's command line, its state root, and the containers it was asked for."""

    name: str
    root: Path
    ids: list[str]

    def call(self, *args: str, stdin: int | None = subprocess.DEVNULL) -> Outcome:
        result = subprocess.run([*RUNTIMES[self.name], "--root", str(self.root), *args],
                                stdin=stdin, capture_output=True, text=True,
                                timeout=TIMEOUT, check=False)
        return Outcome(result.returncode, result.stdout, result.stderr)

    def run(self, bundle: Path, container_id: str) -> Outcome:
        self.ids.append(container_id)
        return self.call("run", "--bundle", str(bundle), container_id)

    def detached(self, command: str, bundle: Path, container_id: str) -> Outcome:
        """create / run -d: the init keeps stdio, so give it files, not our pipes."""
        self.ids.append(container_id)
        out = bundle / f"{container_id}.out"
        with open(out, "w") as sink:
            code = subprocess.run([*RUNTIMES[self.name], "--root", str(self.root), command,
                                   *(["--detach"] if command == "run" else []),
                                   "--bundle", str(bundle), container_id],
                                  stdin=subprocess.DEVNULL, stdout=sink, stderr=sink,
                                  timeout=TIMEOUT, check=False).returncode
        return Outcome(code, out.read_text(), "")

    def state(self, container_id: str) -> dict[str, Any]:
        outcome = self.call("state", container_id)
        assert outcome.code == 0, outcome
        return dict(json.loads(outcome.out))

    def cleanup(self) -> None:
        for container_id in self.ids:
            self.call("delete", "--force", container_id)
            with contextlib.suppress(OSError):
                open_cgroup(f"/wharf-test/{container_id}").remove()


@pytest.fixture(scope="module")
def rootfs_template() -> Iterator[Path]:
    work = Path(tempfile.mkdtemp(prefix="wharf-parity-"))
    try:
        yield build_busybox_rootfs(work / "rootfs")
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture
def place() -> Iterator[Path]:
    """A directory everyone may traverse (a user namespace's root must reach the rootfs)."""
    work = Path(tempfile.mkdtemp(prefix="wharf-parity-", dir="/tmp"))
    work.chmod(0o755)
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(params=["runc", "wharf"])
def runtime(request: pytest.FixtureRequest, place: Path) -> Iterator[Runtime]:
    runtime = Runtime(str(request.param), place / f"state-{request.param}", [])
    try:
        yield runtime
    finally:
        runtime.cleanup()


MakeBundle = Callable[..., tuple[Path, str]]


@pytest.fixture
def bundle(place: Path, rootfs_template: Path) -> MakeBundle:
    """A bundle with a fresh copy of busybox and a docker-like config; ``change`` edits it."""
    def make(args: list[str], change: Callable[[dict[str, Any]], None] | None = None
             ) -> tuple[Path, str]:
        container_id = "wp-" + uuid.uuid4().hex[:10]
        path = place / container_id
        path.mkdir(mode=0o755)
        shutil.copytree(rootfs_template, path / "rootfs", symlinks=True)
        config = docker_config(args, container_id)
        config["linux"].pop("sysctl")  # not every case can set them (user namespaces)
        if change is not None:
            change(config)
        (path / "config.json").write_text(json.dumps(config))
        return path, container_id
    return make


def old_seccomp_profile() -> dict[str, Any]:
    """moby's default profile without the recent system calls: default action ERRNO."""
    profile = to_oci(default_profile(), DOCKER_CAPS, host())  # the moby profile wharf ships
    rules = []
    for rule in profile["syscalls"]:
        names = [name for name in rule["names"] if name not in RECENT_SYSCALLS]
        if names and rule["action"] == "SCMP_ACT_ALLOW":
            rules.append({**rule, "names": names})
    return {**profile, "syscalls": rules}


def with_seccomp(nnp: bool) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        config["linux"]["seccomp"] = old_seccomp_profile()
        config["process"]["noNewPrivileges"] = nnp
    return change


@pytest.mark.parametrize("nnp", [False, True], ids=["privileged-load", "no-new-privs"])
def test_old_seccomp_profile_create_start_exec(runtime: Runtime, bundle: MakeBundle,
                                               nnp: bool) -> None:
    path, container_id = bundle(["sh", "-c", "echo ok; sleep 30"], with_seccomp(nnp))
    started = runtime.detached("run", path, container_id)
    assert started.code == 0, started
    process = path / "process.json"
    process.write_text(json.dumps({"args": ["sh", "-c", "echo exec-ok"], "cwd": "/tmp",
                                   "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0}}))
    result = runtime.call("exec", "--process", str(process), container_id)
    assert (result.code, result.out) == (0, "exec-ok\n"), result
    blocked = runtime.call("exec", container_id, "sh", "-c", "unshare -r true; echo rc=$?")
    assert "rc=1" in blocked.out, blocked  # still filtered: unshare is not in the profile


def user_namespace(config: dict[str, Any]) -> None:
    config["linux"]["namespaces"].append({"type": "user"})
    config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
    config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 300000, "size": 65536}]


def test_user_namespace_maps_ids(runtime: Runtime, bundle: MakeBundle) -> None:
    script = ("id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; "
              "touch /tmp/made-inside; chown 5:6 /tmp/made-inside; ls -n /tmp/made-inside")
    path, container_id = bundle(["sh", "-c", script], user_namespace)
    (path / "rootfs/tmp").chmod(0o1777)
    result = runtime.run(path, container_id)
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert lines[:2] == ["0", "0"], result
    assert lines[2].split() == ["0", "200000", "65536"]
    assert lines[3].split() == ["0", "300000", "65536"]
    assert lines[4].split()[2:4] == ["5", "6"], result
    made = (path / "rootfs/tmp/made-inside").stat()
    assert (made.st_uid, made.st_gid) == (200005, 300006)


def test_user_namespace_without_mappings_is_refused(runtime: Runtime,
                                                    bundle: MakeBundle) -> None:
    def no_maps(config: dict[str, Any]) -> None:
        config["linux"]["namespaces"].append({"type": "user"})
    path, container_id = bundle(["true"], no_maps)
    result = runtime.detached("create", path, container_id)
    assert result.code != 0
    assert "User namespaces enabled, but no uid mappings found" in result.out + result.err, \
        result


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if int(stat.read_text().rpartition(")")[2].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


@contextlib.contextmanager
def namespace_holder() -> Iterator[int]:
    """A process in new net, uts, ipc and pid namespaces (pid 1 of the last): its pid."""
    holder = subprocess.Popen(["unshare", "--net", "--uts", "--ipc", "--pid", "--fork",
                               "--kill-child", "sleep", "60"])
    try:
        deadline = time.monotonic() + 10
        child = None
        while child is None and time.monotonic() < deadline:
            child = next(iter(children_of(holder.pid)), None)
            time.sleep(0.01)
        assert child is not None, "unshare did not start its child"
        yield child
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)


NS_KINDS = ("net", "uts", "ipc", "pid")
SPEC_KIND = {"net": "network", "uts": "uts", "ipc": "ipc", "pid": "pid"}


def test_namespaces_joined_by_path(runtime: Runtime, bundle: MakeBundle) -> None:
    script = "for k in net uts ipc pid; do readlink /proc/self/ns/$k; done"
    with namespace_holder() as holder:
        def join(config: dict[str, Any]) -> None:
            config["linux"]["namespaces"] = [{"type": "mount"}] + [
                {"type": SPEC_KIND[kind], "path": f"/proc/{holder}/ns/{kind}"}
                for kind in NS_KINDS]
        path, container_id = bundle(["sh", "-c", script], join)
        result = runtime.run(path, container_id)
        expected = [os.readlink(f"/proc/{holder}/ns/{kind}") for kind in NS_KINDS]
    assert (result.code, result.out.split()) == (0, expected), result


def test_namespace_types_without_path_are_new(runtime: Runtime, bundle: MakeBundle) -> None:
    script = "for k in net uts ipc pid mnt cgroup; do readlink /proc/self/ns/$k; done"

    def all_new(config: dict[str, Any]) -> None:
        config["linux"]["namespaces"] = [{"type": kind} for kind in
                                         ("mount", "network", "uts", "ipc", "pid", "cgroup")]
    path, container_id = bundle(["sh", "-c", script], all_new)
    result = runtime.run(path, container_id)
    assert result.code == 0, result
    ours = [os.readlink(f"/proc/self/ns/{kind}")
            for kind in ("net", "uts", "ipc", "pid", "mnt", "cgroup")]
    theirs = result.out.split()
    assert len(theirs) == len(ours)
    assert all(a != b for a, b in zip(theirs, ours, strict=True)), (theirs, ours)


def test_cgroup_namespace_shows_its_own_cgroup_as_root(runtime: Runtime,
                                                       bundle: MakeBundle) -> None:
    def cgroupns(config: dict[str, Any]) -> None:
        config["linux"]["namespaces"].append({"type": "cgroup"})
    path, container_id = bundle(["cat", "/proc/self/cgroup"], cgroupns)
    result = runtime.run(path, container_id)
    assert result.code == 0, result
    memory = [line for line in result.out.splitlines() if ":memory:" in line or
              line.startswith("0::")]
    assert memory and all(line.endswith(":/") for line in memory), result.out


def test_unknown_capability_fails_create(runtime: Runtime, bundle: MakeBundle) -> None:
    if runtime.name == "runc":
        pytest.skip("runc 1.1 ignores unknown capabilities with a warning; the runtime spec "
                    "(and runtime-tools' process_capabilities_fail) want an error")

    def unknown(config: dict[str, Any]) -> None:
        config["process"]["capabilities"]["bounding"].append("CAP_TEST")
    path, container_id = bundle(["true"], unknown)
    result = runtime.detached("create", path, container_id)
    assert result.code != 0
    assert 'unknown capability "CAP_TEST"' in result.out, result
    assert runtime.call("state", container_id).code != 0  # nothing was left behind


def test_state_kill_delete_shapes(runtime: Runtime, bundle: MakeBundle) -> None:
    path, container_id = bundle(["sleep", "30"])
    assert runtime.detached("create", path, container_id).code == 0
    created = runtime.state(container_id)
    assert {"ociVersion", "id", "pid", "status", "bundle", "created"} <= created.keys()
    assert (created["id"], created["status"], created["bundle"]) == \
        (container_id, "created", str(path))
    assert runtime.call("start", container_id).code == 0
    assert runtime.state(container_id)["status"] == "running"
    assert runtime.call("kill", container_id, "KILL").code == 0
    deadline = time.monotonic() + 10
    while runtime.state(container_id)["status"] != "stopped" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert runtime.state(container_id)["status"] == "stopped"
    assert runtime.call("delete", container_id).code == 0
    assert runtime.call("state", container_id).code != 0
    assert runtime.call("delete", container_id).code != 0
    assert runtime.call("delete", "--force", container_id).code == 0


def test_exec_joins_the_user_namespace(runtime: Runtime, bundle: MakeBundle) -> None:
    path, container_id = bundle(["sleep", "30"], user_namespace)
    assert runtime.detached("run", path, container_id).code == 0
    result = runtime.call("exec", container_id, "sh", "-c",
                          "id -u; cat /proc/self/uid_map; readlink /proc/self/ns/user")
    init = runtime.state(container_id)["pid"]
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert lines[0] == "0" and lines[1].split() == ["0", "200000", "65536"], result
    assert lines[2] == os.readlink(f"/proc/{init}/ns/user")
