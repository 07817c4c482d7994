"""The ``build_cache`` table (``core.metadata.BuildCacheRecords``)."""

from __future__ import annotations

from wharf.core.metadata import BuildCacheRecord
from wharf.store.metadata.database import Database

__all__ = ["BuildCacheTable"]


class BuildCacheTable(Database):
    def put_build_cache(self, record: BuildCacheRecord) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO build_cache VALUES (?, ?, ?, ?, ?)",
                (record.key, record.image_id, record.created, record.last_used,
                 record.description),
            )

    def get_build_cache(self, key: str) -> BuildCacheRecord | None:
        rows = self._query("SELECT * FROM build_cache WHERE key = ?", (key,))
        return _record(rows[0]) if rows else None

    def touch_build_cache(self, key: str, when: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE build_cache SET last_used = ? WHERE key = ?", (when, key))

    def list_build_cache(self) -> list[BuildCacheRecord]:
        return [_record(r) for r in self._query("SELECT * FROM build_cache ORDER BY created")]

    def delete_build_cache(self, key: str) -> bool:
        with self.transaction() as db:
            return db.execute("DELETE FROM build_cache WHERE key = ?", (key,)).rowcount > 0


def _record(row: tuple[object, ...]) -> BuildCacheRecord:
    key, image_id, created, last_used, description = row
    return BuildCacheRecord(str(key), str(image_id), str(created), str(last_used),
                            str(description))
