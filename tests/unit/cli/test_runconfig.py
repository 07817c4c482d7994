from __future__ import annotations

from pathlib import Path

import pytest

from wharf.cli.command import CommandFailed
from wharf.cli.runconfig import parse_bytes, parse_env, parse_publish, parse_restart, parse_volumes
from wharf.cli.timestamps import go_duration_seconds, to_api_timestamp


@pytest.mark.parametrize(("text", "value"), [
    ("1024", 1024), ("512b", 512), ("1k", 1024), ("64m", 64 << 20), ("64MB", 64 << 20),
    ("1.5g", int(1.5 * (1 << 30))), ("2GiB", 2 << 30),
])
def test_sizes_are_binary(text: str, value: int) -> None:
    assert parse_bytes(text, "-m, --memory") == value


def test_bad_size() -> None:
    with pytest.raises(CommandFailed) as caught:
        parse_bytes("12x", "--shm-size")
    assert caught.value.status == 125
    assert caught.value.message == ('invalid argument "12x" for "--shm-size" flag: '
                                    "invalid size: '12x'")


def test_publish_forms() -> None:
    exposed, bindings = parse_publish(["8080:80", "127.0.0.1::53/udp", "[::1]:9000:9000",
                                       "7000-7001:7000-7001", "443"])
    assert bindings["80/tcp"] == [{"HostIp": "", "HostPort": "8080"}]
    assert bindings["53/udp"] == [{"HostIp": "127.0.0.1", "HostPort": ""}]
    assert bindings["9000/tcp"] == [{"HostIp": "::1", "HostPort": "9000"}]
    assert bindings["7001/tcp"] == [{"HostIp": "", "HostPort": "7001"}]
    assert bindings["443/tcp"] == [{"HostIp": "", "HostPort": ""}]
    assert set(exposed) == {"80/tcp", "53/udp", "9000/tcp", "7000/tcp", "7001/tcp", "443/tcp"}
    with pytest.raises(CommandFailed):
        parse_publish(["80:http"])
    with pytest.raises(CommandFailed):
        parse_publish(["1-3:1-2"])


def test_env_files_and_inherited_variables(tmp_path: Path) -> None:
    env_file = tmp_path / "env"
    env_file.write_text("# comment\n\nFROM_FILE=1\nINHERITED\nMISSING\n")
    result = parse_env(["A=b=c", "INHERITED"], [str(env_file)], {"INHERITED": "yes"})
    assert result == ["FROM_FILE=1", "INHERITED=yes", "A=b=c", "INHERITED=yes"]
    with pytest.raises(CommandFailed):
        parse_env(["=x"], [], {})


def test_volumes_and_restart() -> None:
    assert parse_volumes(["/a:/b", "named:/data:ro", "/anon"]) == (
        ["/a:/b", "named:/data:ro"], {"/anon": {}})
    assert parse_restart("on-failure:3") == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert parse_restart("no") == {"Name": "no", "MaximumRetryCount": 0}
    with pytest.raises(CommandFailed):
        parse_restart("sometimes")
    with pytest.raises(CommandFailed):
        parse_restart("always:2")


def test_since_values() -> None:
    assert go_duration_seconds("1h30m") == 5400
    assert go_duration_seconds("1700000000") is None
    assert to_api_timestamp("10m", now=1000.5) == "400.500000000"
    assert to_api_timestamp("1700000000") == "1700000000"
    assert to_api_timestamp("2023-11-14T22:13:20Z") == "1700000000.000000000"
