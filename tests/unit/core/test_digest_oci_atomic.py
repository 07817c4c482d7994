from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from wharf.core.digest import Digest, is_digest
from wharf.core.errors import InvalidParameter
from wharf.core.oci import Descriptor, Index, Manifest, canonical_json, chain_ids
from wharf.lib.atomicfile import write_atomic

HEX = "a" * 64


def test_digest_parse_and_format() -> None:
    d = Digest.parse(f"sha256:{HEX}")
    assert str(d) == f"sha256:{HEX}" and d.short == HEX[:12]
    assert Digest.from_bytes(b"") == Digest.parse(
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert is_digest(f"sha256:{HEX}") and not is_digest(HEX)


@pytest.mark.parametrize("bad", [HEX, f"sha256:{HEX[:-1]}", f"sha256:{HEX.upper()}", f"md5:{HEX}"])
def test_digest_rejects(bad: str) -> None:
    with pytest.raises(InvalidParameter):
        Digest.parse(bad)


def test_manifest_round_trip_and_canonical() -> None:
    cfg = Descriptor("application/vnd.oci.image.config.v1+json", Digest.from_bytes(b"c"), 1)
    layer = Descriptor("application/vnd.oci.image.layer.v1.tar+gzip", Digest.from_bytes(b"l"), 2)
    manifest = Manifest(cfg, [layer])
    data = json.loads(canonical_json(manifest.to_json()))
    assert Manifest.from_json(data) == manifest
    assert canonical_json({"b": 1, "a": [1, 2]}) == b'{"a":[1,2],"b":1}'
    with pytest.raises(InvalidParameter):
        Index.from_json(data)
    with pytest.raises(InvalidParameter):
        Manifest.from_json({"schemaVersion": 2, "manifests": [], "layers": []})
    with pytest.raises(InvalidParameter):
        Descriptor.from_json({"mediaType": "x", "digest": "sha256:x", "size": 1})


def test_write_atomic_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "f.json"
    write_atomic(target, b"one")
    write_atomic(target, b"two", mode=0o600)
    assert target.read_bytes() == b"two"
    assert os.stat(target).st_mode & 0o777 == 0o600
    assert os.listdir(tmp_path) == ["f.json"]


def test_chain_ids() -> None:
    a, b = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    chains = chain_ids([a, b])
    assert chains[0] == a
    assert chains[1] == str(Digest.from_bytes(f"{a} {b}".encode()))


def test_a_digest_with_a_trailing_newline_is_not_a_digest() -> None:
    from wharf.core.digest import Digest, is_digest
    from wharf.core.errors import InvalidParameter

    text = "sha256:" + "a" * 64
    assert is_digest(text)
    assert not is_digest(text + "\n")
    try:
        Digest.parse(text + "\n")
    except InvalidParameter:
        pass
    else:
        raise AssertionError("a digest followed by a newline was accepted")
