import pytest

from wharf.compose.errors import ComposeError
from wharf.compose.interpolate import interpolate, interpolate_tree

ENV = {"A": "a", "EMPTY": "", "N": "7"}


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("$A-${A}", "a-a"),
        ("${X:-d}", "d"),
        ("${EMPTY:-d}", "d"),
        ("${EMPTY-d}", ""),
        ("${X-d}", "d"),
        ("${A:+alt}", "alt"),
        ("${EMPTY:+alt}", ""),
        ("${EMPTY+alt}", "alt"),
        ("${X+alt}", ""),
        ("$$A $${A}", "$A ${A}"),
        ("${X:-${Y:-${N}}}", "7"),
        ("${X:-pre-${A}-post}", "pre-a-post"),
        ("cost $", "cost $"),
        ("$1", "$1"),
        ("${A:?boom}", "a"),
    ],
)
def test_forms(text: str, want: str) -> None:
    assert interpolate(text, ENV) == want


def test_undefined_warns_and_blanks() -> None:
    warnings: list[str] = []
    assert interpolate("x${NOPE}y", ENV, warnings.append) == "xy"
    assert warnings == ['The "NOPE" variable is not set. Defaulting to a blank string.']


def test_required_errors_name_variable_and_message() -> None:
    with pytest.raises(ComposeError, match="required variable X is missing a value: need X"):
        interpolate("${X:?need X}", ENV)
    with pytest.raises(ComposeError, match="required variable EMPTY"):
        interpolate("${EMPTY:?e}", ENV)
    assert interpolate("${EMPTY?e}", ENV) == ""
    with pytest.raises(ComposeError, match=r"^required variable X is missing a value$"):
        interpolate("${X?}", ENV)


def test_bad_formats() -> None:
    with pytest.raises(ComposeError, match="invalid interpolation"):
        interpolate("${A", ENV)
    with pytest.raises(ComposeError, match="invalid interpolation"):
        interpolate("${A!x}", ENV)


def test_tree_values_not_keys_and_path_in_error() -> None:
    tree = {"services": {"$A": {"image": "img:$N", "ports": ["${N}:80", 5]}}}
    got = interpolate_tree(tree, ENV)
    assert got == {"services": {"$A": {"image": "img:7", "ports": ["7:80", 5]}}}
    with pytest.raises(ComposeError, match=r"services.web.image: required variable"):
        interpolate_tree({"services": {"web": {"image": "${T:?}"}}}, ENV)


def test_list_item_path_matches_the_model_paths() -> None:
    with pytest.raises(ComposeError, match=r"^services\.web\.ports\.1: required variable P"):
        interpolate_tree({"services": {"web": {"ports": ["1:1", "${P?}"]}}}, ENV)
