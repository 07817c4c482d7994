"""The networks table: round trip, unique names, migration 3."""

from __future__ import annotations

from pathlib import Path

import pytest

from wharf.core.errors import Conflict
from wharf.core.metadata import NetworkRecord
from wharf.store.metadata import SCHEMA_VERSION, MetadataStore


def test_round_trip_and_unique_names(tmp_path: Path) -> None:
    db = MetadataStore(tmp_path / "metadata.db")
    assert db.schema_version == SCHEMA_VERSION >= 3
    record = NetworkRecord(
        id="a" * 64, name="net1", driver="bridge", created="2026-01-01T00:00:00.000000000Z",
        internal=True, enable_ipv6=True,
        ipam={"Driver": "default", "Options": {}, "Config": [{"Subnet": "10.1.0.0/24"}]},
        options={"foo": "bar"}, labels={"a": "b"}, bridge="wbr-aaaaaaaaaaa",
        pool_subnets=("172.18.0.0/16",))
    db.put_network(record)
    assert db.get_network("a" * 64) == record
    db.put_network(record)  # the same network again: replaced
    with pytest.raises(Conflict, match="network with name net1 already exists"):
        db.put_network(NetworkRecord(id="b" * 64, name="net1", driver="bridge", created=""))
    assert [n.id for n in db.list_networks()] == ["a" * 64]
    assert db.delete_network("a" * 64) and not db.delete_network("a" * 64)
    assert db.get_network("a" * 64) is None
    db.close()
