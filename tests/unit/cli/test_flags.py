from __future__ import annotations

import pytest

from wharf.cli.flags import BOOL, INT, LIST, STRING, Flag, FlagParser, UsageError, format_options

FLAGS = (
    Flag("detach", "d", BOOL, "Run in background"),
    Flag("interactive", "i", BOOL, "Keep STDIN open"),
    Flag("tty", "t", BOOL, "Allocate a pseudo-TTY"),
    Flag("env", "e", LIST, "Set environment variables"),
    Flag("name", "", STRING, "Assign a name"),
    Flag("last", "n", INT, "Show n last", default=-1),
    Flag("sig-proxy", "", BOOL, "Proxy signals", default=True),
)


def parse(*argv: str, interspersed: bool = True) -> tuple[dict[str, object], list[str]]:
    parsed = FlagParser(FLAGS, interspersed).parse(list(argv))
    return parsed.values, parsed.args


def test_long_short_grouped_and_equals_forms() -> None:
    values, args = parse("-it", "--name=web", "-e", "A=1", "-eB=2", "-e=C=3", "--env", "D",
                         "-n5", "img")
    assert values["interactive"] and values["tty"] and not values["detach"]
    assert values["name"] == "web"
    assert values["env"] == ["A=1", "B=2", "C=3", "D"]
    assert values["last"] == 5
    assert args == ["img"]


def test_defaults_and_bool_values() -> None:
    values, _ = parse()
    assert values["last"] == -1 and values["sig-proxy"] is True and values["env"] == []
    values, _ = parse("--sig-proxy=false", "-d=true")
    assert values["sig-proxy"] is False and values["detach"] is True


def test_flags_stop_at_first_argument_when_not_interspersed() -> None:
    values, args = parse("-d", "busybox", "ls", "-la", "--name", "x", interspersed=False)
    assert values["detach"] and values["name"] == ""
    assert args == ["busybox", "ls", "-la", "--name", "x"]


def test_interspersed_and_double_dash() -> None:
    values, args = parse("a", "-d", "b", "--", "-i")
    assert values["detach"] and not values["interactive"]
    assert args == ["a", "b", "-i"]


@pytest.mark.parametrize(("argv", "message"), [
    (["--xx"], "unknown flag: --xx"),
    (["-X"], "unknown shorthand flag: 'X' in -X"),
    (["-dX"], "unknown shorthand flag: 'X' in -dX"),
    (["--name"], "flag needs an argument: --name"),
    (["-n"], "flag needs an argument: 'n' in -n"),
    (["-n", "x"], 'invalid argument "x" for "-n, --last" flag: strconv.ParseInt: parsing "x": '
                  "invalid syntax"),
    (["--detach=maybe"], 'invalid argument "maybe" for "-d, --detach" flag: '
                         'strconv.ParseBool: parsing "maybe": invalid syntax'),
])
def test_errors_use_pflag_wording(argv: list[str], message: str) -> None:
    with pytest.raises(UsageError) as caught:
        FlagParser(FLAGS).parse(argv)
    assert caught.value.message == message


def test_help_flag() -> None:
    assert FlagParser(FLAGS).parse(["--help"]).values["help"]
    assert FlagParser(FLAGS).parse(["-h"]).values["help"]
    # -h is a real flag where a command defines it (run's --hostname)
    hostname = FlagParser((Flag("hostname", "h", STRING),)).parse(["-h", "box"])
    assert hostname.values["hostname"] == "box" and not hostname.values["help"]


def test_options_block_like_cobra() -> None:
    text = format_options((Flag("signal", "s", STRING, "Signal to send to the container"),
                           Flag("timeout", "t", INT, "Seconds to wait before killing the "
                                                     "container")))
    assert text.splitlines() == [
        "  -s, --signal string   Signal to send to the container",
        "  -t, --timeout int     Seconds to wait before killing the container",
    ]
    shown = format_options((Flag("last", "n", INT, "Show n last", default=-1),
                            Flag("tail", "", STRING, "Lines", default="all")))
    assert "Show n last (default -1)" in shown and 'Lines (default "all")' in shown
