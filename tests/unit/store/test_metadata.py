from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from wharf.core.errors import WharfError
from wharf.store.metadata import (
    SCHEMA_VERSION,
    ContainerRecords,
    ContainerRow,
    ImageRecord,
    LayerRecord,
    MetadataStore,
    NameInUse,
)

IMG = "sha256:" + "1" * 64


@pytest.fixture
def db(tmp_path: Path) -> Iterator[MetadataStore]:
    store = MetadataStore(tmp_path / "metadata.db")
    yield store
    store.close()


def image(image_id: str = IMG) -> ImageRecord:
    return ImageRecord(image_id, image_id, "", "2024-01-01T00:00:00Z", 10, ["sha256:" + "c" * 64])


def test_schema_is_wal_and_versioned(tmp_path: Path) -> None:
    store = MetadataStore(tmp_path / "m.db")
    assert store.schema_version == SCHEMA_VERSION
    store.close()
    raw = sqlite3.connect(tmp_path / "m.db")
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(WharfError, match="newer than this wharf"):
        MetadataStore(tmp_path / "m.db")


def test_images_tags_and_cascade(db: MetadataStore) -> None:
    db.put_image(image())
    assert db.get_image(IMG) == image()
    assert db.image_ids_with_prefix("sha256:111") == [IMG]
    assert db.image_ids_with_prefix("sha256:1_1") == []  # LIKE wildcards escaped
    assert db.set_tag("docker.io/library/a:latest", IMG) is None
    assert db.set_tag("docker.io/library/a:latest", IMG) == IMG
    db.add_digest("docker.io/library/a@sha256:" + "d" * 64, IMG)
    assert db.tags_of(IMG) == ["docker.io/library/a:latest"]
    assert db.get_tag("docker.io/library/a:latest") == IMG
    assert db.delete_image(IMG)
    assert db.list_tags() == [] and db.digests_of(IMG) == []
    with pytest.raises(sqlite3.IntegrityError):
        db.set_tag("x", "sha256:missing")


def test_layers(db: MetadataStore) -> None:
    c, d, b = ("sha256:" + x * 64 for x in "cdb")
    layer = LayerRecord(c, d, "", 5, b, "m")
    db.put_layer(layer)
    assert db.get_layer(layer.chain_id) == layer
    assert db.list_layers() == [layer.chain_id]
    assert db.delete_layer(layer.chain_id) and db.get_layer(layer.chain_id) is None


def test_containers_names_are_unique(db: MetadataStore) -> None:
    a = ContainerRow("a" * 64, "/one", IMG, "2024", '{"x": 1}')
    b = ContainerRow("ab" + "0" * 62, "/two", IMG, "2025", "{}")
    db.put_container(a)
    db.put_container(b)
    assert db.get_container_by_name("/one") == a
    assert sorted(db.container_ids_with_prefix("a")) == sorted([a.id, b.id])
    assert db.container_ids_with_prefix("aa") == [a.id]
    with pytest.raises(NameInUse) as info:
        db.rename_container(b.id, "/one")
    assert info.value.existing_id == a.id
    with pytest.raises(NameInUse):
        db.put_container(ContainerRow("c" * 64, "/one", "", "", "{}"))
    db.rename_container(a.id, "/three")
    assert db.get_container(a.id) == ContainerRow(a.id, "/three", IMG, "2024", '{"x": 1}')
    assert db.containers_using_image(IMG) == [a.id, b.id]
    assert db.delete_container(a.id) and not db.delete_container(a.id)
    assert [c.id for c in db.list_containers()] == [b.id]


def test_transaction_rolls_back(db: MetadataStore) -> None:
    with pytest.raises(RuntimeError), db.transaction():
        db.kv_put("ns", "k", "v")
        raise RuntimeError
    assert db.kv_get("ns", "k") is None
    db.kv_put("ns", "k", "v")
    assert db.kv_list("ns") == [("k", "v")] and db.kv_delete("ns", "k")


def test_concurrent_threads(db: MetadataStore) -> None:
    def work(n: int) -> None:
        for i in range(50):
            db.kv_put("t", f"{n}-{i}", str(i))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(db.kv_list("t")) == 400


def test_container_records_port(db: MetadataStore) -> None:
    records = ContainerRecords(db)
    record = json.dumps({"image_id": IMG, "created": "2024"})
    records.save("a" * 64, "web", record)
    records.save("b" * 64, "db", "not json")
    assert db.containers_using_image(IMG) == ["a" * 64]
    assert sorted(records.load_all()) == sorted([record, "not json"])
    with pytest.raises(NameInUse):
        records.save("c" * 64, "web", "{}")
    records.delete("a" * 64)
    assert len(records.load_all()) == 1
