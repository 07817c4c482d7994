"""Build side by side: wharfd against dockerd (Debian's docker.io), one Dockerfile, one base.

Run as root: ``.venv/bin/python bench/build.py [--runs 5] [--files-mb 8]
[--engines wharf,docker]``. The base is a Debian 12 minbase root filesystem made with
debootstrap and cached (``tests/support/debian.py``; the first run makes it), imported into
each engine as ``bench-debian:12``. The context holds ``--files-mb`` of random files (new on
every invocation, the same for both engines) and a Dockerfile of 8 steps: FROM, ENV, WORKDIR,
COPY of the files, a RUN that writes ~200 small files and a 4 MB one, LABEL, EXPOSE, CMD.

For each engine, on a private daemon (its own data root, exec root, socket; dockerd also its
own bridge, ``tests/support/daemons.py``), with the same client for both, the stock CLI as
``DOCKER_BUILDKIT=0 docker build``:

- cold: ``build --no-cache`` — ``--runs`` times, the previous result removed (untimed) first;
- cached: ``build`` again with nothing changed — ``--runs`` times; every step after FROM must
  print ``Using cache`` and the image id must be the cold one's.

Each sample starts after an untimed ``sync`` (the previous run's writeback stays out of it).
Every build is checked (``Successfully built <id>``; a cold one prints no ``Using cache``) and
the image runs once per engine (its RUN's files are there) before the figures count. Prints
medians, every sample and the wharf/docker ratios (targets: cold <= 0.8x, cached <= 0.5x). An
engine whose build fails is reported with its error; the other's figures still print.
Nothing leaves 127.0.0.1 (debootstrap aside, which reaches Debian's mirror once per cache).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(REPO / "src"))

from side_by_side import EngineFigures, fmt, report_figures, rounded  # noqa: E402
from tests.support.daemons import (  # noqa: E402
    Daemon,
    dockerd_running,
    new_parent_cgroups_removed,
    wharfd_running,
)
from tests.support.debian import RootfsTar, debian_rootfs_tar, import_rootfs  # noqa: E402

TARGETS = {"cold": 0.8, "cached": 0.5}
BASE = "bench-debian:12"
TAG = "bench/build:latest"
DOCKERFILE = f"""\
FROM {BASE}
ENV BENCH=1 LANG=C.UTF-8
WORKDIR /app
COPY files/ /app/files/
RUN mkdir -p out && for i in $(seq 1 200); do echo "$i" > out/f$i; done \\
 && dd if=/dev/urandom of=out/blob bs=1M count=4 status=none && ls files | wc -l > out/count
