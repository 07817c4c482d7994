"""``VolumeService``: dockerd's rules and words for create/inspect/list/remove/prune, the
counting of mounts per container, the rebuild at daemon start, and events."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from wharf.core.errors import Conflict, InvalidParameter, NotFound
from wharf.services.events import EventBus
from wharf.services.volumes import ANONYMOUS_LABEL, VolumeService
from wharf.store.metadata import MetadataStore
from wharf.volumes.local import LocalVolumes


class CountingDriver(LocalVolumes):
    """The local driver, with mount and unmount calls recorded instead of made."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.calls: list[tuple[str, str]] = []

    def mount(self, name: str) -> Path:
        self.calls.append(("mount", name))
        return self.path(name)

    def unmount(self, name: str) -> None:
        self.calls.append(("unmount", name))


class Setup:
    def __init__(self, tmp_path: Path) -> None:
        self.db = MetadataStore(tmp_path / "m.db")
        self.driver = CountingDriver(tmp_path / "volumes")
        self.events = EventBus()
        self.users: dict[str, list[str]] = {}
        self.service = VolumeService(self.db, self.driver, self.events,
                                     lambda name: self.users.get(name, []))

    def actions(self, name: str) -> list[str]:
        return [e.action for e in self.events._history if e.actor_id == name]


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    made = Setup(tmp_path)
    yield made
    made.db.close()


def test_create_and_inspect_are_dockers_shape(setup: Setup, tmp_path: Path) -> None:
    created = setup.service.create("data", "local", {}, {"a": "b"})
    assert set(created) == {"CreatedAt", "Driver", "Labels", "Mountpoint", "Name", "Options",
                            "Scope"}
    assert created["Mountpoint"] == str(tmp_path / "volumes" / "data" / "_data")
    assert (created["Driver"], created["Labels"], created["Scope"]) == ("local", {"a": "b"},
                                                                         "local")
    assert setup.service.create("data") == created  # a second create returns the same one
    assert setup.actions("data") == ["create"]


def test_no_name_makes_64_hex(setup: Setup) -> None:
    name = setup.service.create()["Name"]
    assert len(name) == 64 and int(name, 16) >= 0


@pytest.mark.parametrize(("name", "driver", "options", "error", "message"), [
    ("a", "", {}, InvalidParameter, "create a: volume name is too short, names should be at "
                                    "least two alphanumeric characters"),
    ("-x", "", {}, InvalidParameter,
     'create -x: "-x" includes invalid characters for a local volume name, only '
     '"[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, '
     "use absolute path"),
    ("ok1", "flocker", {}, NotFound,
     'create ok1: error looking up volume plugin flocker: plugin "flocker" not found'),
    ("ok2", "", {"o": "size=1m"}, InvalidParameter,
     'create ok2: missing required option: "device"'),
])
def test_bad_creates_make_nothing(setup: Setup, name: str, driver: str,
                                  options: dict[str, str], error: type[Exception],
                                  message: str) -> None:
    with pytest.raises(error) as caught:
        setup.service.create(name, driver, options)
    assert str(caught.value) == message
    assert setup.db.list_volumes() == [] and setup.driver.names() == []


def test_listing_filters(setup: Setup) -> None:
    setup.service.create("alpha", labels={"tier": "db"})
    setup.service.create("beta", labels={"tier": "web"})
    setup.users["alpha"] = ["c1"]

    def names(filters: dict[str, list[str]]) -> list[str]:
        return [v["Name"] for v in setup.service.listing(filters)["Volumes"]]

    assert names({}) == ["alpha", "beta"]
    assert names({"dangling": ["true"]}) == ["beta"]
    assert names({"dangling": ["0"]}) == ["alpha"]
    assert names({"label": ["tier=web"]}) == ["beta"]
    assert names({"label": ["tier"]}) == ["alpha", "beta"]
    assert names({"name": ["lph"]}) == ["alpha"]
    assert names({"driver": ["local"]}) == ["alpha", "beta"]
    with pytest.raises(InvalidParameter, match="invalid filter 'colour'"):
        names({"colour": ["red"]})
    with pytest.raises(InvalidParameter, match="invalid filter 'dangling=maybe'"):
        names({"dangling": ["maybe"]})


