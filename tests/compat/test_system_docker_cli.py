"""``system df [-v]``, ``system prune``, ``image prune --filter until`` and ``events`` with
filters through the stock docker CLI against wharfd, and wharf's CLI beside it."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.support.daemons import Daemon

WHARF = str(Path(sys.executable).parent / "wharf")
SUMMARY = "{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Size}}|{{.Reclaimable}}"


def wharf(wharfd: Daemon, *args: str) -> str:
    done = subprocess.run([WHARF, *args], env=wharfd.docker_env(), capture_output=True,
                          timeout=60, check=True)
    return done.stdout.decode()


def docker(wharfd: Daemon, *args: str) -> str:
    return wharfd.docker(*args).stdout.decode()


def steady(text: str) -> str:
    """``text`` with its "... ago" times and column padding evened out: the two CLIs run a
    moment apart, and a second may tick between them."""
    text = re.sub(r"(Less than a second|About a minute|About an hour|\d+ \w+) ago", "AGO", text)
    return "\n".join(" ".join(line.split()) for line in text.splitlines())


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_system_df_summary_and_verbose_as_docker_shows_them(wharfd: Daemon) -> None:
    name = unique("df")
    docker(wharfd, "run", "--name", name, "-v", f"{name}:/data", "busybox", "sh", "-c",
           "head -c 2000 /dev/zero > /data/f; head -c 1000 /dev/zero > /f")
    try:
        assert docker(wharfd, "system", "df", "--format", SUMMARY) == \
            wharf(wharfd, "system", "df", "--format", SUMMARY)
        table = docker(wharfd, "system", "df").splitlines()
        assert table[0].split() == ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]
        assert table == wharf(wharfd, "system", "df").splitlines()
        verbose = docker(wharfd, "system", "df", "-v")
        ours = wharf(wharfd, "system", "df", "-v")
        # docker's sections, line for line, then wharf's counted-once one
        assert steady(ours).startswith(steady(verbose)), (verbose, ours)
        assert [line.split() for line in verbose.splitlines() if line.startswith(name)] == [
            [name, "1", "2kB"]]
        tail = ours.rsplit("\n\nBuild cache usage: ", 1)[1].split("\n\n")
        assert tail[2] == "Space used, each byte counted once:"
        as_json = docker(wharfd, "system", "df", "-v", "--format", "json").strip()
        ours_json = wharf(wharfd, "system", "df", "-v", "--format", "json").strip()
        assert steady(ours_json).startswith(steady(as_json[:-1]) + ',"CountedOnce":{'), \
            (as_json, ours_json)
    finally:
        docker(wharfd, "rm", "-v", name)
        docker(wharfd, "volume", "rm", name)


def test_system_prune_force(wharfd: Daemon) -> None:
    stopped, network = unique("stopped"), unique("net")
    container_id = docker(wharfd, "create", "--name", stopped, "busybox").strip()
    docker(wharfd, "network", "create", network)
    out = docker(wharfd, "system", "prune", "-f")
    assert f"Deleted Containers:\n{container_id}\n" in out
    assert f"Deleted Networks:\n{network}\n" in out
    assert out.rstrip("\n").splitlines()[-1].startswith("Total reclaimed space: ")
    assert wharfd.request("GET", f"/containers/{stopped}/json")[0] == 404
    assert wharfd.request("GET", "/images/busybox/json")[0] == 200  # tagged: kept without -a


def test_image_prune_all_with_until_and_label(wharfd: Daemon) -> None:
    name, label = unique("src"), unique("wp9")
    docker(wharfd, "run", "--name", name, "busybox", "true")
    try:
        image_id = docker(wharfd, "commit", "--change", f"LABEL wp9={label}", name,
                          f"wp9/{label}:1").strip()
    finally:
        docker(wharfd, "rm", name)
    past = str(int(time.time()) - 3600)
    out = docker(wharfd, "image", "prune", "-a", "-f", "--filter", f"until={past}",
                 "--filter", f"label=wp9={label}")
    assert out == "Total reclaimed space: 0B\n"
    out = docker(wharfd, "image", "prune", "-a", "-f", "--filter", "until=1s",
                 "--filter", f"label=wp9={label}")
    if image_id not in out:  # created within the last second: until=1s keeps it; retry once
        time.sleep(1.1)
        out = docker(wharfd, "image", "prune", "-a", "-f", "--filter", "until=1s",
                     "--filter", f"label=wp9={label}")
    assert f"untagged: wp9/{label}:1\n" in out and f"deleted: {image_id}\n" in out


def test_events_since_until_type_and_event_filters(wharfd: Daemon) -> None:
    name = unique("die")
    since = f"{time.time():.3f}"
    wharfd.docker("run", "--name", name, "busybox", "sh", "-c", "exit 5", check=False)
    container_id = docker(wharfd, "inspect", "-f", "{{.Id}}", name).strip()
    docker(wharfd, "rm", name)
    until = f"{time.time():.3f}"
    out = docker(wharfd, "events", "--since", since, "--until", until, "--filter",
                 "type=container", "--filter", "event=die", "--format",
                 "{{.Type}} {{.Action}} {{.Actor.ID}} {{index .Actor.Attributes \"exitCode\"}}")
    assert out.splitlines() == [f"container die {container_id} 5"]
    assert wharf(wharfd, "events", "--since", since, "--until", until, "--filter",
                 "type=container", "--filter", "event=die", "--format",
                 "{{.Action}} {{.Actor.ID}}").splitlines() == [f"die {container_id}"]
    refused = wharfd.docker("events", "--until", until, "--filter", "bogus=1", check=False)
    assert refused.returncode != 0 and b"invalid filter 'bogus'" in refused.stderr


def test_system_prune_all_with_label_and_until_filters(wharfd: Daemon) -> None:
    label = unique("lbl")
    kept, labelled = unique("kept"), unique("gone")
    docker(wharfd, "create", "--name", kept, "busybox")
    gone_id = docker(wharfd, "create", "--name", labelled, "--label", f"wp9={label}",
                     "busybox").strip()
    try:
        out = docker(wharfd, "system", "prune", "-a", "-f", "--filter", f"label=wp9={label}",
                     "--filter", "until=0s")
        assert f"Deleted Containers:\n{gone_id}\n" in out
        assert out.rstrip("\n").splitlines()[-1].startswith("Total reclaimed space: ")
        assert wharfd.request("GET", f"/containers/{kept}/json")[0] == 200
        assert wharfd.request("GET", "/images/busybox/json")[0] == 200  # no such label
        refused = wharfd.docker("system", "prune", "-f", "--filter", "until=1700000000",
                                check=False)
        assert refused.returncode != 0
        assert b"\"until\" filter expects a duration" in refused.stderr
    finally:
        docker(wharfd, "rm", "-f", kept)


def test_docker_py_df_and_image_prune_unused_for(wharfd: Daemon) -> None:
    import docker

    client = docker.APIClient(base_url=wharfd.host)
    try:
        usage = client.df()
        assert {"LayersSize", "Images", "Containers", "Volumes", "BuildCache"} <= set(usage)
        busybox = next(i for i in usage["Images"] if "busybox:latest" in i["RepoTags"])
        assert busybox["SharedSize"] >= 0 and busybox["Containers"] >= 0
        report = client.prune_images(filters={"unused-for": "72h", "dangling": False})
        assert report["ImagesDeleted"] is None  # busybox was just imported
        assert client.inspect_image("busybox")["Metadata"]["LastUsed"]
    finally:
        client.close()
