"""Request bodies → typed models (``services.engine_types``), read as dockerd's Go decoder reads
them, with a 400 that names the field when a value has the wrong type.

What Go's ``encoding/json`` does and this keeps: a JSON ``null`` leaves a field at its zero value;
fields it does not know are ignored; an object key matches a field whose name differs only in
case (docker-py sends ``CPURealtimePeriod`` for ``CpuRealtimePeriod``); integers do not take a
fraction or a string; an int64 overflows with an error. moby's ``StrSlice`` (a string where a
list is expected) is in the models themselves.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

import msgspec
from aiohttp import web

from wharf.core.errors import InvalidParameter

T = TypeVar("T", bound=msgspec.Struct)

_AT_PATH = re.compile(r"^(?P<what>.*?) - at `\$(?P<path>[^`]*)`$")


class _Shape:
    """For one Struct type: its JSON names (case-folded to canonical) and, per name, the shape
    of the value (another ``_Shape`` for nested objects, lists and maps of objects)."""

    def __init__(self, info: msgspec.inspect.StructType) -> None:
        self.by_folded: dict[str, str] = {}
        self.children: dict[str, _Walk] = {}
        for f in info.fields:
            self.by_folded.setdefault(f.encode_name.lower(), f.encode_name)
            walk = _walk_for(f.type)
            if walk is not None:
                self.children[f.encode_name] = walk

    def canonical(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """``obj`` with its keys spelled as the model spells them (later keys win, as in Go)."""
        names = set(self.by_folded.values())
        result: dict[str, Any] = {}
        for key, value in obj.items():
            name = key if key in names else self.by_folded.get(key.lower(), key)
            walk = self.children.get(name)
            result[name] = walk.apply(value) if walk is not None else value
        return result


class _Walk:
    """Where Struct objects sit inside a value: itself, list items, or map values."""

    def __init__(self, kind: str, inner: _Shape | _Walk) -> None:
        self.kind = kind
        self.inner = inner

    def apply(self, value: Any) -> Any:
        if self.kind == "struct" and isinstance(value, dict):
            assert isinstance(self.inner, _Shape)
            return self.inner.canonical(value)
        if self.kind == "list" and isinstance(value, list):
            assert isinstance(self.inner, _Walk)
            return [self.inner.apply(v) for v in value]
        if self.kind == "dict" and isinstance(value, dict):
            assert isinstance(self.inner, _Walk)
            return {k: self.inner.apply(v) for k, v in value.items()}
        return value  # a wrong type: msgspec.convert reports it


def _walk_for(t: msgspec.inspect.Type) -> _Walk | None:
    if isinstance(t, msgspec.inspect.Metadata):
        return _walk_for(t.type)
    if isinstance(t, msgspec.inspect.UnionType):
        walks = [w for w in (_walk_for(member) for member in t.types) if w is not None]
        return walks[0] if walks else None
    if isinstance(t, msgspec.inspect.StructType):
        return _Walk("struct", _Shape(t)) if t.fields else None
    if isinstance(t, msgspec.inspect.ListType):
        inner = _walk_for(t.item_type)
        return _Walk("list", inner) if inner is not None else None
    if isinstance(t, msgspec.inspect.DictType):
        inner = _walk_for(t.value_type)
        return _Walk("dict", inner) if inner is not None else None
    return None


class BodyDecoder(Generic[T]):
    """Decodes request bodies into ``model``."""

    def __init__(self, model: type[T]) -> None:
        self.model = model
        info = msgspec.inspect.type_info(model)
        assert isinstance(info, msgspec.inspect.StructType)
        self._shape = _Shape(info)

    def decode(self, raw: bytes, *, required: bool = False) -> T:
        """``raw`` as ``model``; an empty body or ``null`` is the empty model (or a 400 when
        ``required``); anything malformed is a 400."""
        if not raw.strip():
            if required:
                raise InvalidParameter("invalid JSON: request body is empty")
            return self.model()
        try:
            decoded = msgspec.json.decode(raw)
        except msgspec.DecodeError as err:
            raise InvalidParameter(f"invalid JSON: {err}") from None
        if decoded is None:
            return self.model()
        if not isinstance(decoded, dict):
            raise InvalidParameter("invalid JSON: the request body must be a JSON object")
        return self.convert(decoded)

    def convert(self, obj: Mapping[str, Any]) -> T:
        try:
            return msgspec.convert(self._shape.canonical(obj), self.model)
        except msgspec.ValidationError as err:
            raise InvalidParameter(field_error(str(err))) from None

    async def read(self, request: web.Request, *, required: bool = False) -> T:
        return self.decode(await request.read(), required=required)


def field_error(message: str) -> str:
    """msgspec's "Expected `int | null`, got `str` - at `$.HostConfig.Memory`" as
    "invalid value for HostConfig.Memory: expected `int`, got `str`"."""
    match = _AT_PATH.match(message)
    if match is None:
        return f"invalid JSON: {message}"
    what = match["what"].replace(" | null", "")
    what = what[:1].lower() + what[1:]
    path = match["path"].lstrip(".") or "body"
    return f"invalid value for {path}: {what}"
