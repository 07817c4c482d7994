from __future__ import annotations

import pytest

from wharf.core.errors import InvalidParameter
from wharf.core.timefmt import rfc3339_nano
from wharf.services.image_configs import host_platform
from wharf.services.image_views import glob_match, inspect_config, unix_seconds, until_timestamp


def test_timestamps() -> None:
    text = rfc3339_nano(1_700_000_000_123_456_789)
    assert text == "2023-11-14T22:13:20.123456789Z"
    assert unix_seconds(text) == 1_700_000_000
    assert unix_seconds("2024-01-01T00:00:00Z") == 1_704_067_200
    assert unix_seconds("garbage") == 0


def test_until() -> None:
    assert until_timestamp("1700000000") == 1_700_000_000
    assert until_timestamp("1h30m", now=10_000) == 10_000 - 5400
    assert until_timestamp("2024-01-01T00:00:00Z") == 1_704_067_200
    with pytest.raises(InvalidParameter):
        until_timestamp("yesterday")


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("busy*", "busybox", True),
        ("*", "a/b", False),
        ("*/*", "a/b", True),
        ("a?c", "abc", True),
        ("a?c", "a/c", False),
        ("[ab]x", "bx", True),
        ("localhost:5000/*", "localhost:5000/app", True),
    ],
)
def test_glob_is_go_path_match(pattern: str, text: str, expected: bool) -> None:
    assert glob_match(pattern, text) is expected


def test_inspect_config_in_dockers_order() -> None:
    config = inspect_config(
        {"StopSignal": "SIGINT", "Cmd": ["sh"], "ExposedPorts": {"80/tcp": {}}, "Zz": 1}
    )
    assert list(config) == [
        "Hostname",
        "Domainname",
        "User",
        "AttachStdin",
        "AttachStdout",
        "AttachStderr",
        "ExposedPorts",
        "Tty",
        "OpenStdin",
        "StdinOnce",
        "Env",
        "Cmd",
        "Image",
        "Volumes",
        "WorkingDir",
        "Entrypoint",
        "OnBuild",
        "Labels",
        "StopSignal",
        "Zz",
    ]
    assert config["Cmd"] == ["sh"] and config["Env"] is None


def test_host_platform_uses_go_names() -> None:
    assert host_platform("x86_64") == {"architecture": "amd64", "os": "linux"}
    assert host_platform("aarch64") == {"architecture": "arm64", "os": "linux"}
    assert host_platform("armv7l") == {"architecture": "arm", "os": "linux", "variant": "v7"}
    assert host_platform("mips64") == {"architecture": "mips64", "os": "linux"}
