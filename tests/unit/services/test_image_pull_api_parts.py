"""Registry pieces without stores: X-Registry-Auth, search filters, /distribution, login,
Docker's progress texts and bar."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from tests.unit.services.registry_fakes import FakeRegistry, FakeRepo, index_of, make_image

from wharf.core.errors import InvalidParameter
from wharf.core.units import human_size
from wharf.services.progress import (
    ThrottledProgress,
    error_message,
    layer_status,
    progress_bar,
)
from wharf.services.registry_port import RegistryAuth
from wharf.services.registry_service import (
    RegistryService,
    decode_registry_auth,
    split_search_term,
)

AUTH = {"username": "ü>?", "password": "p?>>", "serveraddress": "127.0.0.1:5000"}


@pytest.mark.parametrize("encode", [
    base64.urlsafe_b64encode,
    base64.standard_b64encode,
    lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"="),
    lambda raw: base64.standard_b64encode(raw).rstrip(b"="),
])
def test_x_registry_auth_decodes_every_base64_form(encode: Any) -> None:
    raw = json.dumps(AUTH).encode()
    assert decode_registry_auth(encode(raw).decode()) == RegistryAuth(
        "ü>?", "p?>>", "127.0.0.1:5000")


def test_x_registry_auth_empty_is_anonymous_and_junk_is_refused() -> None:
    assert decode_registry_auth("") == RegistryAuth()
    assert decode_registry_auth("e30=") == RegistryAuth()  # "{}"
    assert decode_registry_auth(base64.b64encode(b"null").decode()) == RegistryAuth()
    for junk in ("%%%", base64.b64encode(b"not json").decode(),
                 base64.b64encode(b"[1,2]").decode()):
        with pytest.raises(InvalidParameter, match="X-Registry-Auth"):
            decode_registry_auth(junk)


def test_auth_field_holds_user_and_password() -> None:
    header = base64.b64encode(json.dumps({"auth": base64.b64encode(b"bob:s:ecret").decode()})
                              .encode()).decode()
    assert decode_registry_auth(header) == RegistryAuth("bob", "s:ecret")


class SearchingRegistry(FakeRegistry):
    def search(self, server: str, term: str, limit: int, auth: RegistryAuth
               ) -> list[dict[str, Any]]:
        self.asked = (server, term, limit)
        return [{"name": "library/a", "star_count": 10, "is_official": True},
                {"name": "b", "star_count": 2, "description": "bee"},
                {"name": "c", "star_count": 5, "is_automated": True}]


def test_search_filters_and_shape() -> None:
    registry = SearchingRegistry()
    service = RegistryService(registry)
    found = service.search("127.0.0.1:5000/a", None, {"stars": ["3"]}, RegistryAuth())
    assert registry.asked == ("127.0.0.1:5000", "a", 25)
    assert [f["name"] for f in found] == ["library/a", "c"]
    assert list(found[0]) == ["star_count", "is_official", "name", "is_automated", "description"]
    assert [f["name"] for f in service.search("x", 2, {"is-official": ["false"]},
                                              RegistryAuth())] == ["b", "c"]
    assert [f["name"] for f in service.search("x", 1, {}, RegistryAuth())] == ["library/a"]


@pytest.mark.parametrize(("limit", "filters", "message"), [
    (0, {}, "limit 0 is outside the range of [1, 100]"),
    (101, {}, "limit 101 is outside the range of [1, 100]"),
    (None, {"stars": ["x"]}, "invalid filter 'stars=[x]'"),
    (None, {"is-official": ["maybe"]}, "invalid filter 'is-official=[maybe]'"),
    (None, {"color": ["red"]}, "invalid filter 'color'"),
])
def test_search_refuses_bad_input(limit: int | None, filters: dict[str, list[str]],
                                  message: str) -> None:
    with pytest.raises(InvalidParameter) as err:
        RegistryService(SearchingRegistry()).search("x", limit, filters, RegistryAuth())
    assert str(err.value) == message


def test_search_term_names_its_registry() -> None:
    assert split_search_term("busybox") == ("docker.io", "busybox")
    assert split_search_term("user/thing") == ("docker.io", "user/thing")
    assert split_search_term("localhost:5000/x/y") == ("localhost:5000", "x/y")


def test_distribution_of_a_manifest_and_of_an_index() -> None:
    registry = FakeRegistry()
    repo = registry.repos["127.0.0.1:5000/app"] = FakeRepo()
    single = make_image([{"a": b"1"}])
    repo.add("one", single)
    arm = make_image([{"b": b"2"}])
    index = index_of((single, "amd64"), (arm, "arm64"))
    digest = repo.add_index("multi", index, single, arm)
    service = RegistryService(registry)
    info = service.distribution("127.0.0.1:5000/app:one", RegistryAuth())
    assert info == {"Descriptor": {"mediaType":
                                   "application/vnd.docker.distribution.manifest.v2+json",
                                   "digest": str(single.manifest_digest),
                                   "size": len(single.manifest)},
                    "Platforms": [{"architecture": "amd64", "os": "linux"}]}
    info = service.distribution("127.0.0.1:5000/app:multi", RegistryAuth())
    assert info["Descriptor"]["digest"] == str(digest)
    assert info["Platforms"] == [{"os": "linux", "architecture": "amd64"},
                                 {"os": "linux", "architecture": "arm64"}]


def test_login_answers_like_docker() -> None:
    assert RegistryService(FakeRegistry()).login({"username": "u", "password": "p"}) == {
        "Status": "Login Succeeded", "IdentityToken": ""}
    with pytest.raises(InvalidParameter):
        RegistryService(FakeRegistry()).login({"username": 5})


def test_progress_texts_and_bar_match_moby() -> None:
    assert human_size(1234567, 4) == "1.235MB" and human_size(999, 4) == "999B"
    assert human_size(32 << 20, 4) == "33.55MB"
    assert progress_bar(0, 0) == ""
    half = "[" + "=" * 25 + ">" + " " * 25 + "] "
    assert progress_bar(512, 1024) == half + "    512B/1.024kB"
    assert progress_bar(1024, 1024).startswith("[" + "=" * 50 + ">]")
    assert layer_status("abc", "Pull complete") == {"status": "Pull complete",
                                                    "progressDetail": {}, "id": "abc"}
    message = layer_status("abc", "Downloading", 10, 100)
    assert list(message) == ["status", "progressDetail", "progress", "id"]
    assert message["progressDetail"] == {"current": 10, "total": 100}
    assert error_message("boom") == {"errorDetail": {"message": "boom"}, "error": "boom"}


def test_throttled_progress_sends_every_512k_and_the_end() -> None:
    sent: list[dict[str, Any]] = []
    progress = ThrottledProgress(sent.append, "id", "Downloading", 3 << 20)
    for current in range(0, (3 << 20) + 1, 64 << 10):
        progress.update(current)
    assert 1 <= len(sent) <= 7
    assert sent[-1]["progressDetail"] == {"current": 3 << 20, "total": 3 << 20}
