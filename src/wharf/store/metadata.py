"""wharf's metadata database: one SQLite file in WAL mode, versioned with ``PRAGMA user_version``.

Schema (version 1)::

    images      id TEXT PK ("sha256:<config hex>")   config_digest   manifest_digest
                created TEXT (RFC 3339)   size INTEGER (bytes of all layers, unpacked)
                chain_ids TEXT (JSON list, bottom first)   last_tag_time TEXT
    tags        reference TEXT PK ("docker.io/library/busybox:latest")  image_id → images.id
    digests     reference TEXT PK ("docker.io/library/busybox@sha256:…") image_id → images.id
    layers      chain_id TEXT PK   diff_id   parent (chain id or "")   size INTEGER (unpacked)
                blob_digest (compressed blob in the content store)   media_type   created
    containers  id TEXT PK (64 hex)   name TEXT UNIQUE ("/name")   image_id   created
                record TEXT (JSON owned by the container service)
    kv          namespace, key (PK together)   value TEXT   — for resources added later

Migrations are an ordered list of SQL scripts; ``user_version`` counts how many ran. A database
newer than this code refuses to open rather than being misread.

Thread safety: one connection guarded by a lock; every public method is one short transaction.
Callers on an asyncio loop may call the fast lookups directly and batch work in a thread.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from wharf.core.errors import WharfError
from wharf.core.metadata import ContainerRow, ImageRecord, LayerRecord, NameInUse

__all__ = [
    "SCHEMA_VERSION",
    "ContainerRecords",
    "ContainerRow",
    "ImageRecord",
    "LayerRecord",
    "MetadataStore",
    "NameInUse",
]

_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE images (
        id TEXT PRIMARY KEY,
        config_digest TEXT NOT NULL,
        manifest_digest TEXT NOT NULL DEFAULT '',
        created TEXT NOT NULL,
        size INTEGER NOT NULL DEFAULT 0,
        chain_ids TEXT NOT NULL DEFAULT '[]',
        last_tag_time TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE tags (
        reference TEXT PRIMARY KEY,
        image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE
    );
    CREATE INDEX tags_by_image ON tags(image_id);
    CREATE TABLE digests (
        reference TEXT PRIMARY KEY,
        image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE
    );
    CREATE INDEX digests_by_image ON digests(image_id);
    CREATE TABLE layers (
        chain_id TEXT PRIMARY KEY,
        diff_id TEXT NOT NULL,
        parent TEXT NOT NULL DEFAULT '',
        size INTEGER NOT NULL DEFAULT 0,
        blob_digest TEXT NOT NULL DEFAULT '',
        media_type TEXT NOT NULL DEFAULT '',
        created TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE containers (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        image_id TEXT NOT NULL DEFAULT '',
        created TEXT NOT NULL DEFAULT '',
        record TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX containers_by_image ON containers(image_id);
    CREATE TABLE kv (
        namespace TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (namespace, key)
    );
    """,
)
SCHEMA_VERSION = len(_MIGRATIONS)


