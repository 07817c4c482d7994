"""What ``up`` does to each service's containers: keep, start, create, recreate or remove.

Pure: the containers the engine has (:class:`Existing`) and what the file wants (scale, config
hash, image ID) in, a list of :class:`Step` out. A container is recreated when its config hash
or its image changed (or ``--force-recreate``), never with ``--no-recreate``; containers over
the scale are removed, highest number first; missing numbers are filled from 1.
"""

from __future__ import annotations

from dataclasses import dataclass

CREATE, RECREATE, START, KEEP, REMOVE = "create", "recreate", "start", "keep", "remove"


@dataclass(frozen=True)
class Existing:
    """One container of the service, as the engine lists it."""

    id: str
    name: str
    number: int
    config_hash: str
    image_id: str
    running: bool


@dataclass(frozen=True)
class Step:
    action: str
    number: int
    container: Existing | None = None


@dataclass(frozen=True)
class Wanted:
    scale: int
    config_hash: str
    image_id: str | None = None  # None: unknown (the image is yet to be pulled or built)
    force_recreate: bool = False
    no_recreate: bool = False


def _outdated(container: Existing, wanted: Wanted) -> bool:
    if container.config_hash != wanted.config_hash:
        return True
    return wanted.image_id is not None and container.image_id != wanted.image_id


def _step(container: Existing, wanted: Wanted) -> Step:
    if not wanted.no_recreate and (wanted.force_recreate or _outdated(container, wanted)):
        return Step(RECREATE, container.number, container)
    return Step(KEEP if container.running else START, container.number, container)


def plan_service(existing: list[Existing], wanted: Wanted) -> list[Step]:
    """The steps for one service: removals first, then the kept/created containers by number."""
    ordered = sorted(existing, key=lambda c: c.number)
    kept, extra = ordered[: wanted.scale], ordered[wanted.scale :]
    steps = [Step(REMOVE, c.number, c) for c in reversed(extra)]
    steps += [_step(c, wanted) for c in kept]
    used = {c.number for c in kept}
    number = 1
    while len(used) < wanted.scale:
        if number not in used:
            steps.append(Step(CREATE, number))
            used.add(number)
        number += 1
    return steps


def orphans(containers: list[tuple[str, str]], services: set[str]) -> list[str]:
    """Names of project containers (``(name, service)``) whose service is not in the file."""
    return sorted(name for name, service in containers if service not in services)
