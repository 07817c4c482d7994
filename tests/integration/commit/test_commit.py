"""``wharf commit`` against a real wharfd: the new image runs with the container's change,
``-c`` and ``-m``/``-a`` are in its config and history, a running container is paused only
while its layer is read, and the ``commit`` event is sent."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest
from tests.integration.archive.helpers import containers, unique, wharf
from tests.support.daemons import Daemon


@pytest.fixture
def repo(wharfd: Daemon) -> Iterator[str]:
    name = f"commit-{uuid.uuid4().hex[:8]}"
    try:
        yield name
    finally:
        for line in wharf(wharfd, "images", "--format", "{{.Repository}}:{{.Tag}}",
                          check=False).stdout.decode().split():
            if line.startswith(name + ":"):
                wharf(wharfd, "rmi", "-f", line, check=False)


def test_a_committed_change_runs_in_the_new_image(wharfd: Daemon, repo: str) -> None:
    with containers(wharfd) as made:
        name = unique("commit-stopped")
        made.append(name)
        wharf(wharfd, "run", "--name", name, "busybox", "sh", "-c",
              "echo committed > /greeting && rm /bin/vi")
        image_id = wharf(wharfd, "commit", "-m", "add a greeting", "-a", "Tester <t@x>",
                         "-c", 'CMD ["cat", "/greeting"]', "-c", "ENV STAGE=one",
                         name, f"{repo}:v1").stdout.decode().strip()
        assert image_id.startswith("sha256:") and len(image_id) == 71
        out = wharf(wharfd, "run", "--rm", f"{repo}:v1").stdout
        assert out == b"committed\n"
        gone = wharf(wharfd, "run", "--rm", f"{repo}:v1", "ls", "/bin/vi", check=False)
        assert gone.returncode != 0  # the deletion is in the layer (a whiteout)
        inspected = json.loads(wharf(wharfd, "image", "inspect", f"{repo}:v1").stdout)[0]
        assert inspected["Id"] == image_id
        assert inspected["Config"]["Cmd"] == ["cat", "/greeting"]
        assert "STAGE=one" in inspected["Config"]["Env"]
        assert inspected["Author"] == "Tester <t@x>"
        assert inspected["Comment"] == "add a greeting"
        history = json.loads(wharf(wharfd, "history", "--no-trunc", "--format", "json",
                                   f"{repo}:v1").stdout.decode().splitlines()[0])
        assert history["Comment"] == "add a greeting"
        assert history["CreatedBy"] == "sh -c echo committed > /greeting && rm /bin/vi"


def test_commit_of_a_running_container_pauses_it_and_sends_the_event(
        wharfd: Daemon, repo: str) -> None:
    with containers(wharfd) as made:
        name = unique("commit-running")
        made.append(name)
        wharf(wharfd, "run", "-d", "--name", name, "busybox", "sh", "-c",
              "echo live > /state && sleep 300")
        wharf(wharfd, "exec", name, "cat", "/state")
        since = str(int(time.time()) - 1)
        image_id = wharf(wharfd, "commit", name, repo).stdout.decode().strip()
        events = wharf(wharfd, "events", "--since", since, "--until", str(int(time.time()) + 1),
                       "--filter", f"container={name}", "--format",
                       "{{.Action}}").stdout.decode().split()
        assert events[-3:] == ["pause", "unpause", "commit"]
        status = json.loads(wharf(wharfd, "inspect", name).stdout)[0]["State"]["Status"]
        assert status == "running"
        assert wharf(wharfd, "run", "--rm", f"{repo}:latest", "cat", "/state").stdout == \
            b"live\n"
        assert json.loads(wharf(wharfd, "image", "inspect", repo).stdout)[0]["Id"] == image_id
        time.sleep(1.1)  # events are filtered by whole seconds
        since = str(int(time.time()))
        wharf(wharfd, "commit", "--pause=false", name, f"{repo}:nopause")
        events = wharf(wharfd, "events", "--since", since, "--until", str(int(time.time()) + 1),
                       "--filter", f"container={name}", "--format",
                       "{{.Action}}").stdout.decode().split()
        assert events == ["commit"]


def test_commit_refuses_a_bad_change_and_an_unknown_container(wharfd: Daemon) -> None:
    with containers(wharfd) as made:
        name = unique("commit-bad")
        made.append(name)
        wharf(wharfd, "create", "--name", name, "busybox")
        res = wharf(wharfd, "commit", "-c", "RUN true", name, check=False)
        assert res.returncode == 1
        assert b"run is not a valid change command" in res.stderr
    res = wharf(wharfd, "commit", unique("missing"), check=False)
    assert res.returncode == 1
    assert b"No such container" in res.stderr
