"""How Go prints values (``fmt.Sprint``, ``json.Marshal``), for docker-compatible output."""

from __future__ import annotations

import re

from wharf.lib.goquote import go_quote

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Missing:
    """A map key that is not there: Go's templates print it as ``<no value>``."""

    def __repr__(self) -> str:
        return "<no value>"


MISSING = Missing()
_VERB = re.compile(r"%([-+# 0]*\d*(?:\.\d+)?)([vsdqtfxX%])")


def go_sprint(value: Any) -> str:
    """``fmt.Sprint(value)`` for the shapes JSON decoding produces."""
    if value is MISSING:
        return "<no value>"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, str | int):
        return str(value)
    if isinstance(value, dict):
        return "map[" + " ".join(f"{go_sprint(key)}:{go_sprint(value[key])}"
                                 for key in sorted(value)) + "]"
    if isinstance(value, list | tuple):
        return "[" + " ".join(go_sprint(item) for item in value) + "]"
    return str(value)


def go_float(value: float) -> str:
    """``%v`` of a float64: shortest form, exponent only for very large or small numbers."""
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = "-" if exponent.startswith("-") else "+"
        return f"{mantissa}e{sign}{exponent.lstrip('+-').zfill(2)}"
    return text


def to_jsonable(value: Any) -> Any:
    if value is MISSING:
        return None
    to_json = getattr(value, "to_json", None)
    if to_json is not None:
        return to_jsonable(to_json())
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    return value


def go_json(value: Any) -> str:
    """``json.Marshal``: compact, map keys sorted, ``<``, ``>``, ``&`` escaped like Go."""
    import json

    text = json.dumps(to_jsonable(value), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def go_sprintf(pattern: str, *args: Any) -> str:
    """``fmt.Sprintf`` for the common verbs (%v %s %d %q %t %f %x %%)."""
    remaining = list(args)

    def replace(match: re.Match[str]) -> str:
        flags, verb = match.group(1), match.group(2)
        if verb == "%":
            return "%"
        if not remaining:
            return f"%!{verb}(MISSING)"
        value = remaining.pop(0)
        if verb == "q":
            return go_quote(go_sprint(value))
        if verb in "dxX" and isinstance(value, int | float):
            return f"%{flags}{verb if verb != 'd' else 'd'}" % int(value)
        if verb == "f" and isinstance(value, int | float):
            return f"%{flags}f" % value
        return f"%{flags}s" % go_sprint(value)

    return _VERB.sub(replace, pattern)


def truthy(value: Any) -> bool:
    """Go templates' notion of true: not false, 0, nil, missing or empty."""
    if value is MISSING or value is None:
        return False
    if isinstance(value, bool | int | float | str | list | tuple | dict):
        return bool(value)
    return True
