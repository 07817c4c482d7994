"""docker-py 7's system calls against wharfd: ping, version, info, df; the swarm calls get
dockerd's answers outside a swarm."""

from __future__ import annotations

import docker
import docker.errors
import pytest

from tests.support.daemons import Daemon


def test_ping_version_info_df(client: docker.DockerClient) -> None:
    assert client.ping() is True
    version = client.version()
    assert version["ApiVersion"] == "1.47" and version["Os"] == "linux"
    info = client.info()
    assert info["Swarm"]["LocalNodeState"] == "inactive"
    assert info["Images"] >= 1
    df = client.df()
    assert "busybox:latest" in [t for image in df["Images"] for t in image["RepoTags"] or []]


def test_swarm_calls_get_dockerds_answers_outside_a_swarm(
        client: docker.DockerClient) -> None:
    for call in (lambda: client.swarm.reload(), client.services.list, client.nodes.list,
                 client.secrets.list, client.configs.list):
        with pytest.raises(docker.errors.APIError) as refused:
            call()
        assert refused.value.status_code == 503
        assert "not a swarm manager" in str(refused.value.explanation)
    with pytest.raises(docker.errors.APIError) as refused:
        client.swarm.leave()
    assert (refused.value.status_code, refused.value.explanation) == (
        503, "This node is not part of a swarm")
    with pytest.raises(docker.errors.APIError) as refused:
        client.swarm.init()
    assert refused.value.status_code == 400


def test_no_plugins(client: docker.DockerClient, wharfd: Daemon) -> None:
    assert client.plugins.list() == []
    with pytest.raises(docker.errors.NotFound) as missing:
        client.plugins.get("vieux/sshfs:latest")
    assert missing.value.explanation == 'plugin "vieux/sshfs:latest" not found'
    status, body = wharfd.request("POST", "/plugins/pull?remote=vieux/sshfs")
    assert status == 400 and b"not supported" in body
    # the docker CLI too
    assert wharfd.docker("plugin", "ls", "-q").stdout == b""
