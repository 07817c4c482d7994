"""The ``images`` table (``core.metadata.ImageRecords``)."""

from __future__ import annotations

import json

from wharf.core.metadata import ImageRecord
from wharf.store.metadata.database import Database, escape_like

__all__ = ["ImageTable"]


class ImageTable(Database):
    def put_image(self, image: ImageRecord) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO images VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET"
                " config_digest=excluded.config_digest, manifest_digest=excluded.manifest_digest,"
                " created=excluded.created, size=excluded.size, chain_ids=excluded.chain_ids,"
                " last_tag_time=CASE excluded.last_tag_time WHEN '' THEN last_tag_time"
                " ELSE excluded.last_tag_time END",
                (
                    image.id,
                    image.config_digest,
                    image.manifest_digest,
                    image.created,
                    image.size,
                    json.dumps(image.chain_ids),
                    image.last_tag_time,
                    image.last_used,
                ),
            )

    def get_image(self, image_id: str) -> ImageRecord | None:
        rows = self._query("SELECT * FROM images WHERE id = ?", (image_id,))
        return _image(rows[0]) if rows else None

    def list_images(self) -> list[ImageRecord]:
        return [_image(r) for r in self._query("SELECT * FROM images ORDER BY created, id")]

    def image_ids_with_prefix(self, prefix: str, limit: int = 2) -> list[str]:
        """Ids of images starting with ``prefix`` (``sha256:`` included), at most ``limit``."""
        rows = self._query(
            "SELECT id FROM images WHERE id LIKE ? ESCAPE '\\' LIMIT ?",
            (escape_like(prefix), limit),
        )
        return [str(r[0]) for r in rows]

    def delete_image(self, image_id: str) -> bool:
        """Delete the image; its tags and digest references go with it (ON DELETE CASCADE)."""
        with self.transaction() as db:
            return db.execute("DELETE FROM images WHERE id = ?", (image_id,)).rowcount > 0

    def set_last_tag_time(self, image_id: str, when: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE images SET last_tag_time = ? WHERE id = ?", (when, image_id))

    def set_last_used(self, image_id: str, when: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE images SET last_used = ? WHERE id = ?", (when, image_id))


def _image(row: tuple[object, ...]) -> ImageRecord:
    i, c, m, created, size, chains, tagged, used = row
    return ImageRecord(
        str(i), str(c), str(m), str(created), int(str(size)), json.loads(str(chains)), str(tagged),
        str(used),
    )
