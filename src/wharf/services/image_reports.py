"""``docker images``, ``docker image inspect`` and ``docker history``: Docker's shapes of the
image records (the read side of :class:`wharf.services.images.ImageService`)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from wharf.core.timefmt import ZERO_TIME
from wharf.services.image_views import Image, ImageFilter, inspect_config, summary, unix_seconds

if TYPE_CHECKING:
    from wharf.services.images import ImageService

__all__ = ["history", "inspect", "layers_size", "list_images"]


def list_images(
    service: ImageService,
    all_: bool = False,
    filters: dict[str, list[str]] | None = None,
    shared_size: bool = False,
) -> list[dict[str, Any]]:
    """``GET /images/json``, newest first. Untagged images that are parents of others
    (intermediate images) show only with ``all_``."""
    matcher = ImageFilter(filters or {}, lambda ref: service.resolve(ref).created)
    links = service.parents.links()
    with_children = set(links.values())
    images = [service.image(r) for r in service.store.db.list_images()]
    chosen = [
        listed
        for img in images
        if (listed := matcher.select(img, img.id in with_children, all_)) is not None
    ]
    chosen.sort(key=lambda img: (unix_seconds(img.created), img.created, img.id), reverse=True)
    out = [{**summary(img), "ParentId": links.get(img.id, "")} for img in chosen]
    if shared_size:
        sizes = _shared_sizes(service, images, chosen)
        for doc, img in zip(out, chosen, strict=True):
            doc["SharedSize"] = sizes[img.id]
    return out


def _shared_sizes(service: ImageService, everything: list[Image], chosen: list[Image]) -> dict[
    str, int
]:
    """moby's ``SharedSize``: the bytes of an image's layers that another image uses too."""
    users = Counter(chain for img in everything for chain in set(img.chain_ids))
    return {
        img.id: sum(service.store.layer_size(c) for c in set(img.chain_ids) if users[c] > 1)
        for img in chosen
    }


def inspect(service: ImageService, ref: str) -> dict[str, Any]:
    img = service.resolve(ref)
    record = service.store.db.get_image(img.id)
    config = inspect_config(img.config.get("config") or {})
    return {
        "Id": img.id,
        "RepoTags": img.repo_tags,
        "RepoDigests": img.repo_digests,
        "Parent": service.parents.parent(img.id),
        "Comment": img.config.get("comment", ""),
        "Created": img.created,
        "Container": str(img.config.get("container") or ""),  # API < 1.45 only
        "ContainerConfig": inspect_config(_object(img.config.get("container_config"))),
        "DockerVersion": img.config.get("docker_version", ""),
        "Author": img.config.get("author", ""),
        "Config": config,
        "Architecture": img.config.get("architecture", ""),
        **({"Variant": img.config["variant"]} if img.config.get("variant") else {}),
        "Os": img.config.get("os", ""),
        **({"OsVersion": img.config["os.version"]} if img.config.get("os.version") else {}),
        "Size": img.size,
        "GraphDriver": service.store.snapshots.image_graph_driver(img.chain_ids),
        "RootFS": {
            "Type": "layers",
            "Layers": list((img.config.get("rootfs") or {}).get("diff_ids") or []),
        },
        "Metadata": {"LastTagTime": (record and record.last_tag_time) or ZERO_TIME,
                     "LastUsed": (record and record.last_used) or ZERO_TIME},
    }


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def history(service: ImageService, ref: str) -> list[dict[str, Any]]:
    """Newest first; each row's id is the image (then its parent, and so on up the recorded
    chain) that added it, ``<missing>`` past what is recorded, as moby's classic store."""
    img = service.resolve(ref)
    layer_sizes = [service.store.layer_size(c) for c in img.chain_ids]
    rows = []
    for entry in list(img.config.get("history") or []):
        size = 0
        if not entry.get("empty_layer") and layer_sizes:
            size = layer_sizes.pop(0)
        rows.append(
            {
                "Id": "<missing>",
                "Created": unix_seconds(str(entry.get("created", ""))),
                "CreatedBy": entry.get("created_by", ""),
                "Tags": None,
                "Size": size,
                "Comment": entry.get("comment", ""),
            }
        )
    rows.reverse()
    current: Image | None = img
    for row in rows:
        if current is None:
            break
        row["Id"] = current.id
        row["Tags"] = current.repo_tags or None
        parent_id = service.parents.parent(current.id)
        current = service.resolve(parent_id) if parent_id and service.exists(parent_id) else None
    return rows


def layers_size(service: ImageService) -> int:
    """``system df``'s ``LayersSize``: every layer of every image, each counted once."""
    chains = {chain for record in service.store.db.list_images() for chain in record.chain_ids}
    return sum(service.store.layer_size(chain) for chain in chains)
