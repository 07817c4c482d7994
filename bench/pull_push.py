"""Pull and push side by side: wharf against dockerd (Debian's docker.io), one registry, one image.

Run as root: ``.venv/bin/python bench/pull_push.py [--runs 5] [--size-mb 300]
[--engines wharf,docker]``. It generates a ~300 MB image of 4 layers whose seed is new on
every invocation (``tests/support/imagegen.py``), so no layer of it exists anywhere before,
and pushes it with skopeo into a local CNCF registry (``/usr/bin/docker-registry``, no auth,
127.0.0.1, random port, temp root). Then for each engine, on a private daemon (its own data
root, exec root, socket; dockerd also its own bridge, ``tests/support/daemons.py``):

- pull: ``<cli> pull <ref>`` into an empty store, timed; then ``rmi`` (the store is empty again:
  neither engine keeps a layer no image uses) — ``--runs`` times;
- push: ``<cli> push`` of the pulled image to a registry started empty for that run (nothing to
  skip or mount there), timed — ``--runs`` times.

Every pull is checked (image id = the config digest, the manifest digest in the output) before
its time counts. Prints the medians, every sample, and the wharf/docker ratios (the targets:
pull <= 0.5x, push <= 0.7x). An engine whose pull or push fails is reported with its error; the
other's figures still print. Nothing leaves 127.0.0.1; everything started is stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(REPO / "src"))

from side_by_side import EngineFigures, report_figures, rounded  # noqa: E402
from tests.support.daemons import (  # noqa: E402
    VENV_BIN,
    Daemon,
    dockerd_running,
    new_parent_cgroups_removed,
    wharfd_running,
)
from tests.support.imagegen import GeneratedImage, generate_image  # noqa: E402
from tests.support.registries import Registry, cncf_registry, push_with_skopeo  # noqa: E402

TARGETS = {"pull": 0.5, "push": 0.7}


@dataclass
class Figures(EngineFigures):
    pull: list[float] = field(default_factory=list)
    push: list[float] = field(default_factory=list)


def cli_command(engine: str) -> list[str]:
    if engine == "docker":
        return [shutil.which("docker") or "/usr/local/bin/docker"]
    return [str(VENV_BIN / "wharf")]


def run_cli(engine: str, daemon: Daemon, *args: str, timeout: float = 900) -> str:
    res = subprocess.run([*cli_command(engine), *args], env=daemon.docker_env(),
                         capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if res.returncode != 0:
        raise RuntimeError(f"{engine} {' '.join(args)} -> {res.returncode}: "
                           f"{res.stderr.decode(errors='replace')[-800:]}")
    return res.stdout.decode(errors="replace")


def timed(action: Callable[[], str]) -> tuple[float, str]:
    start = time.perf_counter()
    out = action()
    return time.perf_counter() - start, out


def image_id(engine: str, daemon: Daemon, ref: str) -> str:
    out = run_cli(engine, daemon, "image", "inspect", "--format", "{{.Id}}", ref)
    return out.strip()


def pull_once(engine: str, daemon: Daemon, ref: str, image: GeneratedImage) -> float:
    seconds, out = timed(lambda: run_cli(engine, daemon, "pull", ref))
    if image.manifest_digest not in out:
        raise RuntimeError(f"{engine} pull did not report {image.manifest_digest}: {out[-500:]}")
    if image_id(engine, daemon, ref) != image.config_digest:
        raise RuntimeError(f"{engine} pulled an image whose id is not {image.config_digest}")
    return seconds


def push_once(engine: str, daemon: Daemon, ref: str, tmp: Path) -> float:
    with cncf_registry(tmp / f"push-{uuid.uuid4().hex[:8]}") as target:
        dest = f"{target.host}/bench/pushed:latest"
        run_cli(engine, daemon, "tag", ref, dest)
        try:
            seconds, _ = timed(lambda: run_cli(engine, daemon, "push", dest))
        finally:
            run_cli(engine, daemon, "rmi", dest)
        shutil.rmtree(target.root, ignore_errors=True)
    return seconds


@contextmanager
def engine_daemon(engine: str, tmp: Path) -> Iterator[Daemon]:
    if engine == "docker":
        with dockerd_running(tmp, {}) as daemon:
            yield daemon
    else:
        with wharfd_running(tmp) as daemon:
            yield daemon


def bench_engine(engine: str, tmp: Path, ref: str, image: GeneratedImage,
                 runs: int) -> Figures:
    figures = Figures()
    try:
        with engine_daemon(engine, tmp / engine) as daemon:
            figures.driver = run_cli(engine, daemon, "info", "--format", "{{.Driver}}").strip()
            for run in range(runs):
                figures.pull.append(pull_once(engine, daemon, ref, image))
                if run < runs - 1:
                    run_cli(engine, daemon, "rmi", ref)
            for _ in range(runs):
                figures.push.append(push_once(engine, daemon, ref, tmp))
    except (RuntimeError, subprocess.TimeoutExpired) as err:
        figures.error = str(err)
    return figures


def report(results: dict[str, Figures], image: GeneratedImage, runs: int) -> dict[str, object]:
    print(f"image: {len(image.layer_digests)} layers, {image.total_size / 1e6:.1f} MB compressed,"
          f" manifest {image.manifest_digest[:19]}…; {runs} runs per figure")
    summary: dict[str, object] = {"runs": runs, "compressed_bytes": image.total_size}
    report_figures(results, TARGETS, summary, lambda name, figures: (
        f"{name} ({figures.driver}) samples: pull {rounded(figures.pull)} "
        f"push {rounded(figures.push)}"))
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size-mb", type=float, default=300.0)
    parser.add_argument("--engines", default="wharf,docker")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: the daemons need it")
    engines = [e for e in args.engines.split(",") if e]
    with ExitStack() as stack:
        stack.enter_context(new_parent_cgroups_removed())
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wharf-bench-pp-")))
        image = generate_image(tmp / "image", f"bench-{uuid.uuid4().hex}", args.size_mb)
        registry: Registry = stack.enter_context(cncf_registry(tmp / "registry"))
        ref = push_with_skopeo(tmp, registry, image.oci_ref, "bench/image", "latest")
        results = {engine: bench_engine(engine, tmp, ref, image, args.runs)
                   for engine in engines}
        summary = report(results, image, args.runs)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
