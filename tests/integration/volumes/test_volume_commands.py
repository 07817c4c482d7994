"""``volume create/ls/inspect/rm/prune`` through the stock docker CLI and ``wharf``, the same
daemon answers for both; filters, prune's anonymous-only default, events, ``system df``."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.daemons import Daemon

WHARF = str(Path(sys.executable).parent / "wharf")


def unique(prefix: str) -> str:
    return f"wc-{prefix}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def cli(wharfd: Daemon, tool: str, *args: str, check: bool = True,
        stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    if tool == "docker":
        return wharfd.docker(*args, check=check, stdin=stdin)
    res = subprocess.run([WHARF, *args], env=wharfd.docker_env(), input=stdin,
                         capture_output=True, timeout=60, check=False)
    if check:
        assert res.returncode == 0, (args, res.stderr)
    return res


@contextlib.contextmanager
def cleaned(wharfd: Daemon, *names: str) -> Iterator[None]:
    try:
        yield
    finally:
        status, data = wharfd.request("GET", "/containers/json?all=1")
        for entry in json.loads(data) if status == 200 else []:
            wharfd.request("DELETE", f"/containers/{entry['Id']}?force=1&v=1")
        for name in names:
            wharfd.request("DELETE", f"/volumes/{name}?force=1")


@pytest.mark.parametrize("tool", ["docker", "wharf"])
def test_create_ls_inspect_rm(wharfd: Daemon, tool: str) -> None:
    name = unique(tool)
    with cleaned(wharfd, name):
        out = cli(wharfd, tool, "volume", "create", "--label", "team=a", name).stdout
        assert out == f"{name}\n".encode()
        listed = cli(wharfd, tool, "volume", "ls", "--filter", f"name={name}").stdout.decode()
        assert listed.splitlines()[0].split() == ["DRIVER", "VOLUME", "NAME"]
        assert listed.splitlines()[1].split() == ["local", name]
        quiet = cli(wharfd, tool, "volume", "ls", "-q", "-f", "label=team=a").stdout.decode()
        assert name in quiet.split()
        assert name not in cli(wharfd, tool, "volume", "ls", "-q", "-f",
                               "label=team=b").stdout.decode().split()
        [inspected] = json.loads(cli(wharfd, tool, "volume", "inspect", name).stdout)
        assert inspected["Labels"] == {"team": "a"} and inspected["Options"] == {}
        assert inspected["CreatedAt"].endswith("Z")
        formatted = cli(wharfd, tool, "volume", "inspect", "-f", "{{.Driver}} {{.Scope}}", name)
        assert formatted.stdout == b"local local\n"
        assert cli(wharfd, tool, "volume", "rm", name).stdout == f"{name}\n".encode()
        missing = cli(wharfd, tool, "volume", "inspect", name, check=False)
        assert missing.returncode == 1
        assert f"get {name}: no such volume".encode() in missing.stderr


@pytest.mark.parametrize("tool", ["docker", "wharf"])
def test_bad_names_options_and_drivers_are_refused(wharfd: Daemon, tool: str) -> None:
    for args, message in (
        (["x"], "create x: volume name is too short, names should be at least two "
                "alphanumeric characters"),
        (["a/b"], 'create a/b: "a/b" includes invalid characters for a local volume name'),
        (["--opt", "colour=red", unique("o")], 'invalid option: "colour"'),
        (["--opt", "type=tmpfs", unique("o")], 'missing required option: "device"'),
        (["-d", "flocker", unique("o")], 'plugin "flocker" not found'),
    ):
        res = cli(wharfd, tool, "volume", "create", *args, check=False)
        assert res.returncode == 1 and message.encode() in res.stderr, (args, res.stderr)


def test_prune_removes_anonymous_volumes_unless_all(wharfd: Daemon) -> None:
    named, used = unique("keep"), unique("used")
    with cleaned(wharfd, named, used):
        cli(wharfd, "docker", "volume", "create", named)
        cli(wharfd, "docker", "create", "--name", unique("c"), "-v", f"{used}:/u", "busybox")
        cid = cli(wharfd, "docker", "run", "-d", "-v", "/anon", "busybox",
                  "true").stdout.decode().strip()
        cli(wharfd, "docker", "wait", cid)
        anonymous = json.loads(cli(wharfd, "docker", "inspect", cid).stdout)[0]["Mounts"][0]
        cli(wharfd, "docker", "rm", cid)  # without -v: the anonymous volume stays
        dangling = cli(wharfd, "docker", "volume", "ls", "-q", "-f",
                       "dangling=true").stdout.decode().split()
        assert anonymous["Name"] in dangling and named in dangling and used not in dangling
        out = cli(wharfd, "docker", "volume", "prune", "-f").stdout.decode()
        assert anonymous["Name"] in out and named not in out
        assert out.startswith("Deleted Volumes:\n")
        out = cli(wharfd, "wharf", "volume", "prune", "-a", "-f").stdout.decode()
        assert named in out and used not in out
        assert wharfd.request("GET", f"/volumes/{used}")[0] == 200


def test_events_and_system_df(wharfd: Daemon) -> None:
    name = unique("ev")
    since = str(time.time() - 1)
    with cleaned(wharfd, name):
        cli(wharfd, "docker", "run", "--rm", "-v", f"{name}:/d", "busybox",
            "sh", "-c", "head -c 3000 /dev/zero > /d/f")
        usage = json.loads(wharfd.request("GET", "/system/df")[1])
        [entry] = [v for v in usage["Volumes"] if v["Name"] == name]
        assert entry["UsageData"] == {"Size": 3000, "RefCount": 0}
        cli(wharfd, "docker", "volume", "rm", name)
        events = cli(wharfd, "docker", "events", "--since", since, "--until", str(time.time()),
                     "--filter", "type=volume", "--format", "{{.Action}} {{.Actor.ID}}")
        actions = [line.split()[0] for line in events.stdout.decode().splitlines()
                   if line.endswith(name)]
        assert actions == ["create", "mount", "unmount", "destroy"]
    with cleaned(wharfd, name):
        cli(wharfd, "docker", "run", "--rm", "-v", f"{name}:/d", "busybox",
            "sh", "-c", "head -c 3000 /dev/zero > /d/f")
        rows = {}
        for tool in ("docker", "wharf"):
            df = cli(wharfd, tool, "system", "df", "--format",
                     "{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Reclaimable}}").stdout.decode()
            rows[tool] = next(line for line in df.splitlines()
                              if line.startswith("Local Volumes"))
        assert rows["docker"] == rows["wharf"]
        total = int(rows["docker"].split("|")[1])
        assert total >= 1 and rows["docker"].split("|")[3] != "0B"


def test_wharf_run_with_volumes_mounts_and_volumes_from(wharfd: Daemon) -> None:
    name, source = unique("wr"), unique("src")
    with cleaned(wharfd, name):
        cli(wharfd, "wharf", "run", "--name", source, "--mount",
            f"type=volume,src={name},dst=/m,volume-nocopy", "-v", "/anon", "busybox",
            "sh", "-c", "echo m > /m/f; echo a > /anon/f")
        out = cli(wharfd, "wharf", "run", "--rm", "--volumes-from", source, "busybox",
                  "cat", "/m/f", "/anon/f").stdout
        assert out == b"m\na\n"
        refused = cli(wharfd, "wharf", "run", "--rm", "--volume-driver", "flocker", "busybox",
                      "true", check=False)
        assert refused.returncode == 125
        assert b"--volume-driver is not supported yet" in refused.stderr
