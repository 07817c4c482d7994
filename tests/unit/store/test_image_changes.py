from __future__ import annotations

from typing import Any

import pytest

from wharf.core.errors import InvalidParameter
from wharf.services.image_changes import apply_changes


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (['CMD ["sh"]'], {"Cmd": ["sh"]}),
        (["CMD echo hi"], {"Cmd": ["/bin/sh", "-c", "echo hi"]}),
        (['ENTRYPOINT ["/init"]'], {"Entrypoint": ["/init"], "Cmd": None}),
        (['CMD ["a"]', "ENTRYPOINT /e"], {"Cmd": ["a"], "Entrypoint": ["/bin/sh", "-c", "/e"]}),
        (['ENV A=1 B="two words"', "ENV A 3 4"], {"Env": ["B=two words", "A=3 4"]}),
        (
            ["EXPOSE 80 53/udp 8000-8001"],
            {"ExposedPorts": {"80/tcp": {}, "53/udp": {}, "8000-8001/tcp": {}}},
        ),
        (["WORKDIR /x", "WORKDIR y/../z"], {"WorkingDir": "/x/z"}),
        (["USER nobody:nogroup"], {"User": "nobody:nogroup"}),
        (['LABEL a=b "c d"=e'], {"Labels": {"a": "b", "c d": "e"}}),
        (
            ["VOLUME /data /logs", 'VOLUME ["/x"]'],
            {"Volumes": {"/data": {}, "/logs": {}, "/x": {}}},
        ),
        (["STOPSIGNAL SIGUSR1"], {"StopSignal": "SIGUSR1"}),
        (['cmd ["lower"]'], {"Cmd": ["lower"]}),
    ],
)
def test_changes(changes: list[str], expected: dict[str, Any]) -> None:
    assert apply_changes({}, changes) == expected


def test_changes_do_not_mutate_and_override() -> None:
    base = {"Env": ["A=0", "PATH=/bin"], "Cmd": ["old"]}
    out = apply_changes(base, ["ENV A=1", "CMD new"])
    assert out == {"Env": ["PATH=/bin", "A=1"], "Cmd": ["/bin/sh", "-c", "new"]}
    assert base == {"Env": ["A=0", "PATH=/bin"], "Cmd": ["old"]}


@pytest.mark.parametrize(
    "change", ["RUN ls", "FROM x", "EXPOSE http", "EXPOSE 70000", "ENV =x", "LABEL", "WORKDIR"]
)
def test_bad_changes(change: str) -> None:
    with pytest.raises(InvalidParameter):
        apply_changes({}, [change])


def test_healthcheck() -> None:
    config = apply_changes(
        {},
        ["HEALTHCHECK --retries=3 --interval=1m30s --timeout=0.5s CMD curl -f http://x/ || exit 1"],
    )
    assert config["Healthcheck"] == {
        "Test": ["CMD-SHELL", "curl -f http://x/ || exit 1"],
        "Interval": 90 * 10**9,
        "Timeout": 500 * 10**6,
        "Retries": 3,
    }
    assert list(config["Healthcheck"]) == ["Test", "Interval", "Timeout", "Retries"]
    exec_form = apply_changes({}, ['HEALTHCHECK --start-period=0s CMD ["true", "x"]'])
    assert exec_form["Healthcheck"] == {"Test": ["CMD", "true", "x"]}
    assert apply_changes(config, ["HEALTHCHECK NONE"])["Healthcheck"] == {"Test": ["NONE"]}
    for bad in ("HEALTHCHECK --interval=5 CMD x", "HEALTHCHECK --bogus=1 CMD x", "HEALTHCHECK x"):
        with pytest.raises(InvalidParameter):
            apply_changes({}, [bad])


def test_unknown_change_is_reported_lowercase_as_docker_does() -> None:
    with pytest.raises(InvalidParameter, match=r"^run is not a valid change command$"):
        apply_changes({}, ["RUN ls"])
