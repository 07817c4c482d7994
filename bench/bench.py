"""Side-by-side benchmarks: wharf against dockerd (Debian's docker.io) and the runc floor.

Run as root: ``.venv/bin/python bench/bench.py [--runs 10]``. Starts its own wharfd and, when
``dockerd`` is installed, its own dockerd, each on a private socket and data root, imports the
same busybox root filesystem into both, and prints medians and wharf/docker ratios for:
``run --rm busybox true``, ``ps`` with 50 running containers, 20 parallel ``run -d``,
``rm -f`` of 50, idle daemon RSS, per-container memory (PSS of shim + runtime) and the
``wharf version`` wall time. Every figure is the median of ``--runs`` samples (the memory
figures are one reading). Everything it starts it stops; nothing is sent off this machine.

wharf runs with compiled bytecode, as an installed package does: a session environment with
``PYTHONDONTWRITEBYTECODE`` would otherwise make every ``wharf`` command recompile its modules
(~100 ms). The bytecode goes to a private ``PYTHONPYCACHEPREFIX``, compiled before timing.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = REPO / ".venv" / "bin"
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(REPO / "src"))

from tests.support.daemons import (  # noqa: E402
    new_parent_cgroups_removed,
    private_bridge,
    sweep_network_leftovers,
    test_bridge_name,
    test_network_args,
)

from wharf.lib.bootstrap import busybox_rootfs_tar  # noqa: E402


@dataclass
class Engine:
    """One daemon under test and the CLI command that drives it."""

    name: str
    cli: list[str]
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def run(self, *args: str, check: bool = True, stdin: bytes | None = None) -> str:
        res = subprocess.run(
            [*self.cli, *args], env=self.env, input=stdin, capture_output=True, timeout=120
        )
        if check and res.returncode != 0:
            raise RuntimeError(f"{self.name}: {' '.join(args)}: {res.stderr.decode()[-500:]}")
        return res.stdout.decode()


def wait_for_socket(path: Path, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"daemon exited early with {proc.returncode}")
        if path.exists():
            return
        time.sleep(0.05)
    raise RuntimeError(f"no socket at {path} after {timeout}s")


def python_env(pycache: Path) -> dict[str, str]:
    """The environment for wharf's Python processes: bytecode cached under ``pycache``."""
    env = dict(os.environ, PYTHONPYCACHEPREFIX=str(pycache))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def compile_wharf(pycache: Path) -> None:
    subprocess.run([str(VENV_BIN / "python"), "-m", "compileall", "-q", str(REPO / "src")],
                   env=python_env(pycache), check=True, capture_output=True)


@contextlib.contextmanager
def wharfd(tmp: Path, pycache: Path, *extra_args: str) -> Iterator[Engine]:
    """A wharfd of the bench's own: its socket, roots, and a bridge and subnets of its own
    (never wharf0, which a wharfd of the host's may hold)."""
    sock = tmp / "wharf.sock"
    log = (tmp / "wharfd.log").open("wb")
    proc = subprocess.Popen(
        [str(VENV_BIN / "wharfd"), "--data-root", str(tmp / "data"), "-H", f"unix://{sock}",
         "--exec-root", str(tmp / "exec"), "--pidfile", str(tmp / "wharfd.pid"),
         *test_network_args(tmp), *extra_args],
        stdout=log, stderr=subprocess.STDOUT, env=python_env(pycache),
    )
    env = dict(python_env(pycache), WHARF_HOST=f"unix://{sock}")
    engine = Engine("wharf", [str(VENV_BIN / "wharf")], env, proc)
    try:
        wait_for_socket(sock, proc)
        engine.extra["data"] = str(tmp / "data")
        yield engine
    finally:
        stop_daemon(engine)
        sweep_network_leftovers(test_bridge_name(tmp))


@contextlib.contextmanager
def dockerd(tmp: Path) -> Iterator[Engine | None]:
    if shutil.which("dockerd") is None:
        yield None
        return
    sock = tmp / "docker.sock"
    log = (tmp / "dockerd.log").open("wb")
    # a bridge of its own (``--bridge none`` would delete another engine's docker0)
    with private_bridge("wbd") as bridge:
        proc = subprocess.Popen(
            ["dockerd", "--data-root", str(tmp / "data"), "--exec-root", str(tmp / "exec"),
             "-H", f"unix://{sock}", "--pidfile", str(tmp / "dockerd.pid"), "--bridge", bridge,
             "--iptables=false", "--ip6tables=false", "--storage-driver", "overlay2",
             "--cgroup-parent", "/wharf-test"],
            stdout=log, stderr=subprocess.STDOUT,
        )
        docker = shutil.which("docker") or "/usr/local/bin/docker"
        env = dict(os.environ, DOCKER_HOST=f"unix://{sock}")
        engine = Engine("docker", [docker], env, proc)
        try:
            wait_for_socket(sock, proc)
            yield engine
        finally:
            stop_daemon(engine)


def stop_daemon(engine: Engine) -> None:
    with contextlib.suppress(Exception):
        ids = engine.run("ps", "-aq", check=False).split()
        if ids:
            engine.run("rm", "-f", *ids, check=False)
    if engine.proc is not None and engine.proc.poll() is None:
        engine.proc.send_signal(signal.SIGTERM)
        try:
            engine.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            engine.proc.kill()
            engine.proc.wait()


