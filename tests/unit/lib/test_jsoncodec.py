import json

import pytest

from wharf.lib import jsoncodec

VALUES = [
    None, True, False, 0, -7, 2**70, 1.5, -0.25, 1e300, "", "plain", "tab\tquote\"back\\slash",
    "ünïcödé ☃ \U0001f433", [], {}, [1, [2, [3, {"a": None}]]],
    {"Id": "abc", "State": {"Running": True, "ExitCode": 137}, "Labels": {"k": "v"}},
]


@pytest.mark.parametrize("value", VALUES)
def test_round_trips_like_the_json_package(value: object) -> None:
    for separators in ((", ", ": "), (",", ":")):
        text = jsoncodec.dumps(value, separators=separators)
        assert text == json.dumps(value, separators=separators)
        assert jsoncodec.loads(text) == value
        assert jsoncodec.loads(text.encode()) == value


def test_accepts_surrounding_whitespace_and_constants() -> None:
    assert jsoncodec.loads(' \n {"a": [1, 2.5, "x"]}\r\n') == {"a": [1, 2.5, "x"]}
    assert jsoncodec.loads("[NaN, Infinity]")[1] == float("inf")


@pytest.mark.parametrize("bad", ["", "   ", "{", '{"a": 1} x', "[1,]", "nul", '"\x01"'])
def test_rejects_what_json_rejects(bad: str) -> None:
    with pytest.raises(ValueError):
        json.loads(bad)
    with pytest.raises(ValueError):
        jsoncodec.loads(bad)


def test_unserializable_values_are_a_type_error() -> None:
    with pytest.raises(TypeError):
        jsoncodec.dumps({"x": object()})
