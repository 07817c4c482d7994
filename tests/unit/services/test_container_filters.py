"""``docker ps --filter``: how several values of one filter combine, as dockerd does."""

from __future__ import annotations

from wharf.services.container_record import ContainerRecord, ContainerState
from wharf.services.filters import ContainerQuery


def _running(container_id: str, name: str, labels: dict[str, str]) -> ContainerRecord:
    record = ContainerRecord(container_id, name, "2024-01-01T00:00:00Z", "sha256:" + "0" * 64,
                             "sh", [], {"Labels": labels}, {})
    record.state = ContainerState(status="running")
    return record


def test_every_label_must_match_while_other_filters_take_any_value() -> None:
    mine = _running("a" * 64, "p-web-1", {"com.docker.compose.project": "p",
                                           "com.docker.compose.oneoff": "False"})
    other = _running("b" * 64, "q-web-1", {"com.docker.compose.project": "q",
                                            "com.docker.compose.oneoff": "False"})
    labels = ContainerQuery({"label": ["com.docker.compose.project=p",
                                       "com.docker.compose.oneoff=False"]})
    assert labels.select([mine, other]) == [mine]
    names = ContainerQuery({"name": ["p-web", "q-web"]})
    assert names.select([mine, other]) == [mine, other]
