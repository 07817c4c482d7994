"""The ``volumes`` table (``core.metadata.VolumeRecords``)."""

from __future__ import annotations

import json

from wharf.core.metadata import VolumeRecord
from wharf.store.metadata.database import Database

__all__ = ["VolumeTable"]


class VolumeTable(Database):
    def put_volume(self, volume: VolumeRecord) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO volumes VALUES (?, ?, ?, ?, ?)",
                (volume.name, volume.driver, volume.created, json.dumps(volume.labels),
                 json.dumps(volume.options)),
            )

    def get_volume(self, name: str) -> VolumeRecord | None:
        rows = self._query("SELECT * FROM volumes WHERE name = ?", (name,))
        return _record(rows[0]) if rows else None

    def list_volumes(self) -> list[VolumeRecord]:
        return [_record(r) for r in self._query("SELECT * FROM volumes ORDER BY name")]

    def delete_volume(self, name: str) -> bool:
        with self.transaction() as db:
            return db.execute("DELETE FROM volumes WHERE name = ?", (name,)).rowcount > 0


def _record(row: tuple[object, ...]) -> VolumeRecord:
    name, driver, created, labels, options = row
    return VolumeRecord(str(name), str(driver), str(created), json.loads(str(labels)),
                        json.loads(str(options)))
