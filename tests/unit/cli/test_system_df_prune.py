"""``wharf system df [-v]`` and ``wharf system prune`` against a fake engine."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from wharf.cli.commands.system_df import counted_once

BUSYBOX = {"Id": "sha256:" + "b" * 64, "RepoTags": ["busybox:latest", "bb:1"],
           "Created": int(time.time()) - 60, "Size": 4_000_000, "SharedSize": 4_000_000,
           "Containers": 1}
APP = {"Id": "sha256:" + "a" * 64, "RepoTags": ["app:v1"], "Created": int(time.time()) - 30,
       "Size": 4_001_000, "SharedSize": 4_000_000, "Containers": 0}
USAGE: dict[str, Any] = {
    "LayersSize": 4_001_000,
    "Images": [APP, BUSYBOX],
    "Containers": [{"Id": "c" * 64, "Names": ["/web"], "Image": "busybox", "Command": "sleep 9",
                    "Created": int(time.time()) - 5, "State": "running", "Status": "Up 5 seconds",
                    "SizeRw": 1_000, "SizeRootFs": 4_001_000,
                    "Mounts": [{"Type": "volume", "Name": "data", "Driver": "local"}]},
                   {"Id": "d" * 64, "Names": ["/old"], "Image": "busybox", "Command": "true",
                    "Created": int(time.time()) - 9, "State": "exited",
                    "Status": "Exited (0) 1 second ago", "SizeRw": 500, "SizeRootFs": 4_000_500,
                    "Mounts": []}],
    "Volumes": [{"Name": "data", "UsageData": {"Size": 3_000, "RefCount": 1}},
                {"Name": "spare", "UsageData": {"Size": 200, "RefCount": 0}}],
    "BuildCache": [{"ID": "k" * 25, "Type": "exec.cachemount", "Size": 700, "InUse": False,
                    "Shared": False, "CreatedAt": "2026-01-01T00:00:00Z",
                    "LastUsedAt": "2026-01-01T00:00:00Z", "UsageCount": 2}],
}


def test_summary_follows_dockers_arithmetic(wharf: Any, engine: Any) -> None:
    engine.route("GET", "/system/df", USAGE)
    lines = wharf("system", "df").stdout.splitlines()
    assert lines[1].split() == ["Images", "2", "1", "4.001MB", "4.001MB", "(100%)"]
    assert lines[2].split() == ["Containers", "2", "1", "1.5kB", "500B", "(33%)"]
    assert lines[3].split() == ["Local", "Volumes", "2", "1", "3.2kB", "200B", "(6%)"]
    assert lines[4].split() == ["Build", "Cache", "1", "0", "700B", "700B"]


def test_verbose_tables_and_a_total_that_adds_up(wharf: Any, engine: Any) -> None:
    engine.route("GET", "/system/df", USAGE)
    out = wharf("system", "df", "-v").stdout
    sections = out.split("\n\n")
    assert sections[0] == "Images space usage:"
    assert sections[1].splitlines()[0].split("   ")[0] == "REPOSITORY"
    rows = [line.split() for line in sections[1].splitlines()[1:]]
    assert rows[0][:2] == ["app", "v1"] and rows[0][-4:] == ["4MB", "4MB", "1kB", "0"]
    assert rows[1][:2] == ["busybox", "latest"] and rows[1][-1] == "1"  # first tag only
    assert sections[2] == "Containers space usage:"
    assert "virtual" not in sections[3] and "\"sleep 9\"" in sections[3]
    sizes = [re.split(" {2,}", line)[4] for line in sections[3].splitlines()[1:]]
    assert sizes == ["1kB", "500B"]
    assert sections[5].splitlines()[0].split() == ["VOLUME", "NAME", "LINKS", "SIZE"]
    assert sections[6] == "Build cache usage: 700B"
    assert sections[8] == "Space used, each byte counted once:"
    table = {line[:30].strip(): line.split()[-1] for line in sections[9].splitlines()[1:]}
    parts = {k: int(v) for k, v in table.items()}
    assert parts == {"Images: unique layers": 1_000, "Images: shared layers (once)": 4_000_000,
                     "Containers: written": 1_500, "Local Volumes: in use": 3_000,
                     "Local Volumes: unused": 200, "Build Cache": 700, "Total": 4_006_400}
    assert parts.pop("Total") == sum(parts.values())


def test_counted_once_equals_layers_plus_the_rest() -> None:
    parts = dict(counted_once(USAGE))
    assert (parts["Images: unique layers"] + parts["Images: shared layers (once)"]
            == USAGE["LayersSize"])


def test_verbose_json_and_refused_templates(wharf: Any, engine: Any) -> None:
    engine.route("GET", "/system/df", USAGE)
    doc = json.loads(wharf("system", "df", "-v", "--format", "json").stdout)
    assert doc["CountedOnce"]["Total"] == 4_006_400
    assert list(doc) == ["Images", "Containers", "Volumes", "BuildCache", "CountedOnce"]
    assert [(v["Name"], v["Links"]) for v in doc["Volumes"]] == [("data", "1"), ("spare", "0")]
    assert doc["Images"][0]["ID"] == APP["Id"] and doc["Containers"][0]["Size"] == "1kB"
    result = wharf("system", "df", "-v", "--format", "{{.Type}}")
    assert result.status == 125 and "not supported yet" in result.stderr
    summary = wharf("system", "df", "--format", "{{.Type}}:{{.Active}}").stdout.splitlines()
    assert summary == ["Images:1", "Containers:1", "Local Volumes:1", "Build Cache:0"]


def _prune_routes(engine: Any) -> None:
    engine.route("POST", "/containers/prune", {"ContainersDeleted": ["c1"],
                                               "SpaceReclaimed": 1000})
    engine.route("POST", "/networks/prune", {"NetworksDeleted": ["net1"]})
    engine.route("POST", "/volumes/prune", {"VolumesDeleted": ["v1"], "SpaceReclaimed": 24})
    engine.route("POST", "/images/prune", {"ImagesDeleted": [{"Untagged": "x:1"},
                                                             {"Deleted": "sha256:1"}],
                                           "SpaceReclaimed": 2000})
    engine.route("POST", "/build/prune", {"CachesDeleted": None, "SpaceReclaimed": 0})


def test_system_prune_asks_then_reports_as_docker(wharf: Any, engine: Any) -> None:
    _prune_routes(engine)
    result = wharf("system", "prune", "--filter", "until=1h", "--filter", "label=a",
                   stdin=b"n\n")
    assert result.status == 0
    assert result.stdout == ("WARNING! This will remove:\n  - all stopped containers\n"
                             "  - all networks not used by at least one container\n"
                             "  - all dangling images\n  - unused build cache\n\n"
                             "  Items to be pruned will be filtered with:\n  - label=a\n"
                             "  - until=1h\n\nAre you sure you want to continue? [y/N] ")
    assert not engine.find("POST", "/containers/prune")
    result = wharf("system", "prune", "-a", "--volumes", stdin=b"y\n")
    assert result.stdout.split("[y/N] ", 1)[1] == (
        "Deleted Containers:\nc1\n\nDeleted Networks:\nnet1\n\nDeleted Volumes:\nv1\n\n"
        "Deleted Images:\nuntagged: x:1\ndeleted: sha256:1\n\nTotal reclaimed space: 3.024kB\n")
    [images] = engine.find("POST", "/images/prune")
    assert json.loads(images.param("filters") or "{}") == {"dangling": {"false": True}}
    [build] = engine.find("POST", "/build/prune")
    assert build.param("all") in ("1", "true", "True")


def test_system_prune_force_with_filters_and_refusals(wharf: Any, engine: Any) -> None:
    _prune_routes(engine)
    result = wharf("system", "prune", "-f", "--filter", "label=a=b")
    assert result.status == 0 and result.stdout.endswith("Total reclaimed space: 3kB\n")
    [containers] = engine.find("POST", "/containers/prune")
    assert json.loads(containers.param("filters") or "{}") == {"label": {"a=b": True}}
    assert not engine.find("POST", "/volumes/prune")
    refused = wharf("system", "prune", "-f", "--volumes", "--filter", "until=1h")
    assert refused.status == 1
    assert refused.stderr.strip() == 'ERROR: The "until" filter is not supported with "--volumes"'
