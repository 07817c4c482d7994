"""pull, push and search against the fake engine: requests as docker's CLI sends them, output
as it prints it (the expectations were measured with the docker 28.2 CLI on the same fake)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from wharf.cli.platforms import host_arch

STREAMS = Path(__file__).parent / "streams"
DIGEST = "sha256:" + "1" * 64


def stream_reply(fake: Any, name: str) -> Any:
    data = (STREAMS / f"{name}.jsonl").read_bytes()
    return fake.Reply(chunks=[line + b"\n" for line in data.split(b"\n") if line])


def auth_header(request: Any) -> Any:
    return json.loads(base64.urlsafe_b64decode(request.headers["x-registry-auth"]))


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    (tmp_path / "config.json").write_text(json.dumps({"auths": {
        "https://index.docker.io/v1/": {"auth": base64.b64encode(b"hub:pw").decode()},
        "127.0.0.1:5000": {"auth": base64.b64encode(b"me:secret").decode()}}}))
    return tmp_path


def test_pull_default_tag_progress_and_reference(wharf: Any, engine: Any, fake: Any,
                                                 config_dir: Path) -> None:
    engine.route("POST", "/images/create", stream_reply(fake, "pull"))
    result = wharf("pull", "busybox", env={"DOCKER_CONFIG": str(config_dir)})
    assert result.status == 0, result.stderr
    assert result.stdout == (STREAMS / "pull.docker.txt").read_text()
    request = engine.find("POST", "/images/create")[0]
    assert request.query == {"fromImage": ["docker.io/library/busybox"], "tag": ["latest"]}
    assert auth_header(request) == {"username": "hub", "password": "pw",
                                    "serveraddress": "https://index.docker.io/v1/"}


def test_pull_quiet_digest_platform_and_registry_credentials(wharf: Any, engine: Any,
                                                             fake: Any,
                                                             config_dir: Path) -> None:
    engine.route("POST", "/images/create", stream_reply(fake, "pull"))
    ref = f"127.0.0.1:5000/x@{DIGEST}"
    result = wharf("pull", "-q", "--platform", "Linux/ARM64", ref,
                   env={"DOCKER_CONFIG": str(config_dir)})
    assert (result.status, result.stdout, result.stderr) == (0, ref + "\n", "")
    request = engine.find("POST", "/images/create")[0]
    assert request.query == {"fromImage": ["127.0.0.1:5000/x"], "tag": [DIGEST],
                             "platform": ["linux/arm64"]}
    assert auth_header(request)["username"] == "me"


def test_pull_all_tags_sends_no_tag(wharf: Any, engine: Any, fake: Any) -> None:
    engine.route("POST", "/images/create", stream_reply(fake, "pull"))
    result = wharf("pull", "-a", "-q", "busybox")
    assert result.stdout == "docker.io/library/busybox\n"
    request = engine.find("POST", "/images/create")[0]
    assert "tag" not in request.query
    assert request.headers["x-registry-auth"] == "e30="  # no login: docker sends "{}"


@pytest.mark.parametrize(("argv", "message"), [
    (("pull", "-a", "busybox:1"), "tag can't be used with --all-tags/-a\n"),
    (("pull", "BAD"), "invalid reference format: repository name (library/BAD) must be "
                      "lowercase\n"),
    (("push", f"x@{DIGEST}"), "cannot push a digest reference\n"),
    (("push", "-a", "x:y"), "tag can't be used with --all-tags/-a\n"),
])
def test_bad_references_are_refused_before_any_request(wharf: Any, engine: Any,
                                                       argv: tuple[str, ...],
                                                       message: str) -> None:
    result = wharf(*argv)
    assert (result.status, result.stderr) == (1, message)
    assert not [path for path in engine.paths() if "/images/" in path]


def test_stream_error_goes_to_stderr_with_status_1(wharf: Any, engine: Any,
                                                   fake: Any) -> None:
    engine.route("POST", "/images/create", stream_reply(fake, "pull_failed"))
    result = wharf("pull", "fail")
    assert result.status == 1
    assert result.stdout == (STREAMS / "pull_failed.docker.txt").read_text()
    assert result.stderr == (STREAMS / "pull_failed.docker.err").read_text()


def test_daemon_refusal_before_the_stream(wharf: Any, engine: Any, fake: Any) -> None:
    message = ("pull access denied for nope, repository does not exist or may require "
               "'docker login': denied: requested access to the resource is denied")
    engine.route("POST", "/images/create", fake.Reply(status=404, body={"message": message}))
    result = wharf("pull", "nope")
    assert result.status == 1
    assert result.stderr == f"Error response from daemon: {message}\n"


def test_content_trust_is_refused_not_ignored(wharf: Any, engine: Any) -> None:
    result = wharf("pull", "--disable-content-trust=false", "busybox")
    assert result.status == 125 and "content trust is not supported" in result.stderr


def test_push_progress_and_quiet(wharf: Any, engine: Any, fake: Any,
                                 config_dir: Path) -> None:
    engine.route("POST", "/images/.*/push", stream_reply(fake, "push"))
    result = wharf("push", "127.0.0.1:5000/demo", env={"DOCKER_CONFIG": str(config_dir)})
    assert result.status == 0, result.stderr
    assert result.stdout == (STREAMS / "push.docker.txt").read_text()
    request = engine.find("POST", "/images/127.0.0.1:5000/demo/push")[0]
    assert request.query == {"tag": ["latest"]}
    assert auth_header(request) == {"username": "me", "password": "secret",
                                    "serveraddress": "127.0.0.1:5000"}
    quiet = wharf("push", "-q", "127.0.0.1:5000/demo:v1")
    assert (quiet.status, quiet.stdout) == (0, "127.0.0.1:5000/demo:v1\n")
    everything = wharf("push", "--all-tags", "busybox")
    assert everything.status == 0
    assert engine.find("POST", "/images/busybox/push")[0].query == {}


SEARCH_RESULTS = [
    {"name": "busybox", "description": "Busybox base image with a fairly long description"
                                       "\nsecond line", "star_count": 3, "is_official": True,
     "is_automated": False},
    {"name": "me/thing", "description": "", "star_count": 0, "is_official": False,
     "is_automated": False}]


def test_search_table_and_request(wharf: Any, engine: Any, config_dir: Path) -> None:
    engine.route("GET", "/images/search", SEARCH_RESULTS)
    result = wharf("search", "--limit", "5", "-f", "stars=2", "-f", "is-official=true",
                   "127.0.0.1:5000/busy", env={"DOCKER_CONFIG": str(config_dir)})
    assert result.status == 0, result.stderr
    assert result.stdout == (
        "NAME       DESCRIPTION                                     STARS     OFFICIAL\n"
        "busybox    Busybox base image with a fairly long descri…   3         [OK]\n"
        "me/thing                                                   0         \n")
    request = engine.find("GET", "/images/search")[0]
    assert request.query["term"] == ["127.0.0.1:5000/busy"]
    assert request.query["limit"] == ["5"]
    assert json.loads(request.query["filters"][0]) == {"is-official": {"true": True},
                                                       "stars": {"2": True}}
    assert auth_header(request)["username"] == "me"  # the term names the registry


def test_search_no_trunc_format_and_json(wharf: Any, engine: Any) -> None:
    engine.route("GET", "/images/search", SEARCH_RESULTS)
    wide = wharf("search", "--no-trunc", "--limit", "0", "busybox")
    assert "Busybox base image with a fairly long description second line   3" in wide.stdout
    assert "limit" not in engine.find("GET", "/images/search")[0].query
    custom = wharf("search", "--format", "{{.Name}}|{{.IsOfficial}}|{{.StarCount}}", "x")
    assert custom.stdout == "busybox|[OK]|3\nme/thing||0\n"
    as_json = wharf("search", "--format", "json", "x").stdout.splitlines()
    assert json.loads(as_json[1]) == {"Description": "", "IsOfficial": "false",
                                      "Name": "me/thing", "StarCount": "0"}
    assert json.loads(as_json[0])["IsOfficial"] == "true"
    table = wharf("search", "--format", "table {{.Name}}|{{.IsOfficial}}", "x")
    assert table.stdout == "NAME|OFFICIAL\nbusybox|[OK]\nme/thing|\n"


def test_search_error_from_daemon(wharf: Any, engine: Any, fake: Any) -> None:
    engine.route("GET", "/images/search",
                 fake.Reply(status=400, body={"message": "invalid filter 'foo'"}))
    result = wharf("search", "-f", "foo=1", "x")
    assert (result.status, result.stderr) == (1, "Error response from daemon: invalid "
                                                 "filter 'foo'\n")


def missing_then_created(fake: Any) -> Any:
    answers = iter([fake.Reply(status=404, body={"message": "No such image: busybox:latest"}),
                    fake.Reply(status=201, body={"Id": "c" * 64, "Warnings": []})])
    return lambda request: next(answers)


def test_create_pulls_a_missing_image_showing_progress_on_stderr(wharf: Any, engine: Any,
                                                                  fake: Any) -> None:
    engine.route("POST", "/containers/create", missing_then_created(fake))
    engine.route("POST", "/images/create", stream_reply(fake, "pull"))
    result = wharf("create", "busybox")
    assert (result.status, result.stdout) == (0, "c" * 64 + "\n")
    stream_lines = (STREAMS / "pull.docker.txt").read_text().splitlines(keepends=True)[1:-1]
    assert result.stderr == "Unable to find image 'busybox:latest' locally\n" + \
        "".join(stream_lines)


def test_create_quiet_pull_and_stream_error(wharf: Any, engine: Any, fake: Any) -> None:
    engine.route("POST", "/containers/create", missing_then_created(fake))
    engine.route("POST", "/images/create", stream_reply(fake, "pull"))
    quiet = wharf("create", "-q", "busybox")
    assert (quiet.status, quiet.stdout, quiet.stderr) == (0, "c" * 64 + "\n", "")
    engine.route("POST", "/containers/create", missing_then_created(fake))
    engine.route("POST", "/images/create", stream_reply(fake, "pull_failed"))
    failed = wharf("create", "-q", "busybox")
    assert (failed.status, failed.stderr) == (1, "unexpected EOF\n")  # as docker create
    engine.route("POST", "/containers/create", missing_then_created(fake))
    failed_run = wharf("run", "-d", "-q", "busybox")
    assert failed_run.status == 125
    assert failed_run.stderr == ("wharf: unexpected EOF\n\n"
                                 "Run 'wharf run --help' for more information\n")


def test_unauthorized_off_a_terminal_is_the_daemon_error(wharf: Any, engine: Any,
                                                         fake: Any) -> None:
    engine.route("POST", "/images/.*/push", fake.Reply(
        status=401, body={"message": "unauthorized: authentication required"}))
    result = wharf("push", "localhost:5000/app")
    assert (result.status, result.stderr) == (1, "Error response from daemon: unauthorized: "
                                                 "authentication required\n")
    assert len(engine.find("POST", "/images/localhost:5000/app/push")) == 1  # no retry


def test_help_spells_go_booleans(wharf: Any) -> None:
    assert "Skip image verification (default true)" in wharf("pull", "--help").stdout


@pytest.mark.parametrize(("argv", "spelled"), [(("search", "-f", "foo", "x"), "-f, --filter"),
                                               (("image", "prune", "--filter", "foo"),
                                                "--filter")])
def test_malformed_filter_is_a_flag_error_with_usage(wharf: Any, engine: Any,
                                                     argv: tuple[str, ...],
                                                     spelled: str) -> None:
    result = wharf(*argv)
    path = " ".join(argv[:2]) if argv[0] == "image" else argv[0]
    assert result.status == 125
    assert result.stderr.startswith(f'invalid argument "foo" for "{spelled}" flag: bad format '
                                    f"of filter (expected name=value)\n\nUsage:  wharf {path} ")
    assert result.stderr.endswith(f"Run 'wharf {path} --help' for more information\n")
    assert not [p for p in engine.paths() if "_ping" not in p]


def test_daemon_gone_mid_stream_is_unexpected_eof(wharf: Any, engine: Any, fake: Any) -> None:
    def cut_off() -> Any:
        yield b'{"status":"Pulling from library/busybox","id":"latest"}\r\n'
        raise ConnectionResetError("the daemon died")  # the fake drops the connection

    engine.route("POST", "/images/create", fake.Reply(chunks=cut_off()))
    result = wharf("pull", "busybox")
    assert (result.status, result.stderr) == (1, "unexpected EOF\n")
    assert result.stdout == "Using default tag: latest\nlatest: Pulling from library/busybox\n"


@pytest.mark.parametrize(("given", "sent"), [  # what docker 28.2 sent for each
    ("linux/arm64/v8", '{"architecture":"arm64","os":"linux","variant":"v8"}'),
    ("linux", '{"architecture":"%s","os":"linux"}' % host_arch()),  # noqa: UP031
    ("Linux/X86_64", '{"architecture":"amd64","os":"linux"}'),
])
def test_push_platform_is_sent_as_oci_json(wharf: Any, engine: Any, fake: Any, given: str,
                                           sent: str) -> None:
    engine.route("POST", "/images/.*/push", stream_reply(fake, "push"))
    assert wharf("push", "-q", "--platform", given, "127.0.0.1:5000/x").status == 0
    assert engine.find("POST", "/images/127.0.0.1:5000/x/push")[0].query == {
        "platform": [sent], "tag": ["latest"]}


def test_push_bad_platform_is_refused_before_any_request(wharf: Any, engine: Any) -> None:
    result = wharf("push", "--platform", "bogus/x/y/z", "127.0.0.1:5000/x")
    assert (result.status, result.stderr) == (
        1, 'Invalid platform bogus/x/y/z"bogus/x/y/z": cannot parse platform specifier: '
           "invalid argument\n")
    assert engine.find("POST", "/images/127.0.0.1:5000/x/push") == []
