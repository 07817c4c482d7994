"""htpasswd basic authentication (bcrypt only)."""

from __future__ import annotations

import base64
from pathlib import Path

import bcrypt
import pytest
from tests.unit.registry.server.harness import Reg, error_code, run

from wharf.registry.server.auth import Htpasswd, HtpasswdError, basic_credentials


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
