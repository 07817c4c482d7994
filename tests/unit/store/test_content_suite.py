"""Conformance suite for the content store Protocol (run against every implementation)."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from wharf.core.content import ContentStoreProtocol
from wharf.core.digest import Digest
from wharf.core.errors import InvalidParameter, NotFound
from wharf.store.content import ContentStore

Factory = Callable[[Path], ContentStoreProtocol]
IMPLEMENTATIONS: dict[str, Factory] = {"local": ContentStore}


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ContentStoreProtocol:
    return IMPLEMENTATIONS[request.param](tmp_path / "content")


def test_put_and_read(store: ContentStoreProtocol) -> None:
    d = store.put_bytes(b"hello")
    assert d == Digest.from_bytes(b"hello")
    assert store.has(d) and store.size(d) == 5
    assert store.read_bytes(d, 5) == b"hello"
    with store.open(d) as f:
        assert f.read() == b"hello"
    assert list(store.walk()) == [d]
    assert store.put_bytes(b"hello") == d  # idempotent


def test_ingest_verifies_digest_and_size(store: ContentStoreProtocol) -> None:
    data = os.urandom(3 << 20)
    good = Digest.from_bytes(data)
    with pytest.raises(InvalidParameter):
        store.ingest(io.BytesIO(data), Digest.from_bytes(b"other"))
    with pytest.raises(InvalidParameter):
        store.ingest(io.BytesIO(data), good, len(data) - 1)
    with pytest.raises(InvalidParameter):
        store.ingest(io.BytesIO(data + b"x"), None, len(data))
    assert not store.has(good)
    assert list(store.walk()) == []
    assert store.ingest(io.BytesIO(data), good, len(data)) == good
    assert store.size(good) == len(data)


def test_writer_abort_publishes_nothing(store: ContentStoreProtocol) -> None:
    w = store.writer()
    w.write(b"partial")
    w.abort()
    assert list(store.walk()) == []


def test_missing_and_delete(store: ContentStoreProtocol) -> None:
    d = store.put_bytes(b"x")
    assert store.delete(d) and not store.delete(d)
    with pytest.raises(NotFound):
        store.open(d)
    with pytest.raises(NotFound):
        store.size(d)
    big = store.put_bytes(b"y" * 10)
    with pytest.raises(InvalidParameter):
        store.read_bytes(big, 9)


def test_local_cleans_ingest_at_start(tmp_path: Path) -> None:
    store = ContentStore(tmp_path / "content")
    w = store.writer()
    w.write(b"left over by a crash")
    assert os.listdir(tmp_path / "content" / "ingest")
    ContentStore(tmp_path / "content")
    assert os.listdir(tmp_path / "content" / "ingest") == []
    w.abort()
    d = store.put_bytes(b"ok")
    assert oct(os.stat(store.path(d)).st_mode & 0o777) == "0o444"
