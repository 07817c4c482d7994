"""/v1/search in Docker's shape, and the stars admin endpoint."""

from __future__ import annotations

from pathlib import Path

from tests.unit.registry.server.harness import Reg, error_code, run


async def _stars(reg: Reg, name: str, stars: object) -> int:
    resp = await reg.client.put(f"/wharf/v1/repositories/{name}/stars", json={"stars": stars})
    return resp.status


def test_search_matches_names_and_ranks_by_stars(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        for name in ("library/busybox", "team/busybox-tools", "team/other"):
            await reg.push_image(name, "latest", [b"l"])
        assert await _stars(reg, "team/busybox-tools", 12) == 200
        resp = await reg.client.get("/v1/search?q=BusyBox&n=10")
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "application/json"
        body = await resp.json()
        assert body["query"] == "busybox"
        assert body["num_results"] == 2
        assert body["page_size"] == 10
        assert body["results"] == [
            {
                "name": "team/busybox-tools",
                "description": "",
                "star_count": 12,
                "is_official": False,
                "is_automated": False,
            },
            {
                "name": "library/busybox",
                "description": "",
                "star_count": 0,
                "is_official": True,
                "is_automated": False,
            },
        ]
        resp = await reg.client.get("/v1/search?q=nothing-like-this")
        assert (await resp.json())["results"] == []

    run(tmp_path, scenario)


def test_search_pages_and_refuses_a_bad_page_size(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        for index in range(5):
            await reg.push_image(f"app{index}", "t", [b"l"])
        body = await (await reg.client.get("/v1/search?q=app&n=2&page=3")).json()
        assert [r["name"] for r in body["results"]] == ["app4"]
        assert body["num_pages"] == 3
        for query in ("n=0", "n=101", "n=x", "page=0"):
            resp = await reg.client.get(f"/v1/search?q=app&{query}")
            assert resp.status == 400, query

    run(tmp_path, scenario)


def test_stars_get_and_put_validate_their_input(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        await reg.push_image("r", "t", [b"l"])
        resp = await reg.client.get("/wharf/v1/repositories/r/stars")
        assert await resp.json() == {"name": "r", "stars": 0}
        for bad in (-1, "3", 1.5, True, None):
            assert await _stars(reg, "r", bad) == 400, bad
        resp = await reg.client.put("/wharf/v1/repositories/r/stars", data=b"{nope")
        assert resp.status == 400
        resp = await reg.client.put("/wharf/v1/repositories/r/stars", data=b"x" * 5000)
        assert resp.status == 413
        assert await _stars(reg, "r", 7) == 200
        resp = await reg.client.get("/wharf/v1/repositories/r/stars")
        assert await resp.json() == {"name": "r", "stars": 7}
        resp = await reg.client.put("/wharf/v1/repositories/nope/stars", json={"stars": 1})
        assert resp.status == 404
        assert await error_code(resp) == "NAME_UNKNOWN"

    run(tmp_path, scenario)


def test_v1_ping_answers_for_dockerd(tmp_path: Path) -> None:
    async def scenario(reg: Reg) -> None:
        resp = await reg.client.get("/v1/_ping")
        assert resp.status == 200

    run(tmp_path, scenario)
