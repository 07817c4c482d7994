"""``GET /containers/json`` filters: several labels must all match (moby's MatchKVList), as
docker-compose 1.29 relies on (project + service + oneoff labels); other filters any of theirs;
network, publish, expose, is-task, health and isolation filter (none is ignored)."""

from __future__ import annotations

import pytest

from wharf.core.errors import InvalidParameter
from wharf.services.container_record import ContainerRecord
from wharf.services.filters import ContainerQuery


def record(name: str, labels: dict[str, str]) -> ContainerRecord:
    return ContainerRecord(name * 8, name, "2024-01-01T00:00:00Z", "sha256:" + "1" * 64, "sh",
                           [], {"Labels": labels}, {})


WRITER = record("writer", {"project": "p", "service": "writer"})
WEB = record("web", {"project": "p", "service": "web"})


def names(filters: dict[str, list[str]]) -> list[str]:
    return [r.name for r in ContainerQuery(filters, all_=True).select([WRITER, WEB])]


def test_every_label_must_match() -> None:
    assert names({"label": ["project=p", "service=web"]}) == ["web"]
    assert names({"label": ["project=p"]}) == ["writer", "web"]
    assert names({"label": ["project=p", "service=db"]}) == []


def test_names_match_any_of_theirs() -> None:
    assert names({"name": ["writer", "web"]}) == ["writer", "web"]


def on_network(name: str, network: str, network_id: str, ports: dict[str, object],
               exposed: dict[str, object], status: str = "running") -> ContainerRecord:
    rec = record(name, {})
    rec.network_settings = {"Networks": {network: {"NetworkID": network_id}}, "Ports": ports}
    rec.config["ExposedPorts"] = exposed
    rec.state.status = status
    return rec


WEB_ON_FRONT = on_network("webfront", "front", "f" * 64,
                          {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "32768"}],
                           "81/tcp": None}, {"80/tcp": {}, "81/tcp": {}})
DB_ON_BACK = on_network("dbback", "back", "b" * 64, {}, {"5432/tcp": {}}, status="exited")


def listed(filters: dict[str, list[str]]) -> list[str]:
    query = ContainerQuery(filters, all_=True)
    return [r.name for r in query.select([WEB_ON_FRONT, DB_ON_BACK])]


def test_network_by_name_or_id_prefix() -> None:
    assert listed({"network": ["front"]}) == ["webfront"]
    assert listed({"network": ["bbbb"]}) == ["dbback"]
    assert listed({"network": ["front", "back"]}) == ["webfront", "dbback"]
    assert listed({"network": ["other"]}) == []


def test_publish_and_expose_with_ports_and_ranges() -> None:
    assert listed({"publish": ["80"]}) == ["webfront"]
    assert listed({"publish": ["81/tcp"]}) == []  # exposed, not bound
    assert listed({"publish": ["80/udp"]}) == []
    assert listed({"expose": ["5000-6000"]}) == ["dbback"]
    assert listed({"expose": ["81"]}) == ["webfront"]


def test_is_task_health_and_isolation() -> None:
    assert listed({"is-task": ["false"]}) == ["webfront", "dbback"]
    assert listed({"is-task": ["true"]}) == []
    assert listed({"health": ["none"]}) == ["webfront", "dbback"]
    assert listed({"health": ["healthy"]}) == []
    assert listed({"isolation": ["default"]}) == []


@pytest.mark.parametrize(("filters", "message"), [
    ({"publish": ["http"]}, "invalid filter 'publish=http'"),
    ({"expose": ["90-80"]}, "invalid filter 'expose=90-80'"),
    ({"is-task": ["maybe"]}, "invalid filter 'is-task=maybe'"),
    ({"health": ["sick"]}, "Unrecognised filter value for health: sick"),
])
def test_bad_values_are_400s_even_with_no_container(filters: dict[str, list[str]],
                                                    message: str) -> None:
    with pytest.raises(InvalidParameter) as refused:
        ContainerQuery(filters).select([])
    assert refused.value.message == message


def test_prune_refuses_an_unknown_filter_before_removing_anything() -> None:
    from wharf.services.filters import prune_matcher

    def created(_record: ContainerRecord) -> float:
        return 1e18

    with pytest.raises(InvalidParameter, match="invalid filter 'bogus'"):
        prune_matcher({"bogus": ["x"]}, 0.0, lambda _v, _now: None, created)
    keep_web = prune_matcher({"label": ["project=p"], "label!": ["service=web"]}, 0.0,
                             lambda _v, _now: None, created)
    assert [keep_web(r) for r in (WRITER, WEB)] == [True, False]
    older = prune_matcher({"until": ["x"]}, 0.0, lambda _v, _now: 2e18, created)
    assert older(WEB)
