"""``wharf system df [-v] [--format]``: docker's summary and verbose tables, and (with ``-v``)
wharf's own last section, "Space used, each byte counted once", whose rows add up to its
total line (moby #45003): the images' unique layers, the layers they share (once), what the
containers wrote, the volumes in use and unused, the build cache."""

from __future__ import annotations

from wharf.cli.command import Command, CommandFailed, Context
from wharf.cli.commands.common import FORMAT_FLAG
from wharf.cli.flags import BOOL, Flag, Parsed
from wharf.cli.formatting import align, human_size, render, since, truncate_id
from wharf.cli.references import split_repo_tag
from wharf.cli.rows import ContainerRow, ImageRow

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SUMMARY_TABLE = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"
SUMMARY_HEADERS = {"Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE", "Size": "SIZE",
                   "Reclaimable": "RECLAIMABLE"}
IMAGE_COLUMNS = ("REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", "SHARED SIZE",
                 "UNIQUE SIZE", "CONTAINERS")
CONTAINER_COLUMNS = ("CONTAINER ID", "IMAGE", "COMMAND", "LOCAL VOLUMES", "SIZE", "CREATED",
                     "STATUS", "NAMES")
VOLUME_COLUMNS = ("VOLUME NAME", "LINKS", "SIZE")
CACHE_COLUMNS = ("CACHE ID", "CACHE TYPE", "SIZE", "CREATED", "LAST USED", "USAGE", "SHARED")


def df(ctx: Context, opts: Parsed) -> int:
    usage = ctx.client().system.df()
    format_text = str(opts["format"] or "")
    if opts["verbose"]:
        if format_text not in ("", "table", "json"):
            raise CommandFailed(125, "custom --format templates with --verbose are not "
                                     "supported yet (use table or json)")
        lines = (_verbose_json(usage) if format_text == "json" else _verbose_tables(usage))
    else:
        lines = render(format_text, SUMMARY_TABLE, summary_rows(usage), SUMMARY_HEADERS)
    for line in lines:
        ctx.out(line)
    return 0


# ---- docker's summary ----------------------------------------------------------------------
def _size(item: dict[str, Any], key: str = "Size") -> int:
    return int(item.get(key) or 0)


def _volume_size(volume: dict[str, Any]) -> int:
    return max(int((volume.get("UsageData") or {}).get("Size") or 0), 0)


def _volume_links(volume: dict[str, Any]) -> int:
    return int((volume.get("UsageData") or {}).get("RefCount") or 0)


def _container_active(container: dict[str, Any]) -> bool:
    state = str(container.get("State") or "")
    return any(word in state for word in ("running", "paused", "restarting"))


def summary_rows(usage: dict[str, Any]) -> list[dict[str, str]]:
    images = usage.get("Images") or []
    containers = usage.get("Containers") or []
    volumes = usage.get("Volumes") or []
    cache = usage.get("BuildCache") or []
    image_total = int(usage.get("LayersSize") or 0)
    image_used = sum(_size(i) - max(_size(i, "SharedSize"), 0) for i in images
                     if int(i.get("Containers") or 0) > 0)
    cache_total = sum(_size(b) for b in cache if not b.get("Shared"))
    return [
        _row("Images", len(images), sum(1 for i in images if int(i.get("Containers") or 0)),
             image_total, image_total - image_used),
        _row("Containers", len(containers), sum(1 for c in containers if _container_active(c)),
             sum(_size(c, "SizeRw") for c in containers),
             sum(_size(c, "SizeRw") for c in containers if not _container_active(c))),
        _row("Local Volumes", len(volumes), sum(1 for v in volumes if _volume_links(v)),
             sum(_volume_size(v) for v in volumes),
             sum(_volume_size(v) for v in volumes if not _volume_links(v))),
        _row("Build Cache", len(cache), sum(1 for b in cache if b.get("InUse")), cache_total,
             cache_total - sum(_size(b) for b in cache if b.get("InUse") and not b.get("Shared")),
             percent=False),
    ]


