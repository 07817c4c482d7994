"""The SQLite connection every table module shares: WAL, migrations, short transactions.

Thread safety: one connection guarded by a lock; every public method of a table is one short
transaction. Callers on an asyncio loop may call the fast lookups directly and batch work in a
thread.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from wharf.core.errors import WharfError
from wharf.store.metadata.schema import MIGRATIONS, SCHEMA_VERSION

__all__ = ["Database", "escape_like"]


def escape_like(prefix: str) -> str:
    """A LIKE pattern matching strings that start with ``prefix`` (``ESCAPE '\\'``)."""
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class Database:
    """The database file at ``path`` (``<data-root>/metadata.db``), migrated on open."""

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
                    f"BEGIN IMMEDIATE; {MIGRATIONS[number]}; PRAGMA user_version={number + 1};"
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
