"""The ``layers`` table (``core.metadata.LayerRecords``)."""

from __future__ import annotations

from wharf.core.metadata import LayerRecord
from wharf.store.metadata.database import Database

__all__ = ["LayerTable"]


class LayerTable(Database):
    def put_layer(self, layer: LayerRecord) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO layers VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    layer.chain_id,
                    layer.diff_id,
                    layer.parent,
                    layer.size,
                    layer.blob_digest,
                    layer.media_type,
                    layer.created,
                ),
            )

    def get_layer(self, chain_id: str) -> LayerRecord | None:
        rows = self._query("SELECT * FROM layers WHERE chain_id = ?", (chain_id,))
        if not rows:
            return None
        c, d, p, s, b, m, t = rows[0]
        return LayerRecord(str(c), str(d), str(p), int(str(s)), str(b), str(m), str(t))

    def list_layers(self) -> list[str]:
        return [str(r[0]) for r in self._query("SELECT chain_id FROM layers ORDER BY chain_id")]

    def delete_layer(self, chain_id: str) -> bool:
        with self.transaction() as db:
            return db.execute("DELETE FROM layers WHERE chain_id = ?", (chain_id,)).rowcount > 0
