"""``wharf build`` and ``wharf builder prune`` against the fake engine: the request they send,
what they print, exit codes."""

from __future__ import annotations

import base64
import io
import json
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

IMAGE_ID = "sha256:" + "cd" * 32
STEPS = [
    {"stream": "Step 1/2 : FROM busybox\n"},
    {"stream": " ---> 0123456789ab\n"},
    {"stream": "Step 2/2 : RUN echo hi\n"},
    {"stream": " ---> Running in 111111111111\n"},
    {"stream": "hi\n"},
    {"stream": "Removing intermediate container 111111111111\n"},
    {"stream": " ---> cdcdcdcdcdcd\n"},
    {"aux": {"ID": IMAGE_ID}},
    {"stream": "Successfully built cdcdcdcdcdcd\n"},
    {"stream": "Successfully tagged app:latest\n"},
]


def _stream(fake: Any, messages: list[dict[str, Any]]) -> Any:
    return fake.Reply(chunks=[json.dumps(m).encode() + b"\r\n" for m in messages])


def _context(tmp_path: Path) -> Path:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM busybox\nRUN echo hi\n")
    (ctx / "keep.txt").write_text("k")
    (ctx / "skip.log").write_text("s")
    (ctx / ".dockerignore").write_text("*.log\n")
    return ctx


def _names(body: bytes) -> set[str]:
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:*") as tar:
        return set(tar.getnames())


def test_build_sends_the_context_and_options_and_prints_the_steps(
        engine: Any, fake: Any, wharf: Callable[..., Any], tmp_path: Path) -> None:
    engine.route("POST", "/build", _stream(fake, STEPS))
    ctx = _context(tmp_path)
    result = wharf("build", "-t", "app", "-t", "app:v2", "--build-arg", "A=1",
                   "--build-arg", "FROM_ENV", "--build-arg", "UNSET", "--label", "l=v",
                   "--no-cache", "--pull", "--target", "final", "--network", "host",
                   "--add-host", "db:10.0.0.2", "--cache-from", "app:old", "-m", "64m",
                   "--shm-size", "1m", "-v", "/srv:/srv:ro", str(ctx),
                   env={"FROM_ENV": "e"})
    assert result.status == 0, result.stderr
    assert result.stdout.startswith("Sending build context to Docker daemon  ")
    assert "Step 2/2 : RUN echo hi\n ---> Running in 111111111111\nhi\n" in result.stdout
    assert result.stdout.endswith("Successfully tagged app:latest\n")
    request, = engine.find("POST", "/build")
    assert request.query["t"] == ["app", "app:v2"]
    assert json.loads(request.param("buildargs")) == {"A": "1", "FROM_ENV": "e", "UNSET": None}
    assert json.loads(request.param("labels")) == {"l": "v"}
    assert json.loads(request.param("cachefrom")) == ["app:old"]
    assert (request.param("nocache"), request.param("pull")) == ("1", "1")
    assert (request.param("target"), request.param("networkmode")) == ("final", "host")
    assert request.query["extrahosts"] == ["db:10.0.0.2"]
    assert request.query["volume"] == ["/srv:/srv:ro"]
    assert (request.param("memory"), request.param("shmsize")) == (str(64 << 20), str(1 << 20))
    assert request.param("rm") is None and request.param("dockerfile") is None
    assert request.headers["content-type"] == "application/x-tar"
    assert _names(request.body) == {"Dockerfile", ".dockerignore", "keep.txt"}


def test_quiet_prints_only_the_id_and_iidfile_gets_it(
        engine: Any, fake: Any, wharf: Callable[..., Any], tmp_path: Path) -> None:
    engine.route("POST", "/build", _stream(fake, [{"stream": IMAGE_ID + "\n"}]))
    iid = tmp_path / "iid"
    iid.write_text("stale")
    result = wharf("build", "-q", "--iidfile", str(iid), str(_context(tmp_path)))
    assert result.status == 0, result.stderr
    assert result.stdout == IMAGE_ID + "\n"
    assert iid.read_text() == IMAGE_ID
    assert engine.find("POST", "/build")[0].param("q") == "1"


def test_a_quiet_build_that_fails_shows_its_output_on_stderr(
        engine: Any, fake: Any, wharf: Callable[..., Any], tmp_path: Path) -> None:
    text = "The command '/bin/sh -c exit 3' returned a non-zero code: 3"
    engine.route("POST", "/build", _stream(fake, [
        {"stream": "Step 1/1 : RUN exit 3\n"},
        {"errorDetail": {"code": 3, "message": text}, "error": text}]))
    result = wharf("build", "-q", str(_context(tmp_path)))
    assert (result.status, result.stdout) == (3, "")
    assert result.stderr == "Step 1/1 : RUN exit 3\n" + text + "\n"


def test_iidfile_from_the_aux_message(engine: Any, fake: Any, wharf: Callable[..., Any],
                                      tmp_path: Path) -> None:
    engine.route("POST", "/build", _stream(fake, STEPS))
    iid = tmp_path / "iid"
    assert wharf("build", "--iidfile", str(iid), str(_context(tmp_path))).status == 0
    assert iid.read_text() == IMAGE_ID


