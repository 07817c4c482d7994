"""The functions docker's templates can call: Go's builtins and docker's own helpers."""

from __future__ import annotations

from collections.abc import Callable

from wharf.cli.gofmt import MISSING as _MISSING
from wharf.cli.gofmt import go_json, go_sprint, go_sprintf, truthy

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class TemplateError(Exception):
    """Parse or execution error; the message reads like Go's (``template: ...``)."""


def _index(value: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(value, dict):
            value = value.get(key)
        elif isinstance(value, list | tuple | str):
            if not isinstance(key, int) or not 0 <= key < len(value):
                raise TemplateError(f"template: :1: error calling index: index out of range: "
                                    f"{key}")
            value = value[key]
        else:
            raise TemplateError(f"template: :1: error calling index: can't index item of type "
                                f"{type(value).__name__}")
    return value


def _compare(op: Callable[[Any, Any], bool]) -> Callable[..., bool]:
    def compare(first: Any, *others: Any) -> bool:
        return any(op(first, other) for other in others) if op is _eq else \
            all(op(first, other) for other in others)

    return compare


def _eq(a: Any, b: Any) -> bool:
    return bool(a == b)


def _and(*values: Any) -> Any:
    result: Any = True
    for result in values:
        if not truthy(result):
            return result
    return result


def _or(*values: Any) -> Any:
    result: Any = False
    for result in values:
        if truthy(result):
            return result
    return result


def _truncate(value: Any, length: int) -> str:
    text = go_sprint(value)
    return text[:length]


def _len(value: Any) -> int:
    if value is None or value is _MISSING:
        raise TemplateError("template: :1: error calling len: len of nil pointer")
    return len(value)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "json": go_json,
    "join": lambda items, sep: sep.join(go_sprint(item) for item in items or []),
    "split": lambda text, sep: text.split(sep),
    "title": lambda text: go_sprint(text).title(),
    "lower": lambda text: go_sprint(text).lower(),
    "upper": lambda text: go_sprint(text).upper(),
    "pad": lambda text, before, after: " " * before + go_sprint(text) + " " * after,
    "truncate": _truncate,
    "println": lambda *values: " ".join(go_sprint(value) for value in values) + "\n",
    "print": lambda *values: "".join(go_sprint(value) for value in values),
    "printf": go_sprintf,
    "index": _index,
    "len": _len,
    "eq": _compare(_eq),
    "ne": _compare(lambda a, b: a != b),
    "lt": _compare(lambda a, b: a < b),
    "le": _compare(lambda a, b: a <= b),
    "gt": _compare(lambda a, b: a > b),
    "ge": _compare(lambda a, b: a >= b),
    "and": _and,
    "or": _or,
    "not": lambda value: not truthy(value),
}
