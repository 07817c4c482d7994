"""The container service's store (``ContainerStorePort``) on the metadata database's
containers table: the one adapter between them, as the daemon wires it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from wharf.core.metadata import NameInUse
from wharf.daemon.wiring import MetadataContainerStore
from wharf.services.container_record import ContainerRecord
from wharf.store.metadata import MetadataStore

IMG = "sha256:" + "1" * 64


@pytest.fixture
def db(tmp_path: Path) -> Iterator[MetadataStore]:
    store = MetadataStore(tmp_path / "metadata.db")
    yield store
    store.close()


def record(container_id: str, name: str, image_id: str = IMG) -> ContainerRecord:
    return ContainerRecord(container_id, name, "2024-01-01T00:00:00Z", image_id, "sh", [], {}, {})


def test_records_round_trip_with_indexed_columns(db: MetadataStore) -> None:
    store = MetadataContainerStore(db)
    web = record("a" * 64, "web")
    store.save(web)
    store.save(record("b" * 64, "db", image_id="sha256:" + "2" * 64))
    row = db.get_container(web.id)
    assert row is not None and row.name == "/web" and row.created == web.created
    assert db.containers_using_image(IMG) == [web.id]  # what rmi asks
    loaded = sorted(ContainerRecord.from_json(text).name for text in store.load_all())
    assert loaded == ["db", "web"]


def test_names_stay_unique_and_delete_frees_them(db: MetadataStore) -> None:
    store = MetadataContainerStore(db)
    store.save(record("a" * 64, "web"))
    with pytest.raises(NameInUse):
        store.save(record("c" * 64, "web"))
    store.delete("a" * 64)
    store.save(record("c" * 64, "web"))
    assert [ContainerRecord.from_json(t).id for t in store.load_all()] == ["c" * 64]