def _escape_like(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class MetadataStore:
    """The metadata database at ``path`` (``<data-root>/metadata.db``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: every commit survives a crash of wharfd (kill -9 included) and the file
        # is never corrupted; only a power loss can drop the last commits (blobs they named are
        # then garbage-collected). FULL would fsync on every container state change.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._migrate()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        with self._lock:
            version = self.schema_version
            if version > SCHEMA_VERSION:
                raise WharfError(
                    f"metadata database {self.path} has schema {version}, "
                    f"newer than this wharf ({SCHEMA_VERSION})"
                )
            for number in range(version, SCHEMA_VERSION):
                self._db.executescript(
                    f"BEGIN IMMEDIATE; {_MIGRATIONS[number]}; PRAGMA user_version={number + 1};"
                    " COMMIT;"
                )

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (re-entrant on the same thread: nested calls join the outer)."""
        with self._lock:
            if self._db.in_transaction:
                yield self._db
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            return list(self._db.execute(sql, args).fetchall())

    # ---- images ----------------------------------------------------------------------------

    def put_image(self, image: ImageRecord) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO images VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET"
                " config_digest=excluded.config_digest, manifest_digest=excluded.manifest_digest,"
                " created=excluded.created, size=excluded.size, chain_ids=excluded.chain_ids,"
                " last_tag_time=excluded.last_tag_time",
                (
                    image.id,
                    image.config_digest,
                    image.manifest_digest,
                    image.created,
                    image.size,
                    json.dumps(image.chain_ids),
                    image.last_tag_time,
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
            (_escape_like(prefix), limit),
        )
        return [str(r[0]) for r in rows]

    def delete_image(self, image_id: str) -> bool:
        with self.transaction() as db:
            return db.execute("DELETE FROM images WHERE id = ?", (image_id,)).rowcount > 0

    def set_last_tag_time(self, image_id: str, when: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE images SET last_tag_time = ? WHERE id = ?", (when, image_id))

    # ---- tags and digests ------------------------------------------------------------------

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

    # ---- layers ----------------------------------------------------------------------------

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

    # ---- containers ------------------------------------------------------------------------

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

    def get_container_by_name(self, name: str) -> ContainerRow | None:
        rows = self._query("SELECT * FROM containers WHERE name = ?", (name,))
        return _container(rows[0]) if rows else None

    def container_ids_with_prefix(self, prefix: str, limit: int = 2) -> list[str]:
        rows = self._query(
            "SELECT id FROM containers WHERE id LIKE ? ESCAPE '\\' LIMIT ?",
            (_escape_like(prefix), limit),
        )
        return [str(r[0]) for r in rows]

    def list_containers(self) -> list[ContainerRow]:
        return [_container(r) for r in self._query("SELECT * FROM containers ORDER BY created")]

    def containers_using_image(self, image_id: str) -> list[str]:
        rows = self._query("SELECT id FROM containers WHERE image_id = ?", (image_id,))
        return [str(r[0]) for r in rows]

    def rename_container(self, container_id: str, new_name: str) -> None:
        with self.transaction() as db:
            owner = db.execute("SELECT id FROM containers WHERE name = ?", (new_name,)).fetchone()
            if owner and owner[0] != container_id:
                raise NameInUse(new_name, str(owner[0]))
            db.execute("UPDATE containers SET name = ? WHERE id = ?", (new_name, container_id))

    def delete_container(self, container_id: str) -> bool:
        with self.transaction() as db:
            return db.execute("DELETE FROM containers WHERE id = ?", (container_id,)).rowcount > 0

    # ---- generic key/value -----------------------------------------------------------------

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


class ContainerRecords:
    """The container service's view of the containers table (its ``ContainerStorePort``).

    The service owns the JSON record; ``image_id`` and ``created`` are copied out of it into
    indexed columns so image removal can find the containers that use an image.
    """

    def __init__(self, metadata: MetadataStore) -> None:
        self._db = metadata

    def save(self, container_id: str, name: str, record_json: str) -> None:
        try:
            fields = json.loads(record_json)
        except ValueError:
            fields = {}
        if not isinstance(fields, dict):
            fields = {}
        self._db.put_container(
            ContainerRow(
                container_id,
                name,
                str(fields.get("image_id", "")),
                str(fields.get("created", "")),
                record_json,
            )
        )

    def delete(self, container_id: str) -> None:
        self._db.delete_container(container_id)

    def load_all(self) -> list[str]:
        return [row.record for row in self._db.list_containers()]


def _image(row: tuple[object, ...]) -> ImageRecord:
    i, c, m, created, size, chains, tagged = row
    return ImageRecord(
        str(i), str(c), str(m), str(created), int(str(size)), json.loads(str(chains)), str(tagged)
    )


def _container(row: tuple[object, ...]) -> ContainerRow:
    i, n, img, created, record = row
    return ContainerRow(str(i), str(n), str(img), str(created), str(record))
