"""``wharf volume``: the requests it sends and docker's output, against the fake engine."""

from __future__ import annotations

import json
from typing import Any

VOLUME = {"CreatedAt": "2024-01-02T03:04:05Z", "Driver": "local", "Labels": {"b": "2", "a": "1"},
          "Mountpoint": "/var/lib/wharf/volumes/data/_data", "Name": "data", "Options": {},
          "Scope": "local"}


def test_create_sends_opts_and_labels(wharf: Any, engine: Any) -> None:
    engine.route("POST", "/volumes/create", {**VOLUME, "Name": "fast"})
    result = wharf("volume", "create", "-o", "type=tmpfs", "--opt", "device=tmpfs",
                   "--label", "team=a", "fast")
    assert (result.status, result.stdout) == (0, "fast\n")
    [sent] = engine.find("POST", "/volumes/create")
    assert sent.json() == {"Name": "fast", "Driver": "local", "Labels": {"team": "a"},
                           "DriverOpts": {"type": "tmpfs", "device": "tmpfs"}}


def test_ls_is_sorted_by_name_in_dockers_table(wharf: Any, engine: Any) -> None:
    engine.route("GET", "/volumes", {"Volumes": [{**VOLUME, "Name": "zeta"}, VOLUME],
                                     "Warnings": None})
    result = wharf("volume", "ls", "-f", "dangling=true")
    assert result.stdout.splitlines() == ["DRIVER    VOLUME NAME", "local     data",
                                          "local     zeta"]
    [sent] = engine.find("GET", "/volumes")
    assert json.loads(sent.param("filters") or "") == {"dangling": {"true": True}}
    quiet = wharf("volume", "ls", "-q")
    assert quiet.stdout == "data\nzeta\n"
    labels = wharf("volume", "ls", "--format", "{{.Name}} {{.Labels}} {{.Links}}")
    assert labels.stdout.splitlines()[0] == "data a=1,b=2 N/A"


def test_rm_prints_each_removed_name_and_reports_failures(wharf: Any, engine: Any,
                                                          fake: Any) -> None:
    engine.route("DELETE", "/volumes/data", fake.Reply(status=204))
    engine.route("DELETE", "/volumes/busy", fake.Reply(status=409, body={
        "message": "remove busy: volume is in use - [abc]"}))
    result = wharf("volume", "rm", "-f", "data", "busy")
    assert result.status == 1 and result.stdout == "data\n"
    assert result.stderr == ("Error response from daemon: remove busy: volume is in use - "
                             "[abc]\n")
    assert engine.find("DELETE", "/volumes/data")[0].param("force") == "1"


def test_prune_prompts_and_all_sends_the_all_filter(wharf: Any, engine: Any) -> None:
    engine.route("POST", "/volumes/prune", {"VolumesDeleted": ["v1"], "SpaceReclaimed": 2048})
    declined = wharf("volume", "prune", stdin=b"n\n")
    assert declined.stdout.startswith("WARNING! This will remove anonymous local volumes not "
                                      "used by at least one container.")
    assert engine.find("POST", "/volumes/prune") == []
    accepted = wharf("volume", "prune", "-a", "-f", "--filter", "label=x")
    assert accepted.stdout == "Deleted Volumes:\nv1\n\nTotal reclaimed space: 2.048kB\n"
    [sent] = engine.find("POST", "/volumes/prune")
    assert json.loads(sent.param("filters") or "") == {"label": {"x": True}, "all": {"true": True}}


def test_inspect_formats_and_reports_missing(wharf: Any, engine: Any, fake: Any) -> None:
    engine.route("GET", "/volumes/data", VOLUME)
    engine.route("GET", "/volumes/gone", fake.Reply(status=404, body={
        "message": "get gone: no such volume"}))
    result = wharf("volume", "inspect", "-f", "{{.Mountpoint}}", "data", "gone")
    assert result.status == 1 and result.stdout == "/var/lib/wharf/volumes/data/_data\n"
    assert result.stderr == "Error response from daemon: get gone: no such volume\n"
