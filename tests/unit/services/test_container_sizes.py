"""SizeRw / SizeRootFs on request, and prune's SpaceReclaimed (what the removed wrote)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.unit.services.fakes import World, body


def test_sizes_and_space_reclaimed(tmp_path: Path) -> None:
    async def scenario() -> None:
        world = World(tmp_path)
        service = world.containers()
        record, _ = service.create("writer", body({"Image": "busybox", "Cmd": ["true"],
                                              "Labels": {"prune": "me"}}))
        kept, _ = service.create("kept", body({"Image": "busybox", "Cmd": ["true"]}))
        (tmp_path / "overlay" / record.id / "merged" / "file").write_bytes(b"x" * 100)
        assert await service.sizes([record, kept]) == [
            {"SizeRw": 100, "SizeRootFs": 4_000_100}, {"SizeRw": 0, "SizeRootFs": 4_000_000}]
        result = await service.prune(lambda r: r.labels.get("prune") == "me")
        assert result == {"ContainersDeleted": [record.id], "SpaceReclaimed": 100}
        prune = world.events.history()[-1]
        assert (prune.action, prune.attributes) == ("prune", {"reclaimed": "100"})
        assert await service.sizes([record]) == [{"SizeRw": 0, "SizeRootFs": 4_000_000}]

    asyncio.run(scenario())
