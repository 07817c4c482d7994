"""``docker commit``'s config: the request's config, the changes, then dockerd's merge with the
container's config."""

from __future__ import annotations

from typing import Any

import pytest

from wharf.core.errors import InvalidParameter
from wharf.services.commit_config import commit_image_config, created_by

CONTAINER: dict[str, Any] = {
    "Hostname": "abc", "User": "nobody", "Env": ["PATH=/bin", "A=1"],
    "Cmd": ["sh", "-c", "echo hi"], "Entrypoint": None, "WorkingDir": "/srv",
    "Labels": {"from": "image", "both": "image"}, "ExposedPorts": {"80/tcp": {}},
    "Volumes": {"/data": {}}, "StopSignal": "SIGQUIT", "Image": "busybox",
}


def test_an_empty_request_takes_the_containers_config() -> None:
    config = commit_image_config(None, [], CONTAINER)
    assert config["Cmd"] == ["sh", "-c", "echo hi"]
    assert config["User"] == "nobody"
    assert config["Env"] == ["PATH=/bin", "A=1"]
    assert config["WorkingDir"] == "/srv"
    assert config["Labels"] == {"from": "image", "both": "image"}
    assert config["ExposedPorts"] == {"80/tcp": {}}
    assert config["Volumes"] == {"/data": {}}
    assert config["StopSignal"] == "SIGQUIT"
    assert "Hostname" not in config  # not merged (dockerd's merge leaves it)


def test_changes_win_and_lists_are_unions() -> None:
    config = commit_image_config(
        {"Labels": {"both": "request"}},
        ['CMD ["cat", "/x"]', "ENV A=2 B=3", "EXPOSE 443", "LABEL new=1", "USER 1000",
         "WORKDIR /app"],
        CONTAINER)
    assert config["Cmd"] == ["cat", "/x"]
    assert config["Env"] == ["A=2", "B=3", "PATH=/bin"]
    assert config["ExposedPorts"] == {"443/tcp": {}, "80/tcp": {}}
    assert config["Labels"] == {"both": "request", "new": "1", "from": "image"}
    assert config["User"] == "1000"
    assert config["WorkingDir"] == "/app"


def test_an_entrypoint_change_drops_the_containers_cmd() -> None:
    config = commit_image_config(None, ['ENTRYPOINT ["/bin/top"]'], CONTAINER)
    assert config["Entrypoint"] == ["/bin/top"]
    assert config["Cmd"] is None


def test_shell_form_cmd_change() -> None:
    config = commit_image_config(None, ["CMD echo hello"], CONTAINER)
    assert config["Cmd"] == ["/bin/sh", "-c", "echo hello"]


def test_the_containers_config_is_not_modified() -> None:
    before = repr(CONTAINER)
    commit_image_config({"Env": ["X=1"]}, ["LABEL a=b"], CONTAINER)
    assert repr(CONTAINER) == before


def test_an_unknown_change_is_refused_with_dockers_words() -> None:
    with pytest.raises(InvalidParameter, match="run is not a valid change command"):
        commit_image_config(None, ["RUN echo"], CONTAINER)


def test_created_by_is_the_command_joined() -> None:
    assert created_by(CONTAINER) == "sh -c echo hi"
    assert created_by({"Cmd": None}) == ""
