"""The start-up reconcile against fakes: adopt what has a record, remove what has none."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.unit.services.fakes import FakeShim, World, body

from wharf.core.shimconfig import ShimConfig
from wharf.services.container_config import cgroups_path
from wharf.services.container_record import ContainerRecord
from wharf.services.containers import ContainerService


def launched_shim(world: World, container_id: str) -> FakeShim:
    """A shim as a crashed daemon left it: launched, its container maybe started."""
    bundle = world.root / "data" / "containers" / container_id
    config = ShimConfig(container_id, bundle, "wharf", world.root / "data" / "runtime",
                        False, False, False, bundle / "log")
    shim = FakeShim(config, {"process": {"args": ["sleep", "9"]}})
    world.launcher.alive[bundle] = shim
    world.launcher.shims[container_id] = shim
    return shim


def test_a_started_container_whose_running_state_was_not_saved_is_adopted(
        tmp_path: Path) -> None:
    async def scenario() -> None:
        world = World(tmp_path)
        first = world.containers()
        record, _ = first.create("web", body({"Image": "busybox", "Cmd": ["sleep", "9"]}))
        shim = launched_shim(world, record.id)
        await shim.start()  # ... and the daemon died before saving "running"

        second = ContainerService(world.deps())
        await second.restore()
        adopted = second.get("web")
        assert (adopted.state.status, adopted.state.pid) == ("running", 4242)
        saved = ContainerRecord.from_json(world.store.rows[record.id])
        assert (saved.state.status, saved.state.pid) == ("running", 4242)
        await shim.kill(9)
        assert await asyncio.wait_for(second.wait("web", "not-running"), 2) == 137
        await second.shutdown()

    asyncio.run(scenario())


def test_a_shim_launched_but_never_started_is_killed(tmp_path: Path) -> None:
    async def scenario() -> None:
        world = World(tmp_path)
        record, _ = world.containers().create("web", body({"Image": "busybox", "Cmd": ["true"]}))
        launched_shim(world, record.id)
        world.cgroups.existing.add(cgroups_path(record.id))
        second = ContainerService(world.deps())
        await second.restore()
        bundle = tmp_path / "data" / "containers" / record.id
        assert world.launcher.destroyed == [bundle]
        assert world.cgroups.destroyed == [cgroups_path(record.id)]
        assert second.get("web").state.status == "created"
        assert bundle.is_dir()  # the container itself stays
        await second.shutdown()

    asyncio.run(scenario())


def test_everything_of_a_container_without_record_is_removed(tmp_path: Path) -> None:
    async def scenario() -> None:
        world = World(tmp_path)
        kept, _ = world.containers().create("kept", body({"Image": "busybox", "Cmd": ["true"]}))
        orphan = "ab" * 32
        bundle = tmp_path / "data" / "containers" / orphan
        bundle.mkdir(parents=True)
        (tmp_path / "data" / "runtime" / orphan).mkdir(parents=True)
        world.rootfs.created.add(orphan)
        world.cgroups.existing.add(cgroups_path(orphan))
        launched_shim(world, orphan)
        (tmp_path / "data" / "runtime" / "not-a-container-id").mkdir()

        second = ContainerService(world.deps())
        await second.restore()
        assert world.launcher.destroyed == [bundle]
        assert world.cgroups.destroyed == [cgroups_path(orphan)]
        assert not bundle.exists() and not (tmp_path / "data" / "runtime" / orphan).exists()
        assert world.rootfs.created == {kept.id}
        assert (tmp_path / "data" / "runtime" / "not-a-container-id").is_dir()
        assert (tmp_path / "data" / "containers" / kept.id).is_dir()
        await second.shutdown()

    asyncio.run(scenario())
