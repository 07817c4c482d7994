"""Start real daemons for tests, each on a private socket and data root, and clean up after them.

``wharfd_running`` starts wharf's daemon; ``dockerd_running`` starts Debian's dockerd (when it is
installed) with extra runtimes. Both remove every container they hold before they stop, and then
sweep what a crashed test might have left: shims they started, mounts under their data root,
cgroups of their containers.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path

from wharf.lib.bootstrap import busybox_rootfs_tar

VENV_BIN = Path(sys.executable).parent
DOCKER_CLI = shutil.which("docker", path="/usr/local/bin:/usr/bin") or "docker"


class UnixHTTPConnection(HTTPConnection):
    """http.client over a unix socket (enough for test set-up and tear-down)."""

    def __init__(self, path: str, timeout: float = 60.0) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.socket_path)
        self.sock = sock


@dataclass
class Daemon:
    name: str
    socket_path: Path
    data_root: Path
    proc: subprocess.Popen[bytes]
    log_path: Path
    cgroup_parent: str = "wharf"  # where its containers' cgroups are, under each hierarchy

    @property
    def host(self) -> str:
        return f"unix://{self.socket_path}"

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        conn = UnixHTTPConnection(str(self.socket_path))
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def json(self, method: str, path: str, payload: object | None = None) -> object:
        body = None if payload is None else json.dumps(payload).encode()
        status, data = self.request(method, path, body, {"Content-Type": "application/json"})
        if status >= 400:
            raise AssertionError(f"{method} {path} -> {status}: {data[:300]!r}")
        return json.loads(data) if data else None

    def log_tail(self, size: int = 4000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-size:]
        return ""

    def docker_env(self) -> dict[str, str]:
        env = dict(os.environ, DOCKER_HOST=self.host, WHARF_HOST=self.host)
        env.pop("DOCKER_CONTEXT", None)
        return env

    def docker(self, *args: str, stdin: bytes | None = None, timeout: float = 60,
               check: bool = True) -> subprocess.CompletedProcess[bytes]:
        """Run the stock docker CLI against this daemon."""
        res = subprocess.run([DOCKER_CLI, *args], env=self.docker_env(), input=stdin,
                             capture_output=True, timeout=timeout)
        if check and res.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} -> {res.returncode}\n"
                                 f"stdout: {res.stdout!r}\nstderr: {res.stderr!r}\n"
                                 f"daemon log:\n{self.log_tail()}")
        return res


def busybox_tar() -> bytes:
    buf = io.BytesIO()
    busybox_rootfs_tar(buf)
    return buf.getvalue()


def wait_until_listening(daemon: Daemon, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if daemon.proc.poll() is not None:
            raise RuntimeError(f"{daemon.name} exited early:\n{daemon.log_tail()}")
        with contextlib.suppress(OSError):
            if daemon.request("GET", "/_ping")[0] == 200:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{daemon.name} did not answer in {timeout}s:\n{daemon.log_tail()}")


def remove_all_containers(daemon: Daemon) -> None:
    with contextlib.suppress(Exception):
        status, data = daemon.request("GET", "/containers/json?all=1")
        if status == 200:
            for entry in json.loads(data):
                daemon.request("DELETE", f"/containers/{entry['Id']}?force=1&v=1")


def remove_all_networks(daemon: Daemon) -> None:
    """The user-defined networks (a daemon keeps their bridges when it stops, as dockerd)."""
    with contextlib.suppress(Exception):
        status, data = daemon.request("GET", "/networks")
        if status == 200:
            for entry in json.loads(data):
                if entry["Name"] not in ("bridge", "host", "none"):
                    daemon.request("DELETE", f"/networks/{entry['Id']}")


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def sweep_mounts(under: Path) -> None:
    prefix = str(under)
    with open("/proc/self/mounts") as mounts:
        targets = [line.split()[1] for line in mounts]
    for target in reversed(targets):
        decoded = target.encode().decode("unicode_escape")
        if decoded.startswith(prefix):
            subprocess.run(["umount", "-l", decoded], capture_output=True)


def sweep_shims(data_root: Path) -> list[str]:
    """Container ids whose shims (started by this daemon) were still alive; they are killed."""
    leftovers = []
    for pidfile in data_root.glob("containers/*/shim.pid"):
        with contextlib.suppress(ValueError, OSError):
            pid = int(pidfile.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if str(data_root).encode() in cmdline or b"wharf" in cmdline:
                os.kill(pid, signal.SIGKILL)
                leftovers.append(pidfile.parent.name)
    return leftovers


def sweep_cgroups(container_ids: list[str]) -> None:
    for container_id in container_ids:
        for path in Path("/sys/fs/cgroup").glob(f"*/wharf/{container_id}"):
            with contextlib.suppress(OSError):
                path.rmdir()
        with contextlib.suppress(OSError):
            Path(f"/sys/fs/cgroup/wharf/{container_id}").rmdir()


def test_network_args(tmp: Path) -> list[str]:
    """A default bridge, subnet and address pool of the test daemon's own, the same for every
    start on ``tmp`` (a restart finds its network): never wharf0 or another daemon's."""
    n = zlib.crc32(str(tmp.resolve()).encode())
    return ["--bridge", test_bridge_name(tmp), "--bip", f"10.214.{n % 250 + 1}.1/24",
            "--default-address-pool", f"base=10.{216 + n % 20}.0.0/16,size=24"]


