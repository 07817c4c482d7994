"""``GET /system/df``: Docker's ``DiskUsage`` shape, for the object types asked for.

``LayersSize`` counts every layer the image store holds once (the union of the images'
layers), so ``sum(Size - SharedSize)`` over the listed images plus the shared layers counted
once equals it: the figures ``wharf system df -v`` adds up (moby #45003). Images carry
``SharedSize`` and ``Containers`` (how many containers use each) as dockerd's df does;
containers their ``SizeRw``/``SizeRootFs``; volumes their ``UsageData``.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from wharf.core.errors import InvalidParameter
from wharf.services.container_record import ContainerRecord

__all__ = ["DF_TYPES", "DiskUsageSources", "df_types", "disk_usage"]

DF_TYPES = ("container", "image", "volume", "build-cache")


def df_types(values: Iterable[str] | None) -> frozenset[str]:
    """The ``type`` query values (API >= 1.42; none: every type), 400 for an unknown one."""
    chosen = list(values or [])
    for value in chosen:
        if value not in DF_TYPES:
            raise InvalidParameter(f"unknown object type: {value}")
    return frozenset(chosen or DF_TYPES)


@dataclass(frozen=True)
class DiskUsageSources:
    """Where the figures come from (blocking callables run in a worker thread)."""

    list_images: Callable[[], list[dict[str, Any]]]  # /images/json entries with SharedSize
    layers_size: Callable[[], int]  # every stored layer once
    containers: Callable[[], list[ContainerRecord]]
    container_sizes: Callable[[list[ContainerRecord]], Awaitable[list[dict[str, int]]]]
    volumes: Callable[[], list[dict[str, Any]]]  # with UsageData
    build_cache: Callable[[], list[dict[str, Any]]]


async def disk_usage(
    sources: DiskUsageSources,
    kinds: frozenset[str],
    container_view: Callable[[ContainerRecord], dict[str, Any]],
) -> dict[str, Any]:
    """What dockerd answers: the types not asked for are null (``LayersSize`` left out)."""
    out: dict[str, Any] = {}
    records = sources.containers()
    if "image" in kinds:
        images, layers = await asyncio.to_thread(
            lambda: (sources.list_images(), sources.layers_size()))
        out["LayersSize"] = layers
        out["Images"] = with_container_counts(images, records)
    else:
        out["Images"] = None
    out["Containers"] = None
    if "container" in kinds:
        sizes = await sources.container_sizes(records)  # SizeRw, SizeRootFs
        out["Containers"] = [{**container_view(record), **size}
                             for record, size in zip(records, sizes, strict=True)]
    out["Volumes"] = await asyncio.to_thread(sources.volumes) if "volume" in kinds else None
    out["BuildCache"] = (await asyncio.to_thread(sources.build_cache)
                         if "build-cache" in kinds else None)
    return out


def with_container_counts(
    images: list[dict[str, Any]], records: list[ContainerRecord]
) -> list[dict[str, Any]]:
    users = Counter(record.image_id for record in records)
    return [{**image, "Containers": users.get(str(image.get("Id")), 0)} for image in images]