def test_a_failed_run_exits_with_its_code(engine: Any, fake: Any, wharf: Callable[..., Any],
                                          tmp_path: Path) -> None:
    text = "The command '/bin/sh -c exit 3' returned a non-zero code: 3"
    engine.route("POST", "/build", _stream(fake, [
        {"stream": "Step 1/1 : RUN exit 3\n"},
        {"errorDetail": {"code": 3, "message": text}, "error": text}]))
    result = wharf("build", str(_context(tmp_path)))
    assert result.status == 3
    assert "Step 1/1 : RUN exit 3" in result.stdout
    assert result.stderr.strip() == text


def test_an_error_without_code_exits_1(engine: Any, fake: Any, wharf: Callable[..., Any],
                                       tmp_path: Path) -> None:
    engine.route("POST", "/build", _stream(fake, [
        {"stream": "Step 1/1 : COPY x /\n"},
        {"errorDetail": {"message": "COPY failed: no source files"},
         "error": "COPY failed: no source files"}]))
    result = wharf("build", str(_context(tmp_path)))
    assert (result.status, result.stderr.strip()) == (1, "COPY failed: no source files")


def test_a_daemon_refusal_is_an_error_response(engine: Any, fake: Any,
                                               wharf: Callable[..., Any],
                                               tmp_path: Path) -> None:
    engine.route("POST", "/build", fake.Reply(400, {"message": "unknown instruction: FOO"}))
    result = wharf("build", str(_context(tmp_path)))
    assert result.status == 1
    assert "unknown instruction: FOO" in result.stderr


def test_dockerfile_outside_the_context_and_secrets(engine: Any, fake: Any,
                                                    wharf: Callable[..., Any],
                                                    tmp_path: Path) -> None:
    engine.route("POST", "/build", _stream(fake, STEPS))
    outside = tmp_path / "Other.Dockerfile"
    outside.write_text("FROM scratch\n")
    secret = tmp_path / "tok"
    secret.write_text("t")
    result = wharf("build", "-f", str(outside), "--secret", f"id=tok,src={secret}",
                   str(_context(tmp_path)))
    assert result.status == 0, result.stderr
    request, = engine.find("POST", "/build")
    dockerfile = request.param("dockerfile")
    assert dockerfile is not None and dockerfile.startswith(".dockerfile.")
    (secret_entry,) = json.loads(request.param("secrets"))
    assert secret_entry["id"] == "tok"
    assert {dockerfile, secret_entry["src"]} <= _names(request.body)


def test_credentials_go_in_x_registry_config(engine: Any, fake: Any,
                                             wharf: Callable[..., Any],
                                             tmp_path: Path) -> None:
    engine.route("POST", "/build", _stream(fake, STEPS))
    config = tmp_path / "cfg"
    config.mkdir()
    auth = base64.b64encode(b"u:p").decode()
    (config / "config.json").write_text(json.dumps({"auths": {"localhost:5000": {
        "auth": auth}}}))
    assert wharf("build", str(_context(tmp_path)),
                 env={"DOCKER_CONFIG": str(config)}).status == 0
    header = engine.find("POST", "/build")[0].headers["x-registry-config"]
    sent = json.loads(base64.urlsafe_b64decode(header))
    assert sent["localhost:5000"]["username"] == "u"
    assert sent["localhost:5000"]["password"] == "p"


@pytest.mark.parametrize("flags", [
    ["--ulimit", "nofile=1:1"], ["--cpuset-cpus", "0"], ["--isolation", "hyperv"],
    ["--security-opt", "x"], ["--cgroup-parent", "x"], ["--disable-content-trust=false"],
    ["--no-such-flag"], ["-t", "Bad:Tag"], ["--secret", "id=a,bogus=1"],
    ["--add-host", "nocolon"], ["--add-host", "h:999.0.0.1"],
])
def test_unsupported_or_bad_flags_exit_125(engine: Any, wharf: Callable[..., Any],
                                           tmp_path: Path, flags: list[str]) -> None:
    result = wharf("build", *flags, str(_context(tmp_path)))
    assert result.status == 125, result.stderr
    assert engine.find("POST", "/build") == []


def test_a_url_context_is_refused(engine: Any, wharf: Callable[..., Any]) -> None:
    result = wharf("build", "https://github.com/x/y.git")
    assert result.status == 125
    assert "not supported" in result.stderr


def test_context_from_stdin(engine: Any, fake: Any, wharf: Callable[..., Any]) -> None:
    engine.route("POST", "/build", _stream(fake, STEPS))
    result = wharf("build", "-", stdin=b"FROM busybox\n")
    assert result.status == 0, result.stderr
    assert _names(engine.find("POST", "/build")[0].body) == {"Dockerfile"}


def test_builder_prune(engine: Any, fake: Any, wharf: Callable[..., Any]) -> None:
    engine.route("POST", "/build/prune", {"CachesDeleted": ["abc", "def"],
                                          "SpaceReclaimed": 2048})
    result = wharf("builder", "prune", "-a", "-f", "--filter", "until=24h")
    assert result.status == 0, result.stderr
    assert result.stdout == ("Deleted build cache objects:\nabc\ndef\n\n"
                             "Total reclaimed space: 2.048kB\n")
    request, = engine.find("POST", "/build/prune")
    assert request.param("all") == "1"
    assert json.loads(request.param("filters")) == {"until": {"24h": True}}


def test_builder_prune_asks_first(engine: Any, wharf: Callable[..., Any]) -> None:
    result = wharf("builder", "prune", stdin=b"n\n")
    assert result.status == 0
    assert "WARNING! This will remove all dangling build cache." in result.stdout
    assert engine.find("POST", "/build/prune") == []
    assert wharf("builder", "prune", "-f", "--keep-storage", "1g").status == 125
