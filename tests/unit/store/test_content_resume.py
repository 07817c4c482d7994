"""Resumable ingests: named by their digest, they keep their bytes across writers and restarts."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from wharf.core.digest import Digest
from wharf.core.errors import Conflict, InvalidParameter
from wharf.store.content import ContentStore

DATA = os.urandom(3 << 20)
DIGEST = Digest.from_bytes(DATA)


def _interrupted(store: ContentStore, upto: int) -> None:
    w = store.resumable_writer(DIGEST)
    w.write(DATA[:upto])
    w.suspend()


def test_resumed_ingest_replays_then_appends(tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "c")
    _interrupted(store, 1_000_000)
    assert store.partial_size(DIGEST) == 1_000_000
    w = store.resumable_writer(DIGEST)
    assert w.offset == 1_000_000
    assert b"".join(w.replay(4096)) == DATA[:1_000_000]
    w.write(DATA[1_000_000:])
    assert w.commit(DIGEST, len(DATA)) == DIGEST
    assert store.read_bytes(DIGEST, len(DATA)) == DATA
    assert store.partial_size(DIGEST) == 0


def test_partial_survives_a_restart_but_not_its_age(tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "c")
    _interrupted(store, 10)
    tmp = store.writer()
    tmp.write(b"junk")  # a plain ingest left by a crash
    store = ContentStore(tmp_path / "c")
    assert store.partial_size(DIGEST) == 10
    assert [p.name for p in (tmp_path / "c" / "ingest").iterdir()] == [f"sha256-{DIGEST.hex}"]
    old = time.time() - 25 * 3600
    os.utime(tmp_path / "c" / "ingest" / f"sha256-{DIGEST.hex}", (old, old))
    store = ContentStore(tmp_path / "c")
    assert store.partial_size(DIGEST) == 0


def test_one_writer_per_digest(tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "c")
    w = store.resumable_writer(DIGEST)
    with pytest.raises(Conflict):
        store.resumable_writer(DIGEST)
    w.suspend()
    store.resumable_writer(DIGEST).abort()
    assert store.partial_size(DIGEST) == 0


def test_wrong_resumed_bytes_are_dropped_at_commit(tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "c")
    w = store.resumable_writer(DIGEST)
    w.write(b"X" * 10)
    w.suspend()
    w = store.resumable_writer(DIGEST)
    list(w.replay())
    w.write(DATA[10:])
    with pytest.raises(InvalidParameter):
        w.commit(DIGEST, len(DATA))
    assert not store.has(DIGEST) and store.partial_size(DIGEST) == 0


def test_discard_partial_starts_over(tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "c")
    _interrupted(store, 5)
    w = store.resumable_writer(DIGEST)
    w.discard_partial()
    assert w.offset == 0
    w.write(DATA)
    assert w.commit(DIGEST, len(DATA)) == DIGEST


def test_commit_needs_the_replay(tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "c")
    _interrupted(store, 5)
    w = store.resumable_writer(DIGEST)
    with pytest.raises(ValueError):
        w.write(b"more")
    with pytest.raises(ValueError):
        w.commit(DIGEST)
    w.suspend()
