#!/usr/bin/env python3
"""Generate ``src/wharf/services/engine_types.py`` from the Engine API swagger.

Usage: gen_api_models.py [SWAGGER] [OUTPUT]   (defaults: the swagger in the ``shared/spec/``
beside the checkout, or beside one of its parents, and the module above).
``tests/unit/services/test_engine_types.py`` fails when the committed module differs from what
this script makes of the spec.

Each swagger object becomes a msgspec ``Struct`` whose attributes are snake_case and whose JSON
names are Docker's. Every field is optional and accepts ``null`` (Go's decoder leaves the zero
value for a JSON null); unknown JSON fields are ignored, as Go's decoder ignores them. Integers
are bounded to Go's int64. Where moby's Go types differ from the swagger, ``OVERRIDES`` says so.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC_NAME = "docker-engine-api-v1.47.yaml"
DEFAULT_OUT = ROOT / "src" / "wharf" / "services" / "engine_types.py"

# The schemas wharfd decodes: definitions by name, and request bodies defined inline in a path.
DEFINITIONS = ("ContainerConfig", "HostConfig", "NetworkingConfig")
INLINE_BODIES = {
    "ExecConfig": ("/containers/{id}/exec", "post"),
    "ExecStartConfig": ("/exec/{id}/start", "post"),
    "NetworkCreateRequest": ("/networks/create", "post"),
    "NetworkConnectRequest": ("/networks/{id}/connect", "post"),
    "NetworkDisconnectRequest": ("/networks/{id}/disconnect", "post"),
}

# moby's strslice.StrSlice: a JSON string is read as a one-element list.
STR_SLICE = "StrSlice"
OVERRIDES: dict[tuple[str, str], str] = {
    ("ContainerConfig", "Cmd"): STR_SLICE,
    ("ContainerConfig", "Entrypoint"): STR_SLICE,
    ("ContainerConfig", "Shell"): STR_SLICE,
    ("HostConfig", "CapAdd"): STR_SLICE,
    ("HostConfig", "CapDrop"): STR_SLICE,
    ("ExecConfig", "Cmd"): STR_SLICE,
}

# The create body: ContainerConfig plus these (the swagger's allOf), plus what clients send
# that the swagger does not list.
CREATE_BODY_EXTRA = (
    ("HostConfig", "HostConfig", "the swagger's create body"),
    ("NetworkingConfig", "NetworkingConfig", "the swagger's create body"),
    ("Runtime", "str", "docker-py 7 sends the runtime at the top level too"),
)

ACRONYMS = (("IPv4", "Ipv4"), ("IPv6", "Ipv6"), ("IPAM", "Ipam"), ("IOps", "Iops"),
            ("IDs", "Ids"), ("DNS", "Dns"), ("UTS", "Uts"), ("TCP", "Tcp"), ("IO", "Io"),
            ("IP", "Ip"), ("ID", "Id"))


def snake(name: str) -> str:
    for acronym, word in ACRONYMS:
        name = name.replace(acronym, word)
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


@dataclass
class StructDef:
    name: str
    base: str | None
    doc: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (json, type, note)


class Generator:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.defs: dict[str, Any] = spec["definitions"]
        self.paths: dict[str, Any] = spec["paths"]
        self.structs: dict[str, StructDef] = {}

    def ref(self, schema: dict[str, Any]) -> str | None:
        if "$ref" in schema:
            return str(schema["$ref"]).rsplit("/", 1)[1]
        parts = schema.get("allOf") or []
        if len(parts) == 1 and "$ref" in parts[0]:
            return str(parts[0]["$ref"]).rsplit("/", 1)[1]
        return None

    def type_of(self, owner: str, prop: str, schema: dict[str, Any]) -> str:
        """The Python type (without ``| None``) of a property."""
        override = OVERRIDES.get((owner, prop))
        if override:
            return override
        name = self.ref(schema)
        if name is not None:
            return self.named(name)
        kind = schema.get("type")
        if kind == "string":
            return "str"
        if kind == "boolean":
            return "bool"
        if kind == "integer":
            return "Int64"
        if kind == "number":
            return "float"
        if kind == "array":
            return f"list[{self.type_of(owner + prop, 'Item', schema.get('items') or {})}]"
        if kind == "object" or "properties" in schema or "additionalProperties" in schema:
            if "properties" in schema:
                return self.struct(owner + prop, schema)
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict):
                if extra.get("type") == "object" and not extra.get("properties"):
                    return "dict[str, EmptyObject | None]"  # Go's map[string]struct{}
                value = self.type_of(owner + prop, "Value", extra)
                return f"dict[str, {value} | None]" if extra.get("x-nullable") else \
                    f"dict[str, {value}]"
            return "dict[str, Any]"
        raise ValueError(f"{owner}.{prop}: no type for {schema}")

    def named(self, name: str) -> str:
        schema = self.defs[name]
        if schema.get("type") in ("string", "integer", "boolean"):
            return self.type_of(name, "", {"type": schema["type"]})
        if "additionalProperties" in schema and "properties" not in schema:
            return self.type_of(name, "", {**schema, "type": "object"})
        return self.struct(name, schema)

    def struct(self, name: str, schema: dict[str, Any]) -> str:
        if name in self.structs:
            return name
        base = None
        props: dict[str, Any] = dict(schema.get("properties") or {})
        for part in schema.get("allOf") or []:
            ref = self.ref(part)
            if ref is not None:
                base = self.named(ref)
            props.update(part.get("properties") or {})
        text = " ".join(str(schema.get("description") or schema.get("title") or name).split())
        doc = text.split(". ", 1)[0].rstrip(".").replace("`", "``")
        struct = StructDef(name, base, doc if len(doc) < 90 else name)
        self.structs[name] = struct
        struct.fields = [(prop, self.type_of(name, prop, sub), "") for prop, sub in props.items()]
        return name

    def inline_body(self, name: str, path: str, method: str) -> None:
        for param in self.paths[path][method].get("parameters") or []:
            if param.get("in") == "body":
                self.struct(name, param["schema"])
                return
        raise ValueError(f"{path}: no body parameter")

    def create_body(self) -> None:
        struct = StructDef("ContainerCreateBody", "ContainerConfig",
                           "The body of POST /containers/create")
        struct.fields = [(json_name, type_, note) for json_name, type_, note in CREATE_BODY_EXTRA]
        self.structs[struct.name] = struct

    def render(self) -> str:
        lines = [
            '"""Docker Engine API v1.47 request types, generated by scripts/gen_api_models.py from',
            "the swagger: do not edit by hand (the generator's docstring says how they read JSON).",
            '"""',
            "",
            "# ruff: noqa: E501",
            "from __future__ import annotations",
            "",
            "from typing import Annotated",
            "",
            "import msgspec",
            "",
            "Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]",
            f"{STR_SLICE} = str | list[str]  # moby's strslice.StrSlice",
            "",
            "",
            "class EmptyObject(msgspec.Struct):",
            '    """Go\'s ``struct{}``: any JSON object."""',
        ]
        for struct in self.ordered():
            base = struct.base or "msgspec.Struct, kw_only=True, omit_defaults=True"
            lines += ["", "", f"class {struct.name}({base}):", f'    """{struct.doc}."""', ""]
            for json_name, type_, note in struct.fields:
                comment = f"  # {note}" if note else ""
                lines.append(f"    {snake(json_name)}: {type_} | None = "
                             f'msgspec.field(default=None, name="{json_name}"){comment}')
        text = "\n".join(lines) + "\n"
        if "Any]" in text:
            text = text.replace("import Annotated\n", "import Annotated, Any\n")
        return text

    def ordered(self) -> list[StructDef]:
        """Bases and field types before their users."""
        done: list[StructDef] = []
        seen: set[str] = set()

        def visit(name: str) -> None:
            if name in seen or name not in self.structs:
                return
            seen.add(name)
            struct = self.structs[name]
            if struct.base:
                visit(struct.base)
            for _, type_, _ in struct.fields:
                for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", type_):
                    visit(word)
            done.append(struct)

        for name in sorted(self.structs):
            visit(name)
        return done


def generate(spec_text: str) -> str:
    gen = Generator(yaml.safe_load(spec_text))
    for name in DEFINITIONS:
        gen.named(name)
    for name, (path, method) in INLINE_BODIES.items():
        gen.inline_body(name, path, method)
    gen.create_body()
    return gen.render()


def find_spec() -> Path | None:
    """The swagger in ``shared/spec/`` beside the checkout (or beside one of its parents)."""
    for parent in ROOT.parents:
        candidate = parent / "shared" / "spec" / SPEC_NAME
        if candidate.is_file():
            return candidate
    return None


def main(argv: list[str]) -> int:
    spec = Path(argv[1]) if len(argv) > 1 else find_spec()
    if spec is None:
        print(f"no shared/spec/{SPEC_NAME} beside {ROOT}: name the swagger", file=sys.stderr)
        return 2
    out = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUT
    out.write_text(generate(spec.read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
