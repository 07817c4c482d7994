"""What the side-by-side benches (``pull_push.py``, ``build.py``) share: one engine's figures
and the report of medians, wharf/docker ratios against their targets, and every sample."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["EngineFigures", "fmt", "report_figures", "rounded"]


@dataclass
class EngineFigures:
    """A subclass adds a ``list[float]`` of samples per figure the report names."""

    error: str | None = None
    driver: str = "?"  # the storage driver, to see both unpack the same way

    def median(self, what: str) -> float | None:
        samples: list[float] = getattr(self, what)
        return statistics.median(samples) if samples else None


F = TypeVar("F", bound=EngineFigures)


def report_figures(results: Mapping[str, F], targets: Mapping[str, float],
                   summary: dict[str, object], samples: Callable[[str, F], str]) -> None:
    """Print the table of medians and ratios, then each engine's ``samples`` line (and its
    error); add the figures, errors and drivers to ``summary``."""
    print(f"{'figure':<12}{'wharf':>12}{'docker':>12}{'ratio':>10}{'target':>10}")
    for what, target in targets.items():
        medians = {name: figures.median(what) for name, figures in results.items()}
        wharf, docker = medians.get("wharf"), medians.get("docker")
        ratio = wharf / docker if wharf and docker else None
        print(f"{what + '_s':<12}{fmt(wharf):>12}{fmt(docker):>12}"
              f"{(f'{ratio:.2f}x' if ratio else '-'):>10}{f'≤{target}x':>10}")
        summary[what] = {"median_s": medians, "ratio": ratio,
                         "samples": {n: getattr(f, what) for n, f in results.items()}}
    for name, figures in results.items():
        print(samples(name, figures))
        if figures.error:
            print(f"{name} failed: {figures.error}")
    summary["errors"] = {n: f.error for n, f in results.items() if f.error}
    summary["drivers"] = {n: f.driver for n, f in results.items()}


def fmt(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "-"


def rounded(samples: list[float]) -> list[float]:
    return [round(s, 2) for s in samples]