LABEL org.example.bench=build
EXPOSE 8080
CMD ["cat", "/app/out/count"]
"""
STEPS = sum(1 for line in DOCKERFILE.splitlines() if line and line[0].isalpha())
BUILT = re.compile(rb"Successfully built ([0-9a-f]{12})")


@dataclass
class Figures(EngineFigures):
    cold: list[float] = field(default_factory=list)
    cached: list[float] = field(default_factory=list)
    import_s: float | None = None


def docker_cli() -> str:
    return shutil.which("docker", path="/usr/local/bin:/usr/bin") or "docker"


def run_docker(daemon: Daemon, *args: str, timeout: float = 900) -> bytes:
    env = dict(daemon.docker_env(), DOCKER_BUILDKIT="0")
    res = subprocess.run([docker_cli(), *args], env=env, capture_output=True,
                         timeout=timeout, stdin=subprocess.DEVNULL)
    if res.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args)} -> {res.returncode}: "
                           f"{res.stderr.decode(errors='replace')[-800:]}\n"
                           f"{res.stdout.decode(errors='replace')[-800:]}")
    return res.stdout


def make_context(dest: Path, files_mb: float) -> int:
    """The Dockerfile and ``files_mb`` MB of random files (one a quarter of it, the rest
    in 64 KiB files); the number of files."""
    files = dest / "files"
    (files / "sub").mkdir(parents=True)
    (dest / "Dockerfile").write_text(DOCKERFILE)
    total = int(files_mb * 1024 * 1024)
    (files / "big.bin").write_bytes(os.urandom(total // 4))
    count = max(1, (total - total // 4) // 65536)
    for n in range(count):
        (files / ("sub" if n % 2 else ".") / f"f{n:04}.bin").write_bytes(os.urandom(65536))
    return len(list(files.iterdir()))


def build_once(daemon: Daemon, context: Path, *flags: str) -> tuple[float, str, bytes]:
    start = time.perf_counter()
    out = run_docker(daemon, "build", *flags, "-t", TAG, str(context))
    seconds = time.perf_counter() - start
    found = BUILT.search(out)
    if found is None:
        raise RuntimeError(f"no 'Successfully built' in the output: {out[-800:]!r}")
    return seconds, found.group(1).decode(), out


def cold_run(daemon: Daemon, context: Path) -> tuple[float, str]:
    seconds, image, out = build_once(daemon, context, "--no-cache")
    if b"Using cache" in out:
        raise RuntimeError(f"a --no-cache build used the cache: {out[-800:]!r}")
    return seconds, image


def cached_run(daemon: Daemon, context: Path, cold_image: str) -> float:
    seconds, image, out = build_once(daemon, context)
    hits = out.count(b"---> Using cache")
    if hits != STEPS - 1 or image != cold_image:
        raise RuntimeError(f"cached build: {hits} cache hits of {STEPS - 1}, image {image} "
                           f"(cold {cold_image}): {out[-800:]!r}")
    return seconds


def check_image(daemon: Daemon, files: int) -> None:
    out = run_docker(daemon, "run", "--rm", TAG).decode().strip()
    if out != str(files):
        raise RuntimeError(f"the built image printed {out!r}, not {files}")


@contextmanager
def engine_daemon(engine: str, tmp: Path) -> Iterator[Daemon]:
    if engine == "docker":
        with dockerd_running(tmp, {}) as daemon:
            yield daemon
    else:
        with wharfd_running(tmp) as daemon:
            yield daemon


def bench_engine(engine: str, tmp: Path, base: RootfsTar, context: Path, files: int,
                 runs: int) -> Figures:
    figures = Figures()
    if engine == "docker" and shutil.which("dockerd") is None:
        figures.error = "dockerd is not installed: wharf's figures alone"
        return figures
    try:
        with engine_daemon(engine, tmp / engine) as daemon:
            figures.driver = run_docker(daemon, "info", "--format", "{{.Driver}}").decode().strip()
            start = time.perf_counter()
            import_rootfs(daemon, base.path, BASE)
            figures.import_s = time.perf_counter() - start
            image = ""
            for run in range(runs):
                if run:
                    run_docker(daemon, "rmi", TAG)
                os.sync()  # untimed: the last run's writeback does not land in this sample
                seconds, image = cold_run(daemon, context)
                figures.cold.append(seconds)
            check_image(daemon, files)
            for _ in range(runs):
                os.sync()
                figures.cached.append(cached_run(daemon, context, image))
    except (RuntimeError, AssertionError, subprocess.TimeoutExpired) as err:
        figures.error = str(err)
    return figures


def report(results: dict[str, Figures], base: RootfsTar, files_mb: float,
           runs: int) -> dict[str, object]:
    print(f"base: Debian 12 minbase, {base.size / 1e6:.1f} MB tar (debootstrap "
          f"{base.debootstrap_seconds:.1f}s when made); context {files_mb:g} MB; {STEPS} steps; "
          f"{runs} runs per figure")
    summary: dict[str, object] = {"runs": runs, "base_tar_bytes": base.size,
                                   "context_mb": files_mb, "steps": STEPS}
    report_figures(results, TARGETS, summary, lambda name, figures: (
        f"{name} ({figures.driver}) import {fmt(figures.import_s)}s; samples: "
        f"cold {rounded(figures.cold)} cached {rounded(figures.cached)}"))
    summary["import_s"] = {n: f.import_s for n, f in results.items()}
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--files-mb", type=float, default=8.0)
    parser.add_argument("--engines", default="wharf,docker")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: the daemons need it")
    if shutil.which(docker_cli()) is None:
        sys.exit("the stock docker CLI is needed (the same client for both engines)")
    engines = [e for e in args.engines.split(",") if e]
    base = debian_rootfs_tar("minbase")
    with ExitStack() as stack:
        stack.enter_context(new_parent_cgroups_removed())
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wharf-bench-build-")))
        context = tmp / "context"
        files = make_context(context, args.files_mb)
        results = {engine: bench_engine(engine, tmp, base, context, files, args.runs)
                   for engine in engines}
        summary = report(results, base, args.files_mb, args.runs)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
