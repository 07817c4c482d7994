"""RUN --mount (cache, secret, bind from a stage, tmpfs) and -v volumes through POST /build:
the run sees them, the layer never keeps them."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from tests.integration.build.test_build import build, output, run_output, unique_tag
from tests.support.daemons import Daemon

pytestmark = pytest.mark.root


def errors(messages: list[dict[str, object]]) -> list[object]:
    return [m for m in messages if "errorDetail" in m or "message" in m]


def test_cache_mount_persists_between_builds_and_stays_out_of_the_layer(wharfd: Daemon) -> None:
    cache_id = f"t-{uuid.uuid4().hex[:8]}"
    dockerfile = (f"FROM busybox\nRUN --mount=type=cache,id={cache_id},target=/cache "
                  "cat /cache/count 2>/dev/null; echo x >> /cache/count\n")
    tag = unique_tag()
    status, first = build(wharfd, {"Dockerfile": dockerfile}, nocache="1", t=tag)
    assert status == 200 and not errors(first), first
    status, second = build(wharfd, {"Dockerfile": dockerfile}, nocache="1")
    assert status == 200 and not errors(second), second
    assert "x\n" in output(second)  # what the first build left in the cache
    assert run_output(wharfd, tag, ["sh", "-c", "ls -a /cache 2>&1 || echo gone"]).endswith(
        "gone\n")


def test_secret_is_mounted_for_the_run_only(wharfd: Daemon) -> None:
    secret_name = f".wharf-secret-{uuid.uuid4().hex}"
    tag = unique_tag()
    files: dict[str, str | bytes] = {
        "Dockerfile": "FROM busybox\nRUN --mount=type=secret,id=tok "
                      "echo \"len=$(wc -c < /run/secrets/tok)\"\n"
                      "COPY . /ctx\n",
        secret_name: "s3cr3t-value",
    }
    status, messages = build(wharfd, files, t=tag,
                             secrets=json.dumps([{"id": "tok", "src": secret_name}]))
    assert status == 200 and not errors(messages), messages
    assert "len=12\n" in output(messages)
    listing = run_output(wharfd, tag, ["sh", "-c", "ls -a /ctx; ls /run/secrets 2>&1 || true"])
    assert secret_name not in listing and "tok" not in listing
    history = wharfd.json("GET", f"/images/{tag}/history")
    assert "s3cr3t" not in json.dumps(history)


def test_bind_from_a_stage_tmpfs_and_volume(wharfd: Daemon, tmp_path: Path) -> None:
    host_dir = tmp_path / "vol"
    host_dir.mkdir()
    (host_dir / "hostfile").write_text("from the host\n")
    dockerfile = (
        "FROM busybox AS tools\nRUN echo tool > /tool\n"
        "FROM busybox\n"
        "RUN --mount=type=bind,from=tools,source=/tool,target=/mnt/tool "
        "--mount=type=tmpfs,target=/scratch "
        "cat /mnt/tool /vol/hostfile && touch /scratch/x && grep -q ' /scratch tmpfs' "
        "/proc/mounts && echo tmpfs-ok\n"
    )
    tag = unique_tag()
    status, messages = build(wharfd, {"Dockerfile": dockerfile}, t=tag,
                             volume=[f"{host_dir}:/vol:ro"])
    assert status == 200 and not errors(messages), messages
    text = output(messages)
    assert "tool\nfrom the host\ntmpfs-ok\n" in text
    leftover = run_output(wharfd, tag, ["sh", "-c", "ls /mnt /scratch /vol 2>&1 | wc -l"])
    assert leftover.strip() == "3"  # three "No such file" lines: no mount point kept
