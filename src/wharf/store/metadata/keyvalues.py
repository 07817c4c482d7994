"""The ``kv`` table (``core.metadata.KeyValues``)."""

from __future__ import annotations

from wharf.store.metadata.database import Database

__all__ = ["KeyValueTable"]


class KeyValueTable(Database):
    def kv_put(self, namespace: str, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO kv VALUES (?, ?, ?)", (namespace, key, value))

    def kv_get(self, namespace: str, key: str) -> str | None:
        rows = self._query("SELECT value FROM kv WHERE namespace = ? AND key = ?", (namespace, key))
        return str(rows[0][0]) if rows else None

    def kv_delete(self, namespace: str, key: str) -> bool:
        with self.transaction() as db:
            cur = db.execute("DELETE FROM kv WHERE namespace = ? AND key = ?", (namespace, key))
            return cur.rowcount > 0

    def kv_list(self, namespace: str) -> list[tuple[str, str]]:
        rows = self._query(
            "SELECT key, value FROM kv WHERE namespace = ? ORDER BY key", (namespace,)
        )
        return [(str(k), str(v)) for k, v in rows]
