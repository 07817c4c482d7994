"""The metadata database: each resource's table through its Protocol, the schema's versions."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from wharf.core.errors import WharfError
from wharf.core.metadata import ContainerRow, ImageRecord, LayerRecord, NameInUse
from wharf.store.metadata import SCHEMA_VERSION, MetadataStore, database
from wharf.store.metadata.schema import MIGRATIONS

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


def test_an_appended_migration_runs_once_on_an_existing_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    MetadataStore(tmp_path / "m.db").close()
    added = "CREATE TABLE scratch_table (name TEXT PRIMARY KEY)"
    monkeypatch.setattr(database, "MIGRATIONS", (*MIGRATIONS, added))
    monkeypatch.setattr(database, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    store = MetadataStore(tmp_path / "m.db")
    assert store.schema_version == SCHEMA_VERSION + 1
    store.close()
    MetadataStore(tmp_path / "m.db").close()  # not run again: CREATE TABLE would fail


def test_a_failing_migration_leaves_the_last_good_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    MetadataStore(tmp_path / "m.db").close()
    broken = "CREATE TABLE scratch_table (name TEXT PRIMARY KEY); CREATE TABLE images (id TEXT)"
    monkeypatch.setattr(database, "MIGRATIONS", (*MIGRATIONS, broken))
    monkeypatch.setattr(database, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(sqlite3.OperationalError, match="already exists"):
        MetadataStore(tmp_path / "m.db")
    raw = sqlite3.connect(tmp_path / "m.db")
    assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    raw.close()
    assert "scratch_table" not in tables  # the half-run script was rolled back


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
    with pytest.raises(NameInUse) as info:
        db.put_container(ContainerRow("c" * 64, "/one", "", "", "{}"))
    assert info.value.existing_id == a.id
    renamed = ContainerRow(a.id, "/three", IMG, "2024", '{"x": 2}')
    db.put_container(renamed)  # the same container may take a new name and record
    assert db.get_container(a.id) == renamed
    db.put_container(ContainerRow("c" * 64, "/one", "", "2026", "{}"))  # the old name is free
    assert db.containers_using_image(IMG) == [a.id, b.id]
    assert db.delete_container(a.id) and not db.delete_container(a.id)
    assert [c.id for c in db.list_containers()] == [b.id, "c" * 64]


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
