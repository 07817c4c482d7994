"""htpasswd basic authentication (bcrypt only)."""

from __future__ import annotations

import asyncio
import base64
import threading
import time
from pathlib import Path

import bcrypt
import pytest
from tests.unit.registry.server.harness import Reg, error_code, run

from wharf.registry.server.auth import (
    MAX_CONCURRENT_CHECKS,
    Htpasswd,
    HtpasswdError,
    basic_credentials,
)


def _htpasswd(path: Path, user: str, password: str) -> Htpasswd:
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()
    path.write_text(f"# users\n{user}:{hashed.replace('$2b$', '$2y$')}\n\n")
    return Htpasswd.load(path)


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_requests_need_valid_credentials(tmp_path: Path) -> None:
    htpasswd = _htpasswd(tmp_path / "htpasswd", "alice", "s3cret")

    async def scenario(reg: Reg) -> None:
        for headers in (
            {},
            _basic("alice", "wrong"),
            _basic("bob", "s3cret"),
            {"Authorization": "Bearer abc"},
            {"Authorization": "Basic !!!"},
        ):
            for path in (
                "/v2/",
                "/v2/_catalog",
                "/v1/search?q=x",
                "/wharf/v1/repositories/r/stars",
            ):
                resp = await reg.client.get(path, headers=headers)
                assert resp.status == 401, (headers, path)
                assert resp.headers["WWW-Authenticate"] == 'Basic realm="wharf-registry"'
                assert await error_code(resp) == "UNAUTHORIZED"
        for _ in range(2):  # the second check comes from the remembered success
            resp = await reg.client.get("/v2/", headers=_basic("alice", "s3cret"))
            assert resp.status == 200

    run(tmp_path / "root", scenario, htpasswd=htpasswd)


def test_htpasswd_files_with_other_hashes_or_no_users_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "htpasswd"
    for text in ("alice:{SHA}abc\n", "alice:$apr1$x$y\n", "no-colon\n", "", "# only\n"):
        path.write_text(text)
        with pytest.raises(HtpasswdError):
            Htpasswd.load(path)
    with pytest.raises(HtpasswdError):
        Htpasswd.load(tmp_path / "missing")


def test_basic_credentials_parsing() -> None:
    assert basic_credentials(_basic("u", "p:with:colons")["Authorization"]) == (
        "u",
        "p:with:colons",
    )
    assert basic_credentials("basic " + base64.b64encode(b"u:").decode()) == ("u", "")
    assert basic_credentials(None) is None
    assert basic_credentials("Basic " + base64.b64encode(b"nocolon").decode()) is None
    assert basic_credentials("Basic " + base64.b64encode(b"\xff:x").decode()) is None


def _timed_check(htpasswd: Htpasswd, user: str, password: str) -> float:
    started = time.perf_counter()
    assert not asyncio.run(htpasswd.check(user, password))
    return time.perf_counter() - started


def test_an_unknown_user_costs_as_much_as_a_wrong_password(tmp_path: Path) -> None:
    hashed = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=10)).decode()
    (tmp_path / "htpasswd").write_text(f"alice:{hashed}\n")
    htpasswd = Htpasswd.load(tmp_path / "htpasswd")
    wrong = min(_timed_check(htpasswd, "alice", "nope") for _ in range(3))
    unknown = min(_timed_check(htpasswd, "mallory", "nope") for _ in range(3))
    assert unknown > wrong / 2, (unknown, wrong)  # a bcrypt run, not a dictionary miss


def test_bcrypt_checks_run_a_few_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    htpasswd = _htpasswd(tmp_path / "htpasswd", "alice", "s3cret")
    running: list[int] = [0, 0]  # now, most at once
    lock = threading.Lock()
    real_checkpw = bcrypt.checkpw

    def slow_checkpw(password: bytes, hashed: bytes) -> bool:
        with lock:
            running[0] += 1
            running[1] = max(running)
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return bool(real_checkpw(password, hashed))

    monkeypatch.setattr(bcrypt, "checkpw", slow_checkpw)

    async def flood() -> list[bool]:
        return await asyncio.gather(*(htpasswd.check("alice", f"w{i}") for i in range(24)))

    assert not any(asyncio.run(flood()))
    assert running[1] == MAX_CONCURRENT_CHECKS


async def _first_line_for_expect(reg: Reg, headers: dict[str, str], expect: str) -> bytes:
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(reg.client.host, reg.client.port), 5
    )
    try:
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(
            (
                "PATCH /v2/r/blobs/uploads/0123456789abcdef0123456789abcdef HTTP/1.1\r\n"
                f"Host: x\r\nContent-Length: 1048576\r\nExpect: {expect}\r\n{extra}\r\n"
            ).encode()
        )
        return await asyncio.wait_for(reader.readline(), 10)
    finally:
        writer.close()


def test_expect_continue_invites_a_body_only_from_an_authenticated_client(
    tmp_path: Path,
) -> None:
    htpasswd = _htpasswd(tmp_path / "htpasswd", "alice", "s3cret")

    async def scenario(reg: Reg) -> None:
        line = await _first_line_for_expect(reg, {}, "100-continue")
        assert line.startswith(b"HTTP/1.1 401"), line
        line = await _first_line_for_expect(reg, _basic("alice", "wrong"), "100-continue")
        assert line.startswith(b"HTTP/1.1 401"), line
        line = await _first_line_for_expect(reg, _basic("alice", "s3cret"), "100-continue")
        assert line.startswith(b"HTTP/1.1 100"), line
        line = await _first_line_for_expect(reg, _basic("alice", "s3cret"), "something-else")
        assert line.startswith(b"HTTP/1.1 417"), line

    run(tmp_path / "root", scenario, htpasswd=htpasswd)


def test_no_route_or_method_is_reachable_without_credentials(tmp_path: Path) -> None:
    htpasswd = _htpasswd(tmp_path / "htpasswd", "alice", "s3cret")
    digest = "sha256:" + "a" * 64
    paths = [
        "/v2/",
        "/v2/_catalog",
        "/v2/r/tags/list",
        f"/v2/r/blobs/{digest}",
        "/v2/r/blobs/uploads/",
        "/v2/r/blobs/uploads/0123456789abcdef0123456789abcdef",
        "/v2/r/manifests/t",
        f"/v2/r/manifests/{digest}",
        "/v1/search?q=r",
        "/v1/_ping",
        "/wharf/v1/repositories/r/stars",
        "/no/such/endpoint",
    ]

    async def scenario(reg: Reg) -> None:
        for path in paths:
            for method in ("GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"):
                resp = await reg.client.request(method, path, data=b'{"stars": 1}')
                assert resp.status == 401, (method, path, resp.status)
        assert not list((tmp_path / "root" / "repositories").iterdir())
        assert not list((tmp_path / "root" / "uploads").iterdir())

    run(tmp_path / "root", scenario, htpasswd=htpasswd)