def test_remove_refuses_a_volume_in_use_and_force_ignores_missing(setup: Setup) -> None:
    setup.service.create("busy")
    setup.users["busy"] = ["c1", "c2"]
    with pytest.raises(Conflict) as caught:
        asyncio.run(setup.service.remove("busy", force=True))
    assert caught.value.message == "remove busy: volume is in use - [c1, c2]"
    setup.users.clear()
    asyncio.run(setup.service.remove("busy"))
    assert setup.actions("busy") == ["create", "destroy"]
    with pytest.raises(NotFound, match="get busy: no such volume"):
        asyncio.run(setup.service.remove("busy"))
    asyncio.run(setup.service.remove("busy", force=True))


def test_prune_takes_anonymous_unused_volumes_unless_all(setup: Setup) -> None:
    setup.service.ensure("anon1", labels={ANONYMOUS_LABEL: ""})
    setup.service.ensure("anon2", labels={ANONYMOUS_LABEL: "", "keep": "1"})
    setup.service.ensure("anon3", labels={ANONYMOUS_LABEL: ""})
    setup.service.create("named")
    setup.users["anon3"] = ["c1"]
    (setup.driver.path("anon1") / "f").write_bytes(b"12345")
    report = asyncio.run(setup.service.prune({"label!": ["keep"]}))
    assert report == {"VolumesDeleted": ["anon1"], "SpaceReclaimed": 5}
    report = asyncio.run(setup.service.prune({"all": ["true"]}))
    assert report == {"VolumesDeleted": ["anon2", "named"], "SpaceReclaimed": 0}
    assert asyncio.run(setup.service.prune({})) == {"VolumesDeleted": None,
                                                     "SpaceReclaimed": 0}
    with pytest.raises(InvalidParameter, match="invalid filter 'until'"):
        asyncio.run(setup.service.prune({"until": ["1h"]}))


def test_the_first_user_mounts_and_the_last_unmounts(setup: Setup) -> None:
    setup.service.create("shared")
    attributes = {"destination": "/d", "propagation": "", "read/write": "true"}
    setup.service.mount_for("c1", "shared", attributes)
    setup.service.mount_for("c2", "shared", attributes)
    setup.service.release("c1", "shared")
    assert setup.driver.calls == [("mount", "shared")]
    setup.service.release("c2", "shared")
    setup.service.release("c2", "shared")  # a second release is nothing
    assert setup.driver.calls == [("mount", "shared"), ("unmount", "shared")]
    assert setup.actions("shared") == ["create", "mount", "mount", "unmount", "unmount"]
    mount_event = next(e for e in setup.events._history if e.action == "mount")
    assert mount_event.attributes == {"container": "c1", "driver": "local", **attributes}


def test_restore_counts_running_users_and_unmounts_the_rest(setup: Setup) -> None:
    setup.service.create("used")
    setup.service.create("idle")
    setup.service.restore({"c1": ["used"]})
    assert setup.driver.calls == [("unmount", "idle")]
    setup.service.release("c1", "used")
    assert setup.driver.calls[-1] == ("unmount", "used")


def test_usage_reports_size_and_references(setup: Setup) -> None:
    setup.service.create("sized")
    (setup.driver.path("sized") / "f").write_bytes(b"x" * 10)
    setup.users["sized"] = ["c1"]
    [entry] = setup.service.usage()
    assert entry["UsageData"] == {"Size": 10, "RefCount": 1}


def test_labels_and_options_not_given_show_as_null(setup: Setup) -> None:
    """A volume a container made by naming it has neither (dockerd shows null); the CLI's
    ``volume create`` sends empty maps, shown as such."""
    setup.service.ensure("implicit")
    shown = setup.service.inspect("implicit")
    assert shown["Labels"] is None and shown["Options"] is None
    assert setup.service.listing({"label": ["x"]})["Volumes"] == []
    assert setup.service.create("explicit")["Labels"] == {}
    assert setup.service.inspect("explicit")["Options"] == {}