def import_busybox(engine: Engine) -> None:
    buf = io.BytesIO()
    busybox_rootfs_tar(buf)
    engine.run("import", "-c", 'CMD ["sh"]', "-", "busybox:latest", stdin=buf.getvalue())


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def pss_kib(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def descendants(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True)
    children: dict[int, list[int]] = {}
    for line in out.stdout.splitlines():
        p, pp = (int(x) for x in line.split())
        children.setdefault(pp, []).append(p)
    found, todo = [], [pid]
    while todo:
        cur = todo.pop()
        for child in children.get(cur, []):
            found.append(child)
            todo.append(child)
    return found


def shim_pids(engine: Engine) -> list[int]:
    """wharf's shims: the pids recorded in each running container's directory."""
    pids = []
    for pidfile in Path(engine.extra["data"]).glob("containers/*/shim.pid"):
        with contextlib.suppress(ValueError, OSError):
            pids.append(int(pidfile.read_text().strip()))
    return pids


def docker_shim_pids() -> list[int]:
    out = subprocess.run(["pgrep", "-f", "containerd-shim-runc-v2"], capture_output=True,
                         text=True)
    return [int(p) for p in out.stdout.split()]


Results = dict[str, dict[str, float]]


def bench_run_rm(engine: Engine, runs: int) -> float:
    engine.run("run", "--rm", "--network", "none", "busybox", "true")
    return statistics.median(timed(
        lambda: engine.run("run", "--rm", "--network", "none", "busybox", "true"), runs))


def start_many(engine: Engine, count: int, parallel: int) -> list[str]:
    def one(_: int) -> str:
        return engine.run("run", "-d", "--network", "none", "busybox", "sleep", "600").strip()
    with ThreadPoolExecutor(parallel) as pool:
        return list(pool.map(one, range(count)))


def remove_timed(engine: Engine, ids: list[str]) -> float:
    start = time.perf_counter()
    engine.run("rm", "-f", *ids)
    return time.perf_counter() - start


def bench_engine(engine: Engine, runs: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    assert engine.proc is not None
    figures["idle_rss_mib"] = rss_kib(engine.proc.pid) / 1024
    figures["run_rm_s"] = bench_run_rm(engine, runs)
    parallel = []
    for _ in range(runs):
        start = time.perf_counter()
        started = start_many(engine, 20, 20)
        parallel.append(time.perf_counter() - start)
        engine.run("rm", "-f", *started)
    figures["parallel_run_d_20_s"] = statistics.median(parallel)
    ids = start_many(engine, 50, 4)
    figures["ps_50_s"] = statistics.median(timed(lambda: engine.run("ps"), runs))
    pids = shim_pids(engine) if engine.name == "wharf" else docker_shim_pids()
    if pids:
        figures["pss_per_container_mib"] = sum(pss_kib(p) for p in pids) / len(pids) / 1024
    removals = [remove_timed(engine, ids)]
    for _ in range(runs - 1):
        removals.append(remove_timed(engine, start_many(engine, 50, 4)))
    figures["rm_f_50_s"] = statistics.median(removals)
    return figures


def bench_runc_floor(tmp: Path, runs: int) -> float | None:
    runc = shutil.which("runc")
    if runc is None:
        return None
    from wharf.lib.bootstrap import build_busybox_rootfs

    bundle = tmp / "runc-bundle"
    build_busybox_rootfs(bundle / "rootfs")
    subprocess.run([runc, "spec"], cwd=bundle, check=True)
    spec = json.loads((bundle / "config.json").read_text())
    spec["process"]["terminal"] = False
    spec["process"]["args"] = ["true"]
    (bundle / "config.json").write_text(json.dumps(spec))
    root = tmp / "runc-root"
    counter = iter(range(10**6))
    return statistics.median(timed(lambda: subprocess.run(
        [runc, "--root", str(root), "run", "--bundle", str(bundle), f"bench-{next(counter)}"],
        check=True, capture_output=True), runs))


def print_table(wharf: dict[str, float], docker: dict[str, float] | None) -> None:
    print(f"{'figure':<28}{'wharf':>12}{'docker':>12}{'ratio':>10}")
    for key, value in wharf.items():
        other = docker.get(key) if docker else None
        ratio = f"{value / other:.2f}x" if other else "-"
        shown = f"{other:.3f}" if other is not None else "-"
        print(f"{key:<28}{value:>12.3f}{shown:>12}{ratio:>10}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with new_parent_cgroups_removed(), tempfile.TemporaryDirectory(prefix="wharf-bench-") as name:
        tmp = Path(name)
        (tmp / "w").mkdir()
        (tmp / "d").mkdir()
        pycache = tmp / "pycache"
        compile_wharf(pycache)
        version = statistics.median(timed(lambda: subprocess.run(
            [str(VENV_BIN / "wharf"), "version", "--format", "{{.Client.Version}}"],
            capture_output=True,
            env=dict(python_env(pycache), WHARF_HOST="unix:///nonexistent")),
            args.runs))
        with wharfd(tmp / "w", pycache) as w:
            import_busybox(w)
            wharf_figures = bench_engine(w, args.runs)
        docker_figures = None
        with dockerd(tmp / "d") as d:
            if d is not None:
                import_busybox(d)
                docker_figures = bench_engine(d, args.runs)
        floor = bench_runc_floor(tmp, args.runs)
    print_table(wharf_figures, docker_figures)
    print(f"{'wharf_version_client_s':<28}{version:>12.3f}")
    if floor is not None:
        print(f"{'runc_run_true_floor_s':<28}{floor:>12.3f}")


if __name__ == "__main__":
    main()
