"""The ``tags`` and ``digests`` tables (``core.metadata.ReferenceStore``)."""

from __future__ import annotations

from wharf.store.metadata.database import Database

__all__ = ["ReferenceTable"]


class ReferenceTable(Database):
    def set_tag(self, reference: str, image_id: str) -> str | None:
        """Point ``reference`` at ``image_id``; returns the image it pointed at before."""
        with self.transaction() as db:
            row = db.execute("SELECT image_id FROM tags WHERE reference = ?", (reference,))
            previous = row.fetchone()
            db.execute(
                "INSERT INTO tags VALUES (?, ?) ON CONFLICT(reference) DO UPDATE"
                " SET image_id=excluded.image_id",
                (reference, image_id),
            )
            return str(previous[0]) if previous else None

    def get_tag(self, reference: str) -> str | None:
        rows = self._query("SELECT image_id FROM tags WHERE reference = ?", (reference,))
        return str(rows[0][0]) if rows else None

    def remove_tag(self, reference: str) -> bool:
        with self.transaction() as db:
            return db.execute("DELETE FROM tags WHERE reference = ?", (reference,)).rowcount > 0

    def tags_of(self, image_id: str) -> list[str]:
        rows = self._query(
            "SELECT reference FROM tags WHERE image_id = ? ORDER BY reference", (image_id,)
        )
        return [str(r[0]) for r in rows]

    def list_tags(self) -> list[tuple[str, str]]:
        """(reference, image id) pairs, sorted by reference."""
        rows = self._query("SELECT reference, image_id FROM tags ORDER BY reference")
        return [(str(a), str(b)) for a, b in rows]

    def add_digest(self, reference: str, image_id: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO digests VALUES (?, ?) ON CONFLICT(reference) DO UPDATE"
                " SET image_id=excluded.image_id",
                (reference, image_id),
            )

    def get_digest(self, reference: str) -> str | None:
        rows = self._query("SELECT image_id FROM digests WHERE reference = ?", (reference,))
        return str(rows[0][0]) if rows else None

    def remove_digest(self, reference: str) -> bool:
        with self.transaction() as db:
            return db.execute("DELETE FROM digests WHERE reference = ?", (reference,)).rowcount > 0

    def digests_of(self, image_id: str) -> list[str]:
        rows = self._query(
            "SELECT reference FROM digests WHERE image_id = ? ORDER BY reference", (image_id,)
        )
        return [str(r[0]) for r in rows]
