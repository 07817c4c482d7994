"""``images.last_used`` (migration 5) and LastTagTime kept across a re-store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from wharf.core.metadata import ImageRecord
from wharf.store.metadata import MetadataStore
from wharf.store.metadata.schema import MIGRATIONS

IMG = "sha256:" + "1" * 64


def _record(**times: str) -> ImageRecord:
    return ImageRecord(IMG, IMG, "", "2024-01-01T00:00:00Z", 10, [], **times)


def test_last_used_and_tag_time_survive_a_re_store(tmp_path: Path) -> None:
    db = MetadataStore(tmp_path / "m.db")
    try:
        db.put_image(_record(last_tag_time="2025-01-01T00:00:00Z"))
        db.set_last_used(IMG, "2025-02-01T00:00:00Z")
        db.put_image(_record())  # the same image stored again, untagged
        stored = db.get_image(IMG)
        assert stored is not None
        assert (stored.last_tag_time, stored.last_used) == ("2025-01-01T00:00:00Z",
                                                            "2025-02-01T00:00:00Z")
    finally:
        db.close()


def test_migration_5_adds_the_column_to_an_existing_database(tmp_path: Path) -> None:
    raw = sqlite3.connect(tmp_path / "m.db")
    for number, script in enumerate(MIGRATIONS[:4], start=1):
        raw.executescript(f"BEGIN; {script}; PRAGMA user_version={number}; COMMIT;")
    raw.execute("INSERT INTO images VALUES (?, ?, '', '2024-01-01T00:00:00Z', 1, '[]', '')",
                (IMG, IMG))
    raw.commit()
    raw.close()
    db = MetadataStore(tmp_path / "m.db")
    try:
        stored = db.get_image(IMG)
        assert stored is not None and stored.last_used == ""
    finally:
        db.close()
