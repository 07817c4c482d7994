"""The container side: which volumes a create request names (``-v name:/p``, ``--mount
type=volume``, ``Config.Volumes``, ``--volumes-from``), with dockerd's checks, and the
volume records kept in the metadata database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wharf.core.errors import InvalidParameter, NotFound
from wharf.core.metadata import VolumeRecord
from wharf.services.container_mounts import user_mounts, volume_specs
from wharf.services.events import EventBus
from wharf.services.volumes import VolumeService
from wharf.services.volumes_containers import mounts_for_create
from wharf.store.metadata import MetadataStore
from wharf.volumes.local import LocalVolumes


@pytest.fixture
def volumes(tmp_path: Path) -> Iterator[VolumeService]:
    db = MetadataStore(tmp_path / "m.db")
    yield VolumeService(db, LocalVolumes(tmp_path / "volumes"), EventBus(), lambda _: [])
    db.close()


def no_containers(ref: str) -> list[dict[str, Any]]:
    raise NotFound(f"No such container: {ref}")


def test_volume_specs_of_binds_and_mounts() -> None:
    specs = volume_specs({
        "Binds": ["/host:/h", "data:/data:ro,nocopy", "logs:/logs"],
        "Mounts": [{"Type": "volume", "Source": "m", "Target": "/m", "ReadOnly": True,
                    "VolumeOptions": {"NoCopy": True, "Labels": {"k": "v"},
                                      "DriverConfig": {"Options": {"type": "tmpfs"}}}},
                   {"Type": "volume", "Target": "/anon"}]})
    assert [(s["Name"], s["Destination"], s["Mode"], s["RW"], s["NoCopy"]) for s in specs] == [
        ("data", "/data", "ro,nocopy", False, True), ("logs", "/logs", "z", True, False),
        ("m", "/m", "z", False, True), ("", "/anon", "z", True, False)]
    assert specs[2]["Labels"] == {"k": "v"} and specs[2]["DriverOpts"] == {"type": "tmpfs"}


@pytest.mark.parametrize(("host_config", "message"), [
    ({"Binds": ["data:rel"]}, "invalid volume specification: 'data:rel': invalid mount config "
                              'for type "volume": invalid mount path: \'rel\' mount path must '
                              "be absolute"),
    ({"Binds": ["data:/d:rshared"]}, "invalid mode: rshared"),
    ({"Mounts": [{"Type": "volume", "Target": "/v", "BindOptions": {"Propagation": "shared"}}]},
     'invalid mount config for type "volume": BindOptions must not be specified'),
])
def test_bad_volume_specs_are_400s(host_config: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        volume_specs(host_config)
    assert caught.value.message == message


def test_selinux_labels_are_accepted_on_binds(tmp_path: Path) -> None:
    [mount] = user_mounts({"Binds": [f"{tmp_path}:/h:Z,ro"]})
    assert mount["options"] == ["rbind", "ro", "rro"]


def test_create_names_and_makes_volumes(volumes: VolumeService, tmp_path: Path) -> None:
    points = mounts_for_create(
        volumes, {"Volumes": {"/image-vol": {}, "/data": {}}},
        {"Binds": ["data:/data"], "Mounts": [{"Type": "volume", "Target": "/anon"}]},
        no_containers)
    by_dest = {p["Destination"]: p for p in points}
    assert set(by_dest) == {"/data", "/anon", "/image-vol"}  # /data: the named one only
    assert by_dest["/data"]["Name"] == "data" and by_dest["/data"]["Mode"] == "z"
    assert by_dest["/data"]["Source"] == str(tmp_path / "volumes" / "data" / "_data")
    for anonymous in (by_dest["/anon"], by_dest["/image-vol"]):
        record = volumes.get(anonymous["Name"])
        assert record.labels == {"com.docker.volume.anonymous": ""}
        assert len(record.name) == 64


def test_two_mounts_at_one_place_are_refused(volumes: VolumeService, tmp_path: Path) -> None:
    with pytest.raises(InvalidParameter, match="Duplicate mount point: /d"):
        mounts_for_create(volumes, {}, {"Binds": ["one:/d", f"{tmp_path}:/d"]}, no_containers)
    with pytest.raises(InvalidParameter, match="Duplicate mount point: /d"):
        mounts_for_create(volumes, {}, {"Binds": ["one:/d", "two:/d/"]}, no_containers)


def test_volumes_from_copies_mounts_with_the_mode_given(volumes: VolumeService) -> None:
    theirs = [{"Type": "volume", "Name": "v", "Source": "/s", "Destination": "/shared",
               "Driver": "local", "Mode": "z", "RW": True, "Propagation": ""},
              {"Type": "tmpfs", "Source": "", "Destination": "/t", "Mode": "", "RW": True,
               "Propagation": ""}]
    points = mounts_for_create(volumes, {}, {"VolumesFrom": ["src:ro"]},
                               lambda ref: theirs if ref == "src" else no_containers(ref))
    assert points == [{**theirs[0], "RW": False, "Mode": "ro"}]
    with pytest.raises(NotFound, match="No such container: gone"):
        mounts_for_create(volumes, {}, {"VolumesFrom": ["gone"]}, no_containers)


def test_volume_records_round_trip(tmp_path: Path) -> None:
    db = MetadataStore(tmp_path / "m.db")
    try:
        record = VolumeRecord("v1", "local", "2024-01-01T00:00:00Z", {"a": "b"},
                              {"type": "tmpfs", "device": "tmpfs"})
        db.put_volume(record)
        assert db.get_volume("v1") == record and db.list_volumes() == [record]
        assert db.delete_volume("v1") and not db.delete_volume("v1")
        assert db.get_volume("v1") is None
    finally:
        db.close()


def test_a_bad_name_makes_no_volume_at_all(volumes: VolumeService) -> None:
    with pytest.raises(InvalidParameter, match='create b/c: "b/c" includes invalid'):
        mounts_for_create(volumes, {"Volumes": {"/anon": {}}},
                          {"Binds": ["good:/g", "b/c:/bad"]}, no_containers)
    assert volumes.listing({})["Volumes"] == []
