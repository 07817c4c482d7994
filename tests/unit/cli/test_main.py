from __future__ import annotations

import io
from typing import Any

from wharf.cli.main import main


def run(*argv: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.BytesIO(), io.BytesIO()
    status = main(list(argv), env or {"WHARF_HOST": "unix:///nonexistent/wharf.sock"},
                  io.BytesIO(), out, err)
    return status, out.getvalue().decode(), err.getvalue().decode()


def test_unknown_flag_exits_125_with_usage() -> None:
    status, out, err = run("run", "--xx", "busybox")
    assert status == 125 and out == ""
    assert err == ("unknown flag: --xx\n\nUsage:  wharf run [OPTIONS] IMAGE [COMMAND] [ARG...]"
                   "\n\nRun 'wharf run --help' for more information\n")


def test_unknown_shorthand_in_management_form() -> None:
    status, _, err = run("container", "ls", "-X")
    assert status == 125
    assert err.startswith("unknown shorthand flag: 'X' in -X\n\nUsage:  wharf container ls "
                          "[OPTIONS]")


def test_missing_arguments_exit_1() -> None:
    status, _, err = run("stop")
    assert status == 1
    assert err.startswith("wharf: 'wharf stop' requires at least 1 argument\n\nUsage:  wharf "
                          "stop [OPTIONS] CONTAINER [CONTAINER...]")
    assert run("rename", "a")[2].startswith("wharf: 'wharf rename' requires 2 arguments")
    assert run("ps", "x")[2].startswith("wharf: 'wharf ps' accepts no arguments")


def test_unknown_commands() -> None:
    status, _, err = run("frobnicate")
    assert status == 1 and err.startswith("wharf: unknown command: wharf frobnicate")
    status, _, err = run("image", "frobnicate")
    assert status == 1 and "unknown command: wharf image frobnicate" in err


def test_help_shape() -> None:
    status, out, _ = run("run", "--help")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == "Usage:  wharf run [OPTIONS] IMAGE [COMMAND] [ARG...]"
    assert lines[2] == "Create and run a new container from an image"
    assert lines[4:6] == ["Aliases:", "  wharf container run, wharf run"]
    assert "Options:" in lines
    assert any(line.startswith("  -d, --detach ") for line in lines)
    ps_help = run("ps", "--help")[1]
    assert ("wharf container ls, wharf container list, wharf container ps, wharf ps"
            in ps_help)
    assert run("container")[1].startswith("Usage:  wharf container COMMAND")
    assert "Management Commands:" in run("--help")[1]


def test_cannot_connect_message_and_status(tmp_path: Any) -> None:
    status, _, err = run("ps")
    assert status == 1
    assert err == ("Cannot connect to the wharf daemon at unix:///nonexistent/wharf.sock. "
                   "Is the wharf daemon running?\n")
    status, _, err = run("run", "busybox")
    assert status == 125
    assert err.startswith("wharf: Cannot connect to the wharf daemon")
    assert err.endswith("\n\nRun 'wharf run --help' for more information\n")


def test_host_flag_overrides_environment() -> None:
    status, _, err = run("-H", "unix:///other.sock", "ps")
    assert status == 1 and "unix:///other.sock" in err
    status, _, err = run("ps", env={"DOCKER_HOST": "unix:///docker.sock"})
    assert "unix:///docker.sock" in err


def test_version_flag() -> None:
    assert run("--version")[1].startswith("wharf version ")


def test_endpoint_errors_like_docker(tmp_path: Any) -> None:
    status, _, err = run("-H", "unix:///a", "-H", "unix:///b", "ps")
    assert status == 1
    assert err == "Failed to initialize: unable to resolve wharf endpoint: Specify only one -H\n"
    status, _, err = run("--tlsverify", "-H", "tcp://127.0.0.1:1", "ps",
                         env={"DOCKER_CERT_PATH": str(tmp_path)})
    assert status == 1
    assert err == ("Failed to initialize: unable to resolve wharf endpoint: open "
                   f"{tmp_path}/ca.pem: no such file or directory\n")
    status, _, err = run("-H", "ssh://host", "ps")
    assert status == 1 and err.startswith("Failed to initialize: unable to resolve wharf ")
