"""The ``containers`` table (``core.metadata.ContainerRows``)."""

from __future__ import annotations

from wharf.core.metadata import ContainerRow, NameInUse
from wharf.store.metadata.database import Database

__all__ = ["ContainerTable"]


class ContainerTable(Database):
    def put_container(self, row: ContainerRow) -> None:
        """Insert or replace a container; NameInUse when another container has the name."""
        with self.transaction() as db:
            owner = db.execute("SELECT id FROM containers WHERE name = ?", (row.name,)).fetchone()
            if owner and owner[0] != row.id:
                raise NameInUse(row.name, str(owner[0]))
            db.execute(
                "INSERT INTO containers VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET"
                " name=excluded.name, image_id=excluded.image_id, created=excluded.created,"
                " record=excluded.record",
                (row.id, row.name, row.image_id, row.created, row.record),
            )

    def get_container(self, container_id: str) -> ContainerRow | None:
        rows = self._query("SELECT * FROM containers WHERE id = ?", (container_id,))
        return _container(rows[0]) if rows else None

    def list_containers(self) -> list[ContainerRow]:
        return [_container(r) for r in self._query("SELECT * FROM containers ORDER BY created")]

    def containers_using_image(self, image_id: str) -> list[str]:
        rows = self._query("SELECT id FROM containers WHERE image_id = ?", (image_id,))
        return [str(r[0]) for r in rows]

    def delete_container(self, container_id: str) -> bool:
        with self.transaction() as db:
            return db.execute("DELETE FROM containers WHERE id = ?", (container_id,)).rowcount > 0


def _container(row: tuple[object, ...]) -> ContainerRow:
    i, n, img, created, record = row
    return ContainerRow(str(i), str(n), str(img), str(created), str(record))
