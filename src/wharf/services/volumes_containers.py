"""The volumes a container uses: decided at create (``mounts_for_create``: named volumes of
``-v name:/path`` and ``--mount type=volume``, anonymous ones for ``Config.Volumes`` and image
``VOLUME``s, ``--volumes-from``), mounted at start (``volumes_for_start``: the image's content
copied into an empty volume first, as Docker does), released when the container stops and the
anonymous ones removed with ``rm -v``. The record's ``mounts`` (inspect's ``Mounts``) carry
everything the start needs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from wharf.core.errors import Conflict, InvalidParameter, NotFound, RuntimeFailure, WharfError
from wharf.core.metadata import VolumeRecord
from wharf.lib.securepath import resolve_in_root
from wharf.services.container_mounts import mount_points, user_mounts, volume_specs
from wharf.services.volumes import check_volume_name

__all__ = ["ContainerVolumes", "mounts_for_create", "release_volumes", "remove_anonymous",
           "volumes_for_start"]

log = logging.getLogger(__name__)
ANONYMOUS = {"com.docker.volume.anonymous": ""}
COPY_TIMEOUT = 300.0


class ContainerVolumes(Protocol):
    """What containers need of the volume service (``services.volumes.VolumeService``)."""

    def ensure(self, name: str, driver: str = "", driver_opts: dict[str, str] | None = None,
               labels: dict[str, str] | None = None) -> VolumeRecord: ...
    def get(self, name: str) -> VolumeRecord: ...
    def path(self, name: str) -> Path: ...
    def is_empty(self, name: str) -> bool: ...
    def mount_for(self, container_id: str, name: str, attributes: dict[str, str]) -> Path: ...
    def release(self, container_id: str, name: str) -> None: ...
    async def remove(self, name: str, force: bool = False) -> None: ...


def mounts_for_create(volumes: ContainerVolumes | None, config: dict[str, Any],
                      host_config: dict[str, Any],
                      mounts_of: Callable[[str], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """inspect's ``Mounts`` for a new container; the volumes it names are made when missing
    (anonymous ones always). ``mounts_of(container ref)`` gives another container's mounts
    (``--volumes-from``; NotFound when there is none)."""
    points = mount_points(host_config)
    specs = volume_specs(host_config)
    for spec in specs:  # every name checked before any volume is made
        if spec["Name"]:
            check_volume_name(spec["Name"])
    if specs and volumes is None:
        raise InvalidParameter("volumes are not available in this daemon")
    taken = {p["Destination"].rstrip("/") for p in points}
    for spec in specs:
        destination = spec["Destination"].rstrip("/")
        if destination in taken:
            raise InvalidParameter(f"Duplicate mount point: {spec['Destination']}")
        taken.add(destination)
    if volumes is not None:
        points += [_volume_point(volumes, spec) for spec in specs]
    points += _from_others(host_config, mounts_of, taken)
    for destination in config.get("Volumes") or {}:
        if destination.rstrip("/") not in taken and volumes is not None:
            taken.add(destination.rstrip("/"))
            points.append(_volume_point(volumes, {"Name": "", "Destination": destination,
                                                  "Mode": "", "RW": True}))
    return points


def _volume_point(volumes: ContainerVolumes, spec: dict[str, Any]) -> dict[str, Any]:
    name = spec.get("Name") or ""
    labels = spec.get("Labels")
    if not name:
        name = secrets.token_hex(32)
        labels = {**(labels or {}), **ANONYMOUS}
    record = volumes.ensure(name, spec.get("Driver") or "", spec.get("DriverOpts"), labels)
    return {"Type": "volume", "Name": name, "Source": str(volumes.path(name)),
            "Destination": spec["Destination"], "Driver": record.driver,
            "Mode": spec.get("Mode", ""), "RW": bool(spec.get("RW", True)), "Propagation": ""}


def _from_others(host_config: dict[str, Any], mounts_of: Callable[[str], list[dict[str, Any]]],
                 taken: set[str]) -> list[dict[str, Any]]:
    """``--volumes-from c[:ro|rw]``: c's volumes and binds at the same places; ``ro``/``rw``
    overrides their mode (dockerd's rules)."""
    found: list[dict[str, Any]] = []
    for entry in host_config.get("VolumesFrom") or []:
        ref, _, mode = entry.partition(":")
        if mode not in ("", "ro", "rw"):
            raise InvalidParameter(f"invalid mode: {mode}")
        for point in mounts_of(ref):
            destination = point["Destination"].rstrip("/")
            if point["Type"] not in ("volume", "bind") or destination in taken:
                continue
            taken.add(destination)
            copied = dict(point)
            if mode:
                copied["RW"], copied["Mode"] = mode == "rw", mode
            found.append(copied)
    return found


async def volumes_for_start(volumes: ContainerVolumes | None, record: Any,
                            rootfs: Path) -> list[dict[str, Any]]:
    """OCI bind mounts of the container's volumes (and of the binds it has from
    ``--volumes-from``), each volume mounted for it; on the first start the image's content
    at a volume's path is copied into the volume when that is empty."""
    own = {m["destination"].rstrip("/") for m in user_mounts(record.host_config)}
    flag_tmpfs = {path.rstrip("/") for path in record.host_config.get("Tmpfs") or {}}
    nocopy = _nocopy_destinations(record.host_config)
    mounts: list[dict[str, Any]] = []
    try:
        for point in record.mounts:
            if point["Destination"].rstrip("/") in flag_tmpfs:
                continue  # a --tmpfs path takes the place of anything else there (dockerd)
            if point["Type"] == "bind" and point["Destination"].rstrip("/") not in own:
                mounts.append(_oci_bind(point["Source"], point))
            if point["Type"] != "volume" or volumes is None:
                continue
            path = volumes.mount_for(record.id, point["Name"], _mount_attributes(point))
            if (not record.has_been_started and point["Destination"] not in nocopy
                    and volumes.is_empty(point["Name"])):
                await asyncio.to_thread(_copy_image_content, rootfs, point["Destination"], path)
            mounts.append(_oci_bind(str(path), point))
    except BaseException:
        release_volumes(volumes, record)
        raise
    return mounts


def release_volumes(volumes: ContainerVolumes | None, record: Any) -> None:
    """The container stopped (or failed to start): its volumes are released."""
    if volumes is None:
        return
    for point in record.mounts:
        if point["Type"] == "volume":
            try:
                volumes.release(record.id, point["Name"])
            except Exception as err:
                log.warning("releasing volume %s of %s: %s", point["Name"], record.id, err)


async def remove_anonymous(volumes: ContainerVolumes | None, record: Any) -> None:
    """``rm -v``: the container's anonymous volumes go (named ones stay; one that another
    container uses stays too, as dockerd leaves it)."""
    if volumes is None:
        return
    for point in record.mounts:
        if point["Type"] == "volume" and _is_anonymous(volumes, point["Name"]):
            with contextlib.suppress(Conflict, NotFound):
                await volumes.remove(point["Name"])


def _is_anonymous(volumes: ContainerVolumes, name: str) -> bool:
    try:
        return "com.docker.volume.anonymous" in (volumes.get(name).labels or {})
    except WharfError:
        return False


def _mount_attributes(point: dict[str, Any]) -> dict[str, str]:
    return {"destination": point["Destination"], "propagation": point["Propagation"],
            "read/write": str(point["RW"]).lower()}


def _oci_bind(source: str, point: dict[str, Any]) -> dict[str, Any]:
    """A writable volume is bound without ``rw``: a volume whose own mount is read-only
    (``o=bind,ro``) stays so in the container, as under runc."""
    options = ["rbind"] if point["RW"] else ["rbind", "ro"]
    if point.get("Propagation"):
        options.append(point["Propagation"])
    return {"destination": point["Destination"], "type": "bind", "source": source,
            "options": options}


def _nocopy_destinations(host_config: dict[str, Any]) -> set[str]:
    """Volumes the user asked not to fill from the image (``:nocopy``, ``volume-nocopy``)."""
    found = {spec["Destination"] for spec in volume_specs(host_config) if spec.get("NoCopy")}
    return found


def _copy_image_content(rootfs: Path, destination: str, volume: Path) -> None:
    """What the image has at ``destination`` (resolved inside the rootfs: a symlink never
    leads out of it), copied with owners, modes and links (``cp -a``) into the empty volume;
    the volume's root takes the directory's owner and mode. Nothing there: nothing to do."""
    source = resolve_in_root(rootfs, destination)
    if not source.is_dir() or source.is_symlink():
        return
    try:
        subprocess.run(["cp", "-a", "-T", "--", str(source), str(volume)], check=True,
                       capture_output=True, timeout=COPY_TIMEOUT)
    except subprocess.CalledProcessError as err:
        raise RuntimeFailure(f"copying the image's {destination} into the volume failed: "
                             + err.stderr.decode(errors="replace").strip()) from err
    except subprocess.TimeoutExpired as err:
        raise RuntimeFailure(f"copying the image's {destination} into the volume took longer "
                             f"than {COPY_TIMEOUT:.0f}s") from err
