"""Names, tags, digests and upload ids that try to leave the storage root (``..``, encoded
slashes and dots, unicode look-alikes, NUL, absolute paths) are refused before any path is
built, and nothing is created outside ``--root``. Raw request lines, so no client normalises
them first."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from tests.unit.registry.server.harness import Reg, run

HEX = "a" * 64
TRICKS = [
    ("GET", "/v2/a/%2e%2e/%2e%2e/escape/tags/list"),
    ("GET", "/v2/%2e%2e%2f%2e%2e%2fescape/tags/list"),
    ("PUT", "/v2/..%2F..%2Fescape/manifests/t"),
    ("PUT", "/v2/r/manifests/..%2F..%2F..%2Fescape"),
    ("PUT", "/v2/r/manifests/%2e%2e"),
    ("PUT", "/v2/r/manifests/t%00x"),
    ("PUT", "/v2/r/manifests/t%E2%80%AEx"),
    ("PUT", "/v2/caf%C3%A9/manifests/t"),
    ("PUT", "/v2/%EF%BD%81/manifests/t"),  # fullwidth a
    ("GET", f"/v2/r/blobs/sha256:..%2F..%2F{HEX[:58]}"),
    ("GET", f"/v2/r/blobs/sha256%3A%2Fetc%2F{HEX[:55]}"),
    ("GET", f"/v2/r/blobs/SHA256:{HEX.upper()}"),
    ("GET", f"/v2/r/blobs/sha512:{HEX}{HEX}"),
    ("GET", f"/v2/r/blobs/sha256:{HEX}0"),
    ("PATCH", "/v2/r/blobs/uploads/..%2F..%2Fescape"),
    ("PUT", f"/v2/r/blobs/uploads/%2Fetc%2Fpasswd?digest=sha256:{HEX}"),
    ("POST", f"/v2/r/blobs/uploads/?mount=sha256:{HEX}&from=..%2F..%2Fescape"),
    ("PUT", "/wharf/v1/repositories/..%2F..%2Fescape/stars"),
]


async def _raw(reg: Reg, method: str, target: str) -> int:
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(reg.client.host, reg.client.port), 5
    )
    try:
        body = b'{"stars": 1}'
        head = (
            f"{method} {target} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
            "Content-Type: application/vnd.oci.image.manifest.v1+json\r\nConnection: close\r\n\r\n"
        )
        writer.write(head.encode() + body)
        status_line = await asyncio.wait_for(reader.readline(), 10)
        return int(status_line.split()[1])
    finally:
        writer.close()


def _tree(path: Path) -> set[str]:
    return {os.path.join(d, f) for d, dirs, files in os.walk(path) for f in dirs + files}


def test_path_tricks_are_refused_and_create_nothing_outside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "deep" / "er" / "root"

    async def scenario(reg: Reg) -> None:
        await reg.push_blob("r", b"x")
        outside = _tree(tmp_path) - _tree(root)
        for method, target in TRICKS:
            status = await _raw(reg, method, target)
            assert 400 <= status < 500, (method, target, status)
        assert _tree(tmp_path) - _tree(root) == outside
        assert sorted(p.name for p in (root / "repositories").iterdir()) == ["r"]

    root.mkdir(parents=True)
    run(root, scenario)