def _row(kind: str, total: int, active: int, size: int, reclaimable: int,
         percent: bool = True) -> dict[str, str]:
    text = human_size(float(reclaimable), 4)  # docker's df: units.HumanSize
    if percent and size > 0:
        text += f" ({reclaimable * 100 // size}%)"
    return {"Type": kind, "TotalCount": str(total), "Active": str(active),
            "Size": human_size(float(size), 4), "Reclaimable": text}


# ---- docker's -v ---------------------------------------------------------------------------
def _first_tag(image: dict[str, Any]) -> tuple[str, str]:
    tags = [t for t in image.get("RepoTags") or [] if t != "<none>:<none>"]
    return split_repo_tag(tags[0]) if tags else ("<none>", "<none>")


def _image_cells(image: dict[str, Any]) -> list[str]:
    row = ImageRow(image, *_first_tag(image), "")
    shared = int(image.get("SharedSize", -1))
    sharing = ["N/A", "N/A"] if shared < 0 else [  # docker: 4 digits here, 3 for SIZE
        human_size(float(shared), 4), human_size(float(_size(image) - shared), 4)]
    return [row.Repository(), row.Tag(), row.ID(), row.CreatedSince(), row.Size(), *sharing,
            row.Containers()]


def _container_cells(container: dict[str, Any]) -> list[str]:
    row = ContainerRow(container)  # SIZE: what it wrote (docker's df leaves out the virtual)
    return [row.ID(), row.Image(), row.Command(), row.LocalVolumes(),
            human_size(float(_size(container, "SizeRw"))),
            row.RunningFor(), row.Status(), row.Names()]


def _volume_cells(volume: dict[str, Any]) -> list[str]:
    size = int((volume.get("UsageData") or {}).get("Size", -1))
    links = int((volume.get("UsageData") or {}).get("RefCount", -1))
    return [str(volume.get("Name", "")), "N/A" if links < 0 else str(links),
            "N/A" if size < 0 else human_size(float(size), 4)]


def _cache_cells(entry: dict[str, Any]) -> list[str]:
    from wharf.core.timefmt import parse_rfc3339

    def ago(key: str) -> str:
        return since(parse_rfc3339(str(entry[key]))) if entry.get(key) else ""

    return [truncate_id(str(entry.get("ID", ""))), str(entry.get("Type", "")),
            human_size(float(_size(entry)), 3), ago("CreatedAt"), ago("LastUsedAt"),
            str(entry.get("UsageCount", 0)), str(bool(entry.get("Shared"))).lower()]


def _table(columns: tuple[str, ...], rows: list[list[str]]) -> list[str]:
    return align(["\t".join(columns), *("\t".join(cells) for cells in rows)])


def _verbose_tables(usage: dict[str, Any]) -> list[str]:
    cache = usage.get("BuildCache") or []
    cache_size = sum(_size(b) for b in cache if not b.get("Shared"))
    return [
        "Images space usage:", "",
        *_table(IMAGE_COLUMNS, [_image_cells(i) for i in usage.get("Images") or []]), "",
        "Containers space usage:", "",
        *_table(CONTAINER_COLUMNS, [_container_cells(c) for c in usage.get("Containers") or []]),
        "", "Local Volumes space usage:", "",
        *_table(VOLUME_COLUMNS, [_volume_cells(v) for v in usage.get("Volumes") or []]), "",
        f"Build cache usage: {human_size(float(cache_size), 4)}", "",
        *_table(CACHE_COLUMNS, [_cache_cells(b) for b in cache]), "",
        "Space used, each byte counted once:", "",
        *_table(("PART", "SIZE", "BYTES"),
                [[name, human_size(float(size), 4), str(size)]
                 for name, size in counted_once(usage)]),
    ]


