"""``POST /build``'s query as the docker CLI, docker-py and ``wharf build`` send it."""

from __future__ import annotations

import base64

import pytest
from multidict import MultiDict

from wharf.api.build_query import build_options, registry_config
from wharf.core.errors import InvalidParameter
from wharf.services.build_types import BuildSecret


def test_defaults_when_nothing_is_given() -> None:
    options = build_options(MultiDict())
    assert options.dockerfile == "Dockerfile"
    assert options.remove and not options.force_remove
    assert options.tags == () and options.build_args == {} and options.registry_auths == {}


def test_the_docker_clis_classic_query_is_accepted() -> None:
    # what `DOCKER_BUILDKIT=0 docker build -t x .` sends (empty JSON values included)
    options = build_options(MultiDict([
        ("t", "x"), ("rm", "1"), ("ulimits", "null"), ("buildargs", "{}"),
        ("labels", "{}"), ("cachefrom", "null"), ("version", "1"), ("networkmode", "default"),
    ]))
    assert options.tags == ("x:latest",)
    assert options.network_mode == "default"
    assert options.cache_from == ()


def test_docker_pys_query_is_accepted() -> None:
    # docker-py sends Python booleans as "False"/"True" and rm=False by default
    options = build_options(MultiDict([
        ("t", "x:1"), ("q", "False"), ("nocache", "False"), ("rm", "False"),
        ("forcerm", "False"), ("pull", "False"), ("buildargs", '{"A": "b"}'),
        ("target", "build"),
    ]))
    assert not options.quiet and not options.no_cache and not options.remove
    assert options.build_args == {"A": "b"} and options.target == "build"


def test_forcerm_implies_rm_as_dockerd() -> None:
    options = build_options(MultiDict([("rm", "0"), ("forcerm", "1")]))
    assert options.remove and options.force_remove
    assert build_options(MultiDict([("rm", "")])).remove


def test_extra_hosts_are_normalized_to_name_colon_ip() -> None:
    options = build_options(MultiDict([
        ("extrahosts", "a:1.2.3.4"), ("extrahosts", "b=::1"), ("extrahosts", "c:[fe80::1]"),
    ]))
    assert options.extra_hosts == ("a:1.2.3.4", "b:::1", "c:fe80::1")


def test_wharf_extras_secrets_and_volumes() -> None:
    options = build_options(MultiDict([
        ("secrets", '[{"id":"tok","src":".wharf-secret-ab12"}]'),
        ("volume", "/srv/cache:/cache"), ("volume", "/etc/x:/x:ro"),
    ]))
    assert options.secrets == (BuildSecret("tok", ".wharf-secret-ab12"),)
    assert options.volumes == ("/srv/cache:/cache", "/etc/x:/x:ro")


@pytest.mark.parametrize("secrets", [
    '{"id":"a"}', '[{"id":"","src":"x"}]', '[{"id":"a","src":"../x"}]',
    '[{"id":"a","src":"d/x"}]', '[{"id":"a","src":"x"},{"id":"a","src":"y"}]', "[1]",
])
def test_bad_secrets_are_refused(secrets: str) -> None:
    with pytest.raises(InvalidParameter):
        build_options(MultiDict([("secrets", secrets)]))


@pytest.mark.parametrize("volume", ["/a", "a:/b", "/a:b", "/a:/b:rx", "/a:/b:ro:z"])
def test_bad_volumes_are_refused(volume: str) -> None:
    with pytest.raises(InvalidParameter, match="invalid volume specification"):
        build_options(MultiDict([("volume", volume)]))


def test_registry_config_standard_or_url_base64_and_null() -> None:
    raw = b'{"https://index.docker.io/v1/":{"auth":"dTpw"}}'  # u:p
    for encoded in (base64.urlsafe_b64encode(raw), base64.standard_b64encode(raw).rstrip(b"=")):
        auth = registry_config(encoded.decode())["https://index.docker.io/v1/"]
        assert (auth.username, auth.password) == ("u", "p")
    assert registry_config(base64.b64encode(b"null").decode()) == {}
    assert registry_config(base64.b64encode(b"{}").decode()) == {}
    with pytest.raises(InvalidParameter, match="X-Registry-Config"):
        registry_config(base64.b64encode(b'{"r": "not an object"}').decode())


def test_auth_for_finds_a_registrys_credentials_as_moby() -> None:
    raw = (b'{"https://index.docker.io/v1/":{"username":"hub"},'
           b'"localhost:5000":{"username":"local"},"http://reg.example:8080/v2/":{"username":"r"}}')
    options = build_options(MultiDict(), base64.urlsafe_b64encode(raw).decode())
    assert options.auth_for("docker.io").username == "hub"
    assert options.auth_for("localhost:5000").username == "local"
    assert options.auth_for("reg.example:8080").username == "r"
    assert options.auth_for("elsewhere.example").username == ""
