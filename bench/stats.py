"""``stats --no-stream`` of 20 running containers: wharf's CLI and wharfd against the docker CLI
and a private dockerd (Debian's docker.io), side by side.

Run as root: ``.venv/bin/python bench/stats.py [--runs 10] [--containers 20]``. Starts its own
wharfd and dockerd (private sockets, data roots, bridges), imports the same busybox into both,
starts the containers on each engine's default bridge and times ``stats --no-stream`` (the
whole table: list, one sample per container with the CPU delta filled in) alternately on each
engine; prints the medians and the wharf/docker ratio (target ≤1.0x). Everything it starts it
stops.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import Engine, compile_wharf, dockerd, import_busybox, wharfd
from tests.support.daemons import new_parent_cgroups_removed

TARGET = 1.0


def start_containers(engine: Engine, count: int) -> None:
    def one(_: int) -> str:
        return engine.run("run", "-d", "busybox", "sleep", "600").strip()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, range(count)))


def stats_once(engine: Engine, count: int) -> float:
    start = time.perf_counter()
    table = engine.run("stats", "--no-stream")
    elapsed = time.perf_counter() - start
    rows = table.strip().splitlines()
    if len(rows) != count + 1:
        raise RuntimeError(f"{engine.name}: {len(rows) - 1} rows, not {count}:\n{table}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--containers", type=int, default=20)
    args = parser.parse_args()
    samples: dict[str, list[float]] = {"wharf": [], "docker": []}
    with new_parent_cgroups_removed(), tempfile.TemporaryDirectory(prefix="wharf-bench-") as name:
        tmp = Path(name)
        for sub in ("w", "d"):
            (tmp / sub).mkdir()
        compile_wharf(tmp / "pycache")
        with wharfd(tmp / "w", tmp / "pycache") as w, dockerd(tmp / "d") as d:
            engines = [w] if d is None else [w, d]
            for engine in engines:
                import_busybox(engine)
                start_containers(engine, args.containers)
                stats_once(engine, args.containers)  # warm: first request of each CLI
            for _ in range(args.runs):
                for engine in engines:
                    samples[engine.name].append(stats_once(engine, args.containers))
    medians = {n: statistics.median(s) for n, s in samples.items() if s}
    ratio = medians["wharf"] / medians["docker"] if "docker" in medians else None
    print(f"stats --no-stream of {args.containers} running containers, {args.runs} runs")
    for engine_name, median in medians.items():
        print(f"{engine_name:<8}{median:>8.3f} s  samples "
              f"{[round(s, 3) for s in samples[engine_name]]}")
    if ratio is not None:
        print(f"ratio   {ratio:>8.2f}x  (target ≤{TARGET}x)")
    print(json.dumps({"medians": medians, "ratio": ratio, "samples": samples}))


if __name__ == "__main__":
    main()