def _verbose_json(usage: dict[str, Any]) -> list[str]:
    """docker's ``-v --format json``: one object, each row untruncated with the placeholder
    names as keys (sorted, as Go marshals a map); wharf adds ``CountedOnce`` at the end."""
    from wharf.cli.gofmt import go_json

    parts = {
        "Images": [_image_json(i) for i in usage.get("Images") or []],
        "Containers": [_container_json(c) for c in usage.get("Containers") or []],
        "Volumes": [_volume_json(v) for v in usage.get("Volumes") or []],
        "BuildCache": [_cache_json(b) for b in usage.get("BuildCache") or []],
        "CountedOnce": dict(counted_once(usage)),
    }
    return ["{" + ",".join(f'"{key}":{go_json(value)}' for key, value in parts.items()) + "}"]


def _image_json(image: dict[str, Any]) -> dict[str, Any]:
    row = ImageRow(image, *_first_tag(image), "", trunc=False)
    cells = _image_cells(image)
    return {**row.to_json(), "Digest": "", "SharedSize": cells[5], "UniqueSize": cells[6]}


def _container_json(container: dict[str, Any]) -> dict[str, Any]:
    row = ContainerRow(container, trunc=False)
    return {**row.to_json(), "Size": human_size(float(_size(container, "SizeRw"))),
            "Platform": None}


def _volume_json(volume: dict[str, Any]) -> dict[str, Any]:
    _, links, size = _volume_cells(volume)
    labels = volume.get("Labels") or {}
    return {"Availability": "N/A", "Driver": str(volume.get("Driver", "")), "Group": "N/A",
            "Labels": ",".join(f"{k}={v}" for k, v in labels.items()), "Links": links,
            "Mountpoint": str(volume.get("Mountpoint", "")), "Name": str(volume.get("Name", "")),
            "Scope": str(volume.get("Scope", "")), "Size": size, "Status": "N/A"}


def _cache_json(entry: dict[str, Any]) -> dict[str, Any]:
    cells = _cache_cells(entry)
    return {"ID": str(entry.get("ID", "")), "CacheType": cells[1], "Size": cells[2],
            "CreatedSince": cells[3], "LastUsedSince": cells[4], "UsageCount": cells[5],
            "Shared": cells[6], "InUse": str(bool(entry.get("InUse"))).lower(),
            "Parent": str(entry.get("Parent") or ""),
            "Description": str(entry.get("Description", ""))}


# ---- beyond docker: figures that add up ----------------------------------------------------
def counted_once(usage: dict[str, Any]) -> list[tuple[str, int]]:
    """The parts of the space used, no byte in two of them, and their ``Total``.

    ``LayersSize`` holds every image layer once; what no other image uses is each image's
    unique size, so the rest (``LayersSize`` minus the unique sizes) is the shared layers,
    counted once, however many images share them."""
    images = usage.get("Images") or []
    unique = sum(_size(i) - max(_size(i, "SharedSize"), 0) for i in images)
    shared = max(int(usage.get("LayersSize") or 0) - unique, 0)
    volumes = usage.get("Volumes") or []
    parts = [
        ("Images: unique layers", unique),
        ("Images: shared layers (once)", shared),
        ("Containers: written", sum(_size(c, "SizeRw") for c in usage.get("Containers") or [])),
        ("Local Volumes: in use", sum(_volume_size(v) for v in volumes if _volume_links(v))),
        ("Local Volumes: unused", sum(_volume_size(v) for v in volumes if not _volume_links(v))),
        ("Build Cache", sum(_size(b) for b in usage.get("BuildCache") or []
                            if not b.get("Shared"))),
    ]
    return [*parts, ("Total", sum(size for _, size in parts))]


DF = Command("[OPTIONS]", "Show wharf disk usage", df,
             (FORMAT_FLAG, Flag("verbose", "v", BOOL, "Show detailed information on space "
                                                       "usage")), max_args=0)
