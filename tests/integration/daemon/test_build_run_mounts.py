"""RUN mounts in a real container: what ``prepare_run_mounts`` makes is accepted by the create
API as it stands (HostConfig.Mounts binds and HostConfig.Tmpfs), each mount behaves as
BuildKit's does inside the container, and ``remove_stubs`` takes every mount point out of the
container's layer, so no secret, cache or bind target reaches an image."""

from __future__ import annotations

import io
import json
import tarfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.daemons import Daemon

from wharf.services.build_mounts import CacheMounts, RunMounts, prepare_run_mounts
from wharf.services.build_types import BuildOptions

pytestmark = pytest.mark.root

SCRIPT = """
echo "secret=$(cat /run/secrets/tok)"
echo "secretmode=$(stat -c %a /run/secrets/tok)"
echo hi >> /wharf-cache/log && echo "cache=$(wc -l < /wharf-cache/log)"
echo x > /src/a.txt 2>/dev/null && echo srcwrite=rw || echo srcwrite=ro
echo changed > /srcrw/a.txt && echo "srcrw=$(cat /srcrw/a.txt)"
printf '#!/bin/sh\\necho ran\\n' > /scratch/r && chmod +x /scratch/r
echo "tmpfsexec=$(/scratch/r)"
echo "stage=$(cat /tool)"
echo "vol=$(cat /vol/probe)"
touch /vol/x 2>/dev/null && echo volwrite=rw || echo volwrite=ro
echo END
"""


@pytest.fixture()
def build_dir(tmp_path: Path) -> Path:
    (tmp_path / "contexts" / "b1" / "src").mkdir(parents=True)
    (tmp_path / "contexts" / "b1" / "src" / "a.txt").write_text("original")
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "tok").write_text("s3cr3t")
    (tmp_path / "stage").mkdir()
    (tmp_path / "stage" / "tool").write_text("from-stage")
    (tmp_path / "host").mkdir()
    (tmp_path / "host" / "probe").write_text("host-file")
    (tmp_path / "empty-root").mkdir()
    return tmp_path


@pytest.fixture()
def cache(build_dir: Path) -> Iterator[CacheMounts]:
    mounts = CacheMounts(build_dir / "cache-mounts")
    yield mounts
    mounts.prune(everything=True)


def prepare(build_dir: Path, cache: CacheMounts, cache_id: str) -> RunMounts:
    specs = [
        {"type": "cache", "target": "/wharf-cache", "id": cache_id},
        {"type": "bind", "source": "src", "target": "/src"},
        {"type": "bind", "source": "src", "target": "/srcrw", "rw": "true"},
        {"type": "bind", "from": "tools", "source": "tool", "target": "/tool"},
        {"type": "tmpfs", "target": "/scratch", "size": "1m"},
        {"type": "secret", "id": "tok"},
        {"type": "secret", "id": "not-given"},
    ]
    return prepare_run_mounts(
        specs, BuildOptions(volumes=(f"{build_dir / 'host'}:/vol:ro",)),
        rootfs=build_dir / "empty-root", workdir="/", context=build_dir / "contexts" / "b1",
        stage_root={"tools": build_dir / "stage"}.__getitem__,
        secrets={"tok": build_dir / "secrets" / "tok"}, cache=cache)


def run_container(wharfd: Daemon, run: RunMounts) -> tuple[str, dict[str, str]]:
    body = {"Image": "busybox", "Cmd": ["sh", "-c", SCRIPT],
            "HostConfig": {"Mounts": run.mounts, "Tmpfs": run.tmpfs}}
    status, data = wharfd.request("POST", f"/containers/create?name=rm-{uuid.uuid4().hex[:8]}",
                                  json.dumps(body).encode(),
                                  {"Content-Type": "application/json"})
    assert status == 201, data
    cid = json.loads(data)["Id"]
    wharfd.json("POST", f"/containers/{cid}/start")
    answer = wharfd.json("POST", f"/containers/{cid}/wait")
    assert isinstance(answer, dict) and answer["StatusCode"] == 0, answer
    return cid, dict(line.split("=", 1) for line in logs(wharfd, cid).splitlines()
                     if "=" in line)


def logs(wharfd: Daemon, cid: str) -> str:
    deadline = time.monotonic() + 20
    out = b""
    while time.monotonic() < deadline:
        status, data = wharfd.request("GET", f"/containers/{cid}/logs?stdout=1&stderr=1")
        assert status == 200
        out, offset = b"", 0
        while offset + 8 <= len(data):  # stdcopy frames
            size = int.from_bytes(data[offset + 4:offset + 8], "big")
            out += data[offset + 8:offset + 8 + size]
            offset += 8 + size
        if b"END" in out:
            break
        time.sleep(0.1)
    return out.decode(errors="replace")


def layer_names(wharfd: Daemon, cid: str) -> set[str]:
    """What the container's export holds: its image and its layer."""
    status, exported = wharfd.request("GET", f"/containers/{cid}/export")
    assert status == 200
    with tarfile.open(fileobj=io.BytesIO(exported)) as tar:
        return {name.strip("./") for name in tar.getnames()}


def upper_dir(wharfd: Daemon, cid: str) -> Path:
    data: Any = wharfd.json("GET", f"/containers/{cid}/json")
    return Path(data["GraphDriver"]["Data"]["UpperDir"])


def test_run_mounts_in_a_real_container(wharfd: Daemon, build_dir: Path,
                                        cache: CacheMounts) -> None:
    cache_id = f"it-{uuid.uuid4().hex[:8]}"
    cids = []
    run = prepare(build_dir, cache, cache_id)
    try:
        cid, seen = run_container(wharfd, run)
        cids.append(cid)
        assert seen["secret"] == "s3cr3t" and seen["secretmode"] == "400"
        assert seen["cache"] == "1" and seen["srcwrite"] == "ro"
        assert seen["srcrw"] == "changed" and seen["tmpfsexec"] == "ran"
        assert seen["stage"] == "from-stage"
        assert seen["vol"] == "host-file" and seen["volwrite"] == "ro"
        before = layer_names(wharfd, cid)
        assert {"run/secrets/tok", "wharf-cache", "src", "scratch", "vol"} <= before
        run.remove_stubs(upper_dir(wharfd, cid))
        after = layer_names(wharfd, cid)
        for gone in ("run/secrets/tok", "run/secrets", "wharf-cache", "src", "srcrw", "tool",
                     "scratch", "vol"):
            assert gone not in after, gone
        assert "bin/sh" in after
    finally:
        run.release()
    assert (build_dir / "contexts" / "b1" / "src" / "a.txt").read_text() == "original"
    assert [p.name for p in (build_dir / "contexts").iterdir()] == ["b1"]
    again = prepare(build_dir, cache, cache_id)
    try:
        cid, seen = run_container(wharfd, again)
        cids.append(cid)
        assert seen["cache"] == "2"   # the cache directory outlived the first run
    finally:
        again.release()
        for cid in cids:
            wharfd.request("DELETE", f"/containers/{cid}?force=1")
    [entry] = cache.usage()
    assert entry["UsageCount"] == 2 and entry["InUse"] is False and entry["Size"] == 6