def test_bridge_name(tmp: Path) -> str:
    return f"wtw{zlib.crc32(str(tmp.resolve()).encode()) % 10**8}"


def start_wharfd(tmp: Path, *extra_args: str, log_name: str = "wharfd.log") -> Daemon:
    """A wharfd on ``tmp`` (its socket, data root and exec root there), answering pings.
    Starting it again on the same ``tmp`` is a daemon restart. Unless ``extra_args`` name a
    bridge, the daemon gets its own (``test_network_args``)."""
    tmp.mkdir(parents=True, exist_ok=True)
    if "--bridge" not in extra_args:
        extra_args = (*test_network_args(tmp), *extra_args)
    sock, data, log = tmp / "wharf.sock", tmp / "data", tmp / log_name
    with log.open("ab") as log_file:
        proc = subprocess.Popen(
            [str(VENV_BIN / "wharfd"), "--data-root", str(data), "-H", f"unix://{sock}",
             "--exec-root", str(tmp / "exec"), "--pidfile", str(tmp / "wharfd.pid"), *extra_args],
            stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    daemon = Daemon("wharfd", sock, data, proc, log)
    try:
        wait_until_listening(daemon)
    except BaseException:
        stop_process(proc)
        raise
    return daemon


def shut_down_wharfd(daemon: Daemon, tmp: Path) -> None:
    """Remove every container ``daemon`` holds, stop it, and sweep what is left under ``tmp``."""
    remove_all_containers(daemon)
    remove_all_networks(daemon)
    stop_process(daemon.proc)
    container_ids = [p.name for p in daemon.data_root.glob("containers/*")]
    sweep_shims(daemon.data_root)
    time.sleep(0.1)
    sweep_mounts(tmp)
    sweep_cgroups(container_ids)
    sweep_network_leftovers(test_bridge_name(tmp))


def sweep_network_leftovers(bridge: str) -> None:
    """The test daemon's default bridge (a daemon keeps it when it stops, as dockerd keeps
    docker0), and every iptables rule (nat and filter, IPv4 and IPv6) that names it as an
    input or output interface; nothing else (chains stay: they are shared)."""
    for binary in filter(shutil.which, ("iptables", "ip6tables")):
        for table in ("nat", "filter"):
            listing = subprocess.run([binary, "-t", table, "-S"], capture_output=True,
                                     text=True).stdout
            for line in listing.splitlines():
                words = shlex.split(line)
                named = [w for i, w in enumerate(words[1:], 1) if words[i - 1] in ("-i", "-o")]
                if words[:1] == ["-A"] and bridge in named:
                    subprocess.run([binary, "-t", table, "-D", *words[1:]], capture_output=True)
    subprocess.run(["ip", "link", "del", bridge], capture_output=True)


@contextlib.contextmanager
def wharfd_running(tmp: Path, *extra_args: str) -> Iterator[Daemon]:
    """A wharfd on ``tmp``; every container is removed and every leftover swept at the end."""
    daemon = start_wharfd(tmp, *extra_args)
    try:
        yield daemon
    finally:
        shut_down_wharfd(daemon, tmp)


def state_of(daemon: Daemon, container: str) -> dict[str, object]:
    """The ``State`` object of a container's inspect."""
    inspected = daemon.json("GET", f"/containers/{container}/json")
    assert isinstance(inspected, dict)
    return dict(inspected["State"])


def import_busybox(daemon: Daemon, ref: str = "busybox:latest") -> None:
    repo, tag = ref.rsplit(":", 1)
    changes = "CMD%20%5B%22sh%22%5D"  # CMD ["sh"]
    status, data = daemon.request(
        "POST", f"/images/create?fromSrc=-&repo={repo}&tag={tag}&changes={changes}",
        busybox_tar(), {"Content-Type": "application/x-tar"})
    assert status == 200, data


@contextlib.contextmanager
def private_bridge(prefix: str = "wtd") -> Iterator[str]:
    """A bridge of the test's own (a /24 in 10.213.0.0/16 that no host route uses), deleted
    after. A dockerd given ``--bridge none`` deletes docker0, the bridge another Docker engine
    on the host uses: a test dockerd gets this one instead."""
    name = f"{prefix}{os.getpid() % 100000}"
    routes = subprocess.run(["ip", "-4", "route", "show"], capture_output=True,
                            text=True).stdout
    third = next(n for n in range(1 + os.getpid() % 200, 256)
                 if f"10.213.{n}." not in routes)
    subprocess.run(["ip", "link", "add", name, "type", "bridge"], check=True)
    try:
        subprocess.run(["ip", "addr", "add", f"10.213.{third}.1/24", "dev", name], check=True)
        subprocess.run(["ip", "link", "set", name, "up"], check=True)
        yield name
    finally:
        subprocess.run(["ip", "link", "del", name], capture_output=True)


@contextlib.contextmanager
def dockerd_running(tmp: Path, runtimes: dict[str, str], *extra_args: str) -> Iterator[Daemon]:
    """Debian's dockerd with extra OCI runtimes, on ``tmp``: its own data root, exec root,
    socket, bridge and cgroup parent, no firewall rules; it never touches another engine's."""
    tmp.mkdir(parents=True, exist_ok=True)
    sock, data, log = tmp / "docker.sock", tmp / "data", tmp / "dockerd.log"
    cgroup_parent = f"wharf-test-dockerd-{os.getpid()}"
    with contextlib.ExitStack() as stack:
        bridge = stack.enter_context(private_bridge())
        args = ["dockerd", "--data-root", str(data), "--exec-root", str(tmp / "exec"),
                "-H", f"unix://{sock}", "--pidfile", str(tmp / "dockerd.pid"),
                "--bridge", bridge, "--iptables=false", "--ip6tables=false",
                "--ip-masq=false", "--cgroup-parent", f"/{cgroup_parent}"]
        for name, path in runtimes.items():
            args += ["--add-runtime", f"{name}={path}"]
        args += extra_args
        # a Python runtime started per call should find compiled bytecode, as an installed one
        # does; keep it in the test's own directory, not in the source tree
        env = dict(os.environ, PYTHONPYCACHEPREFIX=str(tmp / "pycache"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        with log.open("wb") as log_file:
            proc = subprocess.Popen(args, stdout=log_file, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=env)
        daemon = Daemon("dockerd", sock, data, proc, log, cgroup_parent)
        try:
            wait_until_listening(daemon)
            yield daemon
        finally:
            remove_all_containers(daemon)
            stop_process(proc)
            sweep_mounts(tmp)
            for parent in [*Path("/sys/fs/cgroup").glob(f"*/{cgroup_parent}"),
                           Path("/sys/fs/cgroup") / cgroup_parent]:
                remove_empty_cgroup_tree(parent)


TEST_CGROUP_PARENTS = ("wharf", "wharf-test")  # where test daemons put their containers


def existing_parent_cgroups() -> set[Path]:
    """Every test parent cgroup directory there is now, in every hierarchy."""
    root = Path("/sys/fs/cgroup")
    return {p for name in TEST_CGROUP_PARENTS for p in [*root.glob(f"*/{name}"), root / name]
            if p.is_dir()}


@contextlib.contextmanager
def new_parent_cgroups_removed() -> Iterator[None]:
    """On leaving: the test parents made meanwhile, where empty (kept by path: a wharfd of the
    host's own may use ``wharf``, in some hierarchies and not others). For a test session or
    a benchmark run as a whole, never around one daemon: others may share a parent."""
    before = existing_parent_cgroups()
    try:
        yield
    finally:
        for parent in existing_parent_cgroups() - before:
            remove_empty_cgroup_tree(parent)


def remove_empty_cgroup_tree(top: Path) -> None:
    """``top`` and the empty cgroups below it, deepest first (dockerd makes a ``buildkit``
    child under its cgroup parent, which a plain rmdir of the parent leaves behind); one
    that still holds a process stays."""
    if not top.is_dir():
        return
    for directory, _, _ in sorted(os.walk(top), key=lambda entry: -len(entry[0])):
        with contextlib.suppress(OSError):
            os.rmdir(directory)


@contextlib.contextmanager
def dockerd_with_busybox(tmp: Path, runtimes: dict[str, str] | None = None
                         ) -> Iterator[Daemon]:
    """``dockerd_running`` with busybox imported as ``busybox:latest`` (``CMD ["sh"]``)."""
    with dockerd_running(tmp, runtimes or {}) as daemon:
        daemon.docker("import", "-c", 'CMD ["sh"]', "-", "busybox:latest", stdin=busybox_tar())
        yield daemon
