"""``run``/``create`` health flags → ``Config.Healthcheck`` with docker's checks and
messages, and ``--health-on-failure`` as its label."""

from __future__ import annotations

import pytest

from wharf.cli.command import CommandFailed
from wharf.cli.flags import FlagParser
from wharf.cli.runconfig import CREATE_FLAGS, build_create_body
from wharf.cli.runhealth import parse_duration


def create_body(*flags: str) -> dict[str, object]:
    opts = FlagParser(CREATE_FLAGS, interspersed=False).parse([*flags, "busybox"])
    return build_create_body(opts, {}, detach=True)


@pytest.mark.parametrize(("text", "ns"), [
    ("0", 0), ("200ms", 200_000_000), ("1.5s", 1_500_000_000), ("1m30s", 90_000_000_000),
    ("-1s", -1_000_000_000), ("10us", 10_000),
])
def test_go_durations(text: str, ns: int) -> None:
    assert parse_duration(text, "health-interval") == ns


def test_a_bad_duration_is_dockers_flag_error() -> None:
    with pytest.raises(CommandFailed) as caught:
        parse_duration("soon", "health-timeout")
    assert caught.value.status == 125
    assert caught.value.message == ('invalid argument "soon" for "--health-timeout" flag: '
                                    'time: invalid duration "soon"')


def test_health_flags_make_the_healthcheck() -> None:
    body = create_body("--health-cmd", "curl -f localhost", "--health-interval", "2s",
                       "--health-timeout", "1s", "--health-retries", "4",
                       "--health-start-period", "10s", "--health-start-interval", "500ms")
    assert body["Healthcheck"] == {
        "Test": ["CMD-SHELL", "curl -f localhost"], "Interval": 2 * 10**9,
        "Timeout": 10**9, "StartPeriod": 10 * 10**9, "StartInterval": 500_000_000,
        "Retries": 4}


def test_settings_without_a_command_keep_the_images_test() -> None:
    body = create_body("--health-interval", "1s")
    assert body["Healthcheck"]["Test"] is None  # type: ignore[index]


def test_no_flags_no_healthcheck_and_no_healthcheck_is_none() -> None:
    assert "Healthcheck" not in create_body()
    assert create_body("--no-healthcheck")["Healthcheck"] == {"Test": ["NONE"]}


@pytest.mark.parametrize(("flags", "message"), [
    (("--no-healthcheck", "--health-cmd", "true"),
     "--no-healthcheck conflicts with --health-* options"),
    (("--health-interval", "-1s"), "--health-interval cannot be negative"),
    (("--health-retries", "-2"), "--health-retries cannot be negative"),
    (("--health-start-period", "-5s"), "--health-start-period cannot be negative"),
    (("--health-on-failure", "explode"), 'invalid argument "explode" for '
                                         '"--health-on-failure" flag'),
])
def test_dockers_refusals(flags: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandFailed) as caught:
        create_body(*flags)
    assert caught.value.status == 125 and message in caught.value.message


def test_health_on_failure_travels_as_a_label() -> None:
    body = create_body("--health-on-failure", "restart", "--label", "a=b")
    assert body["Labels"] == {"a": "b", "wharf.health-on-failure": "restart"}
    assert create_body("--health-on-failure", "none")["Labels"] == {}
