"""``POST /build`` against a real wharfd: steps, RUN containers, COPY, metadata, the cache,
multi-stage builds and failures, checked through the image the build made."""

from __future__ import annotations

import io
import json
import socket
import tarfile
import time
import urllib.parse
import uuid
from typing import Any

import pytest
from tests.support.daemons import Daemon

pytestmark = pytest.mark.root


def context_tar(files: dict[str, str | bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def build(daemon: Daemon, files: dict[str, str | bytes], **query: Any) -> tuple[int, list[
        dict[str, Any]]]:
    params = []
    for key, value in query.items():
        for item in value if isinstance(value, list) else [value]:
            params.append((key, item if isinstance(item, str) else json.dumps(item)))
    status, body = daemon.request("POST", "/build?" + urllib.parse.urlencode(params),
                                  context_tar(files), {"Content-Type": "application/x-tar"})
    if status != 200:
        return status, [json.loads(body)]
    return status, [json.loads(line) for line in body.splitlines() if line.strip()]


def output(messages: list[dict[str, Any]]) -> str:
    return "".join(m.get("stream", "") for m in messages)


def image_id(messages: list[dict[str, Any]]) -> str:
    ids = [m["aux"]["ID"] for m in messages if "aux" in m]
    assert ids, messages
    return str(ids[-1])


def inspect(daemon: Daemon, ref: str) -> dict[str, Any]:
    found = daemon.json("GET", f"/images/{ref}/json")
    assert isinstance(found, dict)
    return found


def run_output(daemon: Daemon, image: str, cmd: list[str]) -> str:
    created = daemon.json("POST", "/containers/create", {"Image": image, "Cmd": cmd})
    assert isinstance(created, dict)
    cid = created["Id"]
    try:
        daemon.json("POST", f"/containers/{cid}/start")
        daemon.json("POST", f"/containers/{cid}/wait")
        _, logs = daemon.request("GET", f"/containers/{cid}/logs?stdout=1&stderr=1")
        return _demux(logs)
    finally:
        daemon.request("DELETE", f"/containers/{cid}?force=1")


def _demux(raw: bytes) -> str:
    out, pos = [], 0
    while pos + 8 <= len(raw):
        size = int.from_bytes(raw[pos + 4:pos + 8], "big")
        out.append(raw[pos + 8:pos + 8 + size])
        pos += 8 + size
    return b"".join(out).decode()


def unique_tag() -> str:
    return f"wharf-build-test-{uuid.uuid4().hex[:10]}:latest"


def test_run_metadata_and_tag(wharfd: Daemon) -> None:
    tag = unique_tag()
    dockerfile = (
        "FROM busybox\n"
        "ENV GREETING=hello WHO=world\n"
        "RUN echo \"$GREETING $WHO\" > /greeting && echo built\n"
        "WORKDIR /app\n"
        "LABEL purpose=test\n"
        "EXPOSE 8080\n"
        "CMD [\"cat\", \"/greeting\"]\n"
    )
    status, messages = build(wharfd, {"Dockerfile": dockerfile}, t=tag)
    text = output(messages)
    assert status == 200, messages
    assert "errorDetail" not in json.dumps(messages), text
    assert "Step 1/7 : FROM busybox\n" in text
    assert "Step 3/7 : RUN echo \"$GREETING $WHO\" > /greeting && echo built\n" in text
    assert " ---> Running in " in text and "built\n" in text
    assert "Removing intermediate container " in text
    ident = image_id(messages)
    assert f"Successfully built {ident[7:19]}\n" in text
    assert f"Successfully tagged {tag}\n" in text
    config = inspect(wharfd, tag)["Config"]
    assert config["Cmd"] == ["cat", "/greeting"]
    assert config["WorkingDir"] == "/app"
    assert config["Labels"]["purpose"] == "test"
    assert "8080/tcp" in config["ExposedPorts"]
    assert "GREETING=hello" in config["Env"]
    assert run_output(wharfd, tag, ["cat", "/greeting"]) == "hello world\n"
    history = wharfd.json("GET", f"/images/{tag}/history")
    assert isinstance(history, list)
    created_by = [h["CreatedBy"] for h in history]
    assert '/bin/sh -c #(nop)  CMD ["cat" "/greeting"]' in created_by
    assert '/bin/sh -c echo "$GREETING $WHO" > /greeting && echo built' in created_by
    assert "/bin/sh -c #(nop)  ENV GREETING=hello WHO=world" in created_by


def test_second_build_uses_the_cache(wharfd: Daemon) -> None:
    files = {"Dockerfile": "FROM busybox\nRUN echo $RANDOM > /r\nCMD [\"sh\"]\n"}
    status, first = build(wharfd, files)
    assert status == 200, first
    status, second = build(wharfd, files)
    text = output(second)
    assert text.count(" ---> Using cache\n") == 2, text
    assert "Running in" not in text
    assert image_id(first) == image_id(second)
    usage = wharfd.json("GET", "/system/df")
    assert isinstance(usage, dict)
    assert any(e["Type"] == "regular" and e["Description"] == "/bin/sh -c echo $RANDOM > /r"
               for e in usage["BuildCache"]), usage["BuildCache"]
    status, third = build(wharfd, files, nocache="1")
    assert "Using cache" not in output(third)
    assert image_id(third) != image_id(first)


def test_build_args_reach_run_and_history(wharfd: Daemon) -> None:
    tag = unique_tag()
    dockerfile = "FROM busybox\nARG NAME=default\nRUN echo \"name=$NAME\" > /name\n"
    status, messages = build(wharfd, {"Dockerfile": dockerfile}, t=tag,
                             buildargs={"NAME": "given"})
    assert status == 200, messages
    assert run_output(wharfd, tag, ["cat", "/name"]) == "name=given\n"
    history = wharfd.json("GET", f"/images/{tag}/history")
    assert isinstance(history, list)
    assert '|1 NAME=given /bin/sh -c echo "name=$NAME" > /name' in \
        [h["CreatedBy"] for h in history]


def test_failing_run_reports_dockers_error(wharfd: Daemon) -> None:
    status, messages = build(wharfd, {"Dockerfile": "FROM busybox\nRUN echo out && exit 3\n"})
    assert status == 200
    errors = [m for m in messages if "errorDetail" in m]
    assert errors, messages
    assert errors[0]["errorDetail"]["message"] == \
        "The command '/bin/sh -c echo out && exit 3' returned a non-zero code: 3"
    assert "out\n" in output(messages)


def test_multi_stage_target_skips_unused_stages(wharfd: Daemon) -> None:
    tag = unique_tag()
    dockerfile = (
        "FROM busybox AS unused\n"
        "RUN exit 1\n"
        "from busybox as builder\n"
        "RUN echo compiled > /artifact\n"
        "FROM busybox AS final\n"
        "COPY --from=builder /artifact /artifact\n"
        "FROM final AS after\n"
        "RUN exit 1\n"
    )
    status, messages = build(wharfd, {"Dockerfile": dockerfile}, t=tag, target="final")
    assert status == 200, messages
    assert "errorDetail" not in json.dumps(messages), output(messages)
    assert "exit 1" not in output(messages)
    assert "Step 1/4 : FROM busybox as builder\n" in output(messages)
    assert run_output(wharfd, tag, ["cat", "/artifact"]) == "compiled\n"


def test_copy_from_context(wharfd: Daemon) -> None:
    tag = unique_tag()
    files: dict[str, str | bytes] = {
        "Dockerfile": "FROM busybox\nWORKDIR /srv\nCOPY hello.txt sub/\nCOPY hello.txt /x\n",
        "hello.txt": "hi there\n",
    }
    status, messages = build(wharfd, files, t=tag)
    assert status == 200, messages
    assert "errorDetail" not in json.dumps(messages), output(messages)
    assert run_output(wharfd, tag, ["cat", "/srv/sub/hello.txt", "/x"]) == "hi there\nhi there\n"
    history = wharfd.json("GET", f"/images/{tag}/history")
    assert isinstance(history, list)
    assert any(h["CreatedBy"].startswith("/bin/sh -c #(nop) COPY file:") and
               h["CreatedBy"].endswith(" in sub/ ") for h in history)


def test_bad_dockerfile_is_a_400(wharfd: Daemon) -> None:
    status, messages = build(wharfd, {"Dockerfile": "FROM busybox\nFROBNICATE x\n"})
    assert status == 400
    assert messages[0]["message"] == \
        "dockerfile parse error on line 2: unknown instruction: FROBNICATE"


def test_no_build_containers_left(wharfd: Daemon) -> None:
    listed = wharfd.json("GET", "/containers/json?all=1")
    assert isinstance(listed, list)
    leftovers = [c for c in listed if "wharf.build" in (c.get("Labels") or {})]
    # the failing RUN's containers stay (rm without forcerm), as Docker's do; nothing else
    assert all(c["State"] == "exited" for c in leftovers)


def test_unused_build_args_warn(wharfd: Daemon) -> None:
    status, messages = build(wharfd, {"Dockerfile": "FROM busybox\nARG USED\n"},
                             buildargs={"USED": "1", "NOT_USED": "2", "HTTP_PROXY": "x"})
    assert status == 200, messages
    assert "[Warning] One or more build-args [NOT_USED] were not consumed\n" in output(messages)


@pytest.mark.parametrize(("query", "message"), [
    ({"target": "nope"}, "failed to reach build target nope in Dockerfile"),
    ({"dockerfile": "missing.Dockerfile"}, "Cannot locate specified Dockerfile: "
                                           "missing.Dockerfile"),
])
def test_refused_before_any_step(wharfd: Daemon, query: dict[str, str], message: str) -> None:
    status, messages = build(wharfd, {"Dockerfile": "FROM busybox\n"}, **query)
    assert status == 400, messages
    assert messages[0]["message"] == message


def test_foreign_platform_is_refused(wharfd: Daemon) -> None:
    _, messages = build(wharfd, {"Dockerfile": "FROM --platform=linux/s390x busybox\n"})
    errors = [m for m in messages if "errorDetail" in m or "message" in m]
    assert errors, messages
    assert "wharf builds for the host's platform only" in json.dumps(errors)


def test_dockerfile_added_by_the_cli_is_not_in_the_context(wharfd: Daemon) -> None:
    name = ".dockerfile.0123456789abcdef"
    files: dict[str, str | bytes] = {name: f"FROM busybox\nCOPY {name} /x\n"}
    _, messages = build(wharfd, files, dockerfile=name)
    assert "Step 2/2 : COPY" in output(messages)
    errors = [m["errorDetail"]["message"] for m in messages if "errorDetail" in m]
    assert errors and "file not found in build context" in errors[0], messages


def test_copy_of_a_missing_file_fails_clearly(wharfd: Daemon) -> None:
    _, messages = build(wharfd, {"Dockerfile": "FROM busybox\nCOPY nothere /x\n"})
    errors = [m["errorDetail"]["message"] for m in messages if "errorDetail" in m]
    assert errors == ["COPY failed: file not found in build context or excluded by "
                      ".dockerignore: stat nothere: file does not exist"], messages


def test_meta_args_heredocs_and_substituted_copy(wharfd: Daemon) -> None:
    tag = unique_tag()
    files: dict[str, str | bytes] = {
        "Dockerfile": (
            "ARG BASE=busybox\nARG TAG=latest\nFROM $BASE:$TAG\n"
            "ARG DEST=/dest\n"
            "RUN <<EOF\necho from heredoc > /here\necho line two >> /here\nEOF\n"
            "COPY <<EOF ${DEST}/note.txt\nwritten by a heredoc\nEOF\n"
            "COPY a.txt $DEST/\n"
        ),
        "a.txt": "a\n",
    }
    status, messages = build(wharfd, files, t=tag)
    assert status == 200, messages
    assert "errorDetail" not in json.dumps(messages), output(messages)
    assert "Step 1/7 : ARG BASE=busybox\n" in output(messages)
    assert run_output(wharfd, tag, ["cat", "/here", "/dest/note.txt", "/dest/a.txt"]) == \
        "from heredoc\nline two\nwritten by a heredoc\na\n"


def test_add_host_reaches_the_run(wharfd: Daemon) -> None:
    dockerfile = "FROM busybox\nRUN grep buildhost /etc/hosts\n"
    status, messages = build(wharfd, {"Dockerfile": dockerfile},
                             extrahosts="buildhost:10.1.2.3", nocache="1")
    assert status == 200, messages
    assert "errorDetail" not in json.dumps(messages), output(messages)
    assert "10.1.2.3" in output(messages)


def test_client_gone_stops_the_run(wharfd: Daemon) -> None:
    body = context_tar({"Dockerfile": "FROM busybox\nRUN sleep 120\n"})
    sock = socket.socket(socket.AF_UNIX)
    sock.settimeout(30)
    sock.connect(str(wharfd.socket_path))
    head = ("POST /build?nocache=1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-tar\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    sock.sendall(head.encode() + body)
    received = b""
    while b"Running in" not in received:
        chunk = sock.recv(4096)
        assert chunk, received
        received += chunk
    sock.close()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        listed = wharfd.json("GET", "/containers/json?all=1")
        assert isinstance(listed, list)
        running = [c for c in listed if "wharf.build" in (c.get("Labels") or {})
                   and c["State"] == "running"]
        if not running:
            break
        time.sleep(0.2)
    assert not running, "the RUN container outlived its build"


def test_squash_makes_one_layer_over_the_base(wharfd: Daemon) -> None:
    tag = unique_tag()
    files: dict[str, str | bytes] = {
        "Dockerfile": "FROM busybox\nRUN echo a > /a && echo b > /b\nRUN rm /b\n"
                      "COPY x.txt /x\nENV SQUASHED=1\n",
        "x.txt": "x\n",
    }
    status, messages = build(wharfd, files, t=tag, squash="1")
    assert status == 200, messages
    assert "errorDetail" not in json.dumps(messages), output(messages)
    base_layers = inspect(wharfd, "busybox")["RootFS"]["Layers"]
    found = inspect(wharfd, tag)
    assert found["RootFS"]["Layers"][:-1] == base_layers
    assert len(found["RootFS"]["Layers"]) == len(base_layers) + 1
    assert "SQUASHED=1" in found["Config"]["Env"]
    assert run_output(wharfd, tag, ["sh", "-c", "cat /a /x; ls /b 2>&1 | wc -l"]) == "a\nx\n1\n"
    history = wharfd.json("GET", f"/images/{tag}/history")
    assert isinstance(history, list)
    assert history[0]["Comment"].startswith("merge sha256:")


@pytest.mark.parametrize(("line", "message"), [
    ("COPY --link Dockerfile /x", "the --link flag of COPY requires BuildKit"),
    ("COPY --exclude=*.md . /x", "the --exclude flag of COPY requires BuildKit"),
    ("RUN --security=insecure true", "the --security flag of RUN requires BuildKit"),
    ("RUN --network=bridge0 true", "unsupported network mode: bridge0"),
])
def test_buildkit_only_flags_are_refused(wharfd: Daemon, line: str, message: str) -> None:
    _, messages = build(wharfd, {"Dockerfile": f"FROM busybox\n{line}\n"})
    errors = [m["errorDetail"]["message"] for m in messages if "errorDetail" in m]
    assert errors and errors[0].startswith(message), messages


def test_run_network_none(wharfd: Daemon) -> None:
    dockerfile = "FROM busybox\nRUN --network=none ip -o link | grep -vc ' lo:' || true\n"
    status, messages = build(wharfd, {"Dockerfile": dockerfile}, nocache="1")
    assert status == 200, messages
    assert "errorDetail" not in json.dumps(messages), output(messages)
    assert "\n0\n" in output(messages)  # only the loopback interface


def build_containers(daemon: Daemon, build_output: str) -> list[str]:
    """Ids (12 hex) of the RUN containers a build printed that still exist."""
    listed = daemon.json("GET", "/containers/json?all=1")
    assert isinstance(listed, list)
    ran = {line.split()[-1] for line in build_output.splitlines() if "Running in" in line}
    return [c["Id"][:12] for c in listed if c["Id"][:12] in ran]


def test_rm_and_forcerm(wharfd: Daemon) -> None:
    ok_file = {"Dockerfile": "FROM busybox\nUSER daemon\nRUN id -u > /tmp/uid\n"}
    status, kept = build(wharfd, ok_file, rm="0", nocache="1")
    assert status == 200 and "Removing intermediate" not in output(kept), kept
    assert len(build_containers(wharfd, output(kept))) == 1
    assert "errorDetail" not in json.dumps(kept)
    failing = {"Dockerfile": "FROM busybox\nRUN exit 4\n"}
    _, failed = build(wharfd, failing, nocache="1")
    assert len(build_containers(wharfd, output(failed))) == 1  # rm: a failed one stays
    _, forced = build(wharfd, failing, nocache="1", forcerm="1")
    assert [m for m in forced if "errorDetail" in m]
    assert build_containers(wharfd, output(forced)) == []
    for cid in build_containers(wharfd, output(kept) + output(failed)):
        wharfd.request("DELETE", f"/containers/{cid}?force=1")


def test_user_and_copy_from_a_stage_index(wharfd: Daemon) -> None:
    tag = unique_tag()
    dockerfile = ("FROM busybox\nRUN echo zero > /zero\n"
                  "FROM busybox\nUSER daemon\nRUN id -u > /tmp/uid\nCOPY --from=0 /zero /tmp/z\n")
    status, messages = build(wharfd, {"Dockerfile": dockerfile}, t=tag)
    assert status == 200 and "errorDetail" not in json.dumps(messages), messages
    assert run_output(wharfd, tag, ["cat", "/tmp/uid", "/tmp/z"]) == "1\nzero\n"
    assert inspect(wharfd, tag)["Config"]["User"] == "daemon"


def test_run_changes_under_a_volume_are_discarded(wharfd: Daemon) -> None:
    tag = unique_tag()
    dockerfile = ("FROM busybox\nRUN mkdir /data && echo before > /data/kept\nVOLUME /data\n"
                  "RUN echo after > /data/dropped && echo changed > /data/kept && "
                  "echo outside > /outside\n")
    status, messages = build(wharfd, {"Dockerfile": dockerfile}, t=tag)
    assert status == 200 and "errorDetail" not in json.dumps(messages), messages
    shown = run_output(wharfd, tag, ["sh", "-c", "cat /data/kept /outside; ls /data"])
    assert shown == "before\noutside\nkept\n"
