"""Many clients at once: the same blob pushed in parallel, chunks racing on one session, and
after it all every stored blob still holds exactly its digest's bytes."""

from __future__ import annotations

import asyncio
import hashlib
import random
from pathlib import Path

from tests.unit.registry.server.harness import Reg, digest_of, run


def test_parallel_pushes_of_the_same_and_different_blobs(tmp_path: Path) -> None:
    blobs = [random.Random(seed).randbytes(200_000) for seed in range(6)]

    async def push(reg: Reg, name: str, data: bytes) -> None:
        url = await reg.start_upload(name)
        for start in range(0, len(data), 65536):
            chunk = data[start : start + 65536]
            headers = {"Content-Range": f"{start}-{start + len(chunk) - 1}"}
            resp = await reg.client.patch(url, data=chunk, headers=headers)
            assert resp.status == 202, await resp.text()
        resp = await reg.client.put(f"{url}?digest={digest_of(data)}")
        assert resp.status == 201, await resp.text()

    async def scenario(reg: Reg) -> None:
        jobs = [push(reg, f"repo{n % 3}", blobs[n % 6]) for n in range(24)]
        await asyncio.gather(*jobs)
        for n in range(24):
            resp = await reg.client.get(f"/v2/repo{n % 3}/blobs/{digest_of(blobs[n % 6])}")
            assert await resp.read() == blobs[n % 6]
        for blob in (tmp_path / "blobs" / "sha256").iterdir():
            assert hashlib.sha256(blob.read_bytes()).hexdigest() == blob.name
        assert list((tmp_path / "uploads").iterdir()) == []

    run(tmp_path, scenario)


def test_chunks_racing_on_one_session_are_serialized(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        url = await reg.start_upload("r")
        same_range = {"Content-Range": "0-99999"}
        answers = await asyncio.gather(
            *(
                reg.client.patch(url, data=bytes([n]) * 100_000, headers=same_range)
                for n in range(4)
            )
        )
        statuses = sorted(answer.status for answer in answers)
        assert statuses == [202, 416, 416, 416]  # exactly one chunk 0-99999 was taken
        status = await reg.client.get(url)
        assert status.headers["Range"] == "0-99999"

    run(tmp_path, scenario)


def test_two_finishing_puts_on_one_session_one_wins_one_is_unknown(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        url = await reg.start_upload("r")
        await reg.client.patch(url, data=b"payload")
        finish = f"{url}?digest={digest_of(b'payload')}"
        answers = await asyncio.gather(reg.client.put(finish), reg.client.put(finish))
        assert sorted(answer.status for answer in answers) == [201, 404]

    run(tmp_path, scenario)
