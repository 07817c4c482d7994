"""A context tar that ends right after its last entry's data (no padding, no end-of-archive
blocks) is read to its end, as Go's tar reader does: the docker CLI sends such a tar for
``-f`` outside the context and ``-f -``. Data cut short is still an error."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from tests.unit.build.tarkit import file, make_tar

from wharf.build.context import extract_context
from wharf.core.errors import InvalidParameter

pytestmark = pytest.mark.root  # unpacking sets owners (chown)


def _without_trailer(data: bytes, last_size: int) -> bytes:
    """``data`` cut right after the last entry's ``last_size`` bytes of data."""
    end = len(data.rstrip(b"\0"))  # the last data byte (test data ends in no NUL)
    assert data[end - last_size:end].endswith(b"\n")
    return data[:end]


def test_a_tar_without_padding_and_trailer_is_read_whole(tmp_path: Path) -> None:
    data = make_tar(file("Dockerfile", b"FROM scratch\n"), file(".dockerignore", b"x\ny\n"))
    extract_context(io.BytesIO(_without_trailer(data, 4)), tmp_path)
    assert (tmp_path / ".dockerignore").read_bytes() == b"x\ny\n"
    assert (tmp_path / "Dockerfile").read_bytes() == b"FROM scratch\n"


def test_data_cut_short_is_still_an_error(tmp_path: Path) -> None:
    data = _without_trailer(make_tar(file("Dockerfile", b"FROM scratch\n")), 13)
    with pytest.raises(InvalidParameter, match="unexpected end of"):
        extract_context(io.BytesIO(data[:-3]), tmp_path)
