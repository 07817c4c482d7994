"""Compose side by side: ``wharf compose`` against wharfd, docker-compose 1.29 against dockerd.

Run as root: ``.venv/bin/python bench/compose.py [--runs 5]``. Needs ``make setup-test`` (it
installs Debian's dockerd and docker-compose 1.29 in ``.venv-compose``). Each engine gets its
own daemon (private socket, data root and bridge) with the same busybox image imported, then
times, ``--runs`` times, ``up -d`` and ``down -v`` of one three-service project: a service
built from a Dockerfile, a service with a healthcheck the other two wait for
(``condition: service_healthy``), a user network and a named volume. The first ``up`` (which
builds the image) is a warm-up and is not timed. Every service exits on SIGTERM (as a real
service does), so ``down`` times the engine, not ten-second stop timeouts. Prints medians
and the wharf/docker ratios against the target (≤0.5x for ``up -d`` + ``down -v``), then
every sample.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import Engine, compile_wharf, dockerd, import_busybox, wharfd
from tests.support.daemons import new_parent_cgroups_removed

REPO = Path(__file__).resolve().parent.parent
COMPOSE_V1 = REPO / ".venv-compose" / "bin" / "docker-compose"
TARGET = 0.5

PROJECT = """\
services:
  db:
    image: busybox:latest
    command: ["sh", "-c", "touch /data/ready; trap 'exit 0' TERM; sleep 600 & wait"]
    healthcheck:
      test: ["CMD", "test", "-f", "/data/ready"]
      interval: 500ms
      timeout: 2s
      retries: 20
    volumes: ["data:/data"]
    networks: [back]
  app:
    build: ./app
    depends_on:
      db: {condition: service_healthy}
    volumes: ["data:/data:ro"]
    networks: [back]
  client:
    image: busybox:latest
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"]
    depends_on:
      db: {condition: service_healthy}
      app: {condition: service_started}
    networks: [back]
networks:
  back: {}
volumes:
  data: {}
"""

DOCKERFILE = """\
FROM busybox:latest
RUN mkdir -p /srv && echo hello > /srv/index.html
CMD ["sh", "-c", "trap 'exit 0' TERM; httpd -f -h /srv & wait"]
"""


@dataclass
class Figures:
    up: list[float] = field(default_factory=list)
    down: list[float] = field(default_factory=list)
    total: list[float] = field(default_factory=list)


def write_project(directory: Path) -> Path:
    (directory / "app").mkdir(parents=True)
    (directory / "app" / "Dockerfile").write_text(DOCKERFILE)
    compose_file = directory / "compose.yaml"
    compose_file.write_text(PROJECT)
    return compose_file


def compose_command(engine: Engine, compose_file: Path, project: str) -> list[str]:
    if engine.name == "wharf":
        return [*engine.cli, "compose", "-f", str(compose_file), "-p", project]
    return [str(COMPOSE_V1), "-f", str(compose_file), "-p", project]


def run_compose(engine: Engine, base: list[str], *args: str) -> float:
    env = dict(engine.env, COMPOSE_DOCKER_CLI_BUILD="0", DOCKER_BUILDKIT="0")
    if engine.name == "docker":
        env["DOCKER_HOST"] = engine.env["DOCKER_HOST"]
    start = time.perf_counter()
    res = subprocess.run([*base, *args], env=env, capture_output=True, timeout=300)
    elapsed = time.perf_counter() - start
    if res.returncode != 0:
        raise RuntimeError(f"{engine.name}: compose {' '.join(args)}: "
                           f"{res.stderr.decode(errors='replace')[-800:]}")
    return elapsed


def bench_engine(engine: Engine, compose_file: Path, runs: int) -> Figures:
    base = compose_command(engine, compose_file, f"bench{engine.name}")
    figures = Figures()
    run_compose(engine, base, "up", "-d")  # warm-up: builds the app image
    run_compose(engine, base, "down", "-v")
    for _ in range(runs):
        up = run_compose(engine, base, "up", "-d")
        down = run_compose(engine, base, "down", "-v")
        figures.up.append(up)
        figures.down.append(down)
        figures.total.append(up + down)
    return figures


def report(results: dict[str, Figures]) -> dict[str, object]:
    summary: dict[str, object] = {}
    print(f"{'figure':<14}{'wharf':>10}{'docker':>10}{'ratio':>10}{'target':>10}")
    for what in ("up", "down", "total"):
        medians = {name: statistics.median(getattr(f, what)) for name, f in results.items()}
        wharf, docker = medians.get("wharf"), medians.get("docker")
        ratio = wharf / docker if wharf and docker else None
        target = f"≤{TARGET}x" if what == "total" else ""
        shown_docker = f"{docker:.2f}" if docker else "-"
        shown_ratio = f"{ratio:.2f}x" if ratio else "-"
        print(f"{what + '_s':<14}{(wharf or 0):>10.2f}{shown_docker:>10}{shown_ratio:>10}"
              f"{target:>10}")
        summary[what] = {"median_s": medians, "ratio": ratio}
    for name, figures in results.items():
        print(f"{name} samples: up {[round(s, 2) for s in figures.up]} "
              f"down {[round(s, 2) for s in figures.down]}")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results: dict[str, Figures] = {}
    with new_parent_cgroups_removed(), tempfile.TemporaryDirectory(prefix="wharf-bench-") as name:
        tmp = Path(name)
        compose_file = write_project(tmp / "project")
        for sub in ("w", "d"):
            (tmp / sub).mkdir()
        compile_wharf(tmp / "pycache")
        with wharfd(tmp / "w", tmp / "pycache") as engine:
            import_busybox(engine)
            results["wharf"] = bench_engine(engine, compose_file, args.runs)
        if COMPOSE_V1.exists():
            with dockerd(tmp / "d") as docker:
                if docker is not None:
                    import_busybox(docker)
                    results["docker"] = bench_engine(docker, compose_file, args.runs)
    print(json.dumps(report(results)))


if __name__ == "__main__":
    main()
