"""The create policy table covers every field of the request types generated from the v1.47
swagger, and those types stay equal to what the generator makes of the swagger (checked where
the swagger is at hand: ``shared/spec/`` beside the checkout; it is Docker's file, not ours, so
the repository keeps only what was generated from it)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec
import pytest
import yaml

from wharf.services import engine_types
from wharf.services.create_policy import IMPLEMENTED, NOOP, POLICY, REFUSED, is_zero, summary

ROOT = Path(__file__).resolve().parents[3]


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_api_models",
                                                  ROOT / "scripts" / "gen_api_models.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_api_models"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def swagger_text() -> str:
    path = generator().find_spec()
    if path is None:
        pytest.skip("the v1.47 swagger is not beside this checkout (shared/spec/): the "
                    "committed engine_types.py is what scripts/gen_api_models.py made of it")
    return str(path.read_text())


def properties(spec: dict[str, Any], name: str) -> set[str]:
    schema = spec["definitions"][name]
    names = set(schema.get("properties") or {})
    for part in schema.get("allOf") or []:
        if "$ref" in part:
            names |= properties(spec, part["$ref"].rsplit("/", 1)[1])
        names |= set(part.get("properties") or {})
    return names


def test_generated_types_match_the_swagger(swagger_text: str) -> None:
    committed = Path(engine_types.__file__).read_text()
    assert generator().generate(swagger_text) == committed, (
        "src/wharf/services/engine_types.py is stale: run scripts/gen_api_models.py")


def model_fields(model: type) -> set[str]:
    info = msgspec.inspect.type_info(model)
    assert isinstance(info, msgspec.inspect.StructType)
    return {field.encode_name for field in info.fields}


def test_every_field_of_the_request_types_has_a_policy() -> None:
    for section, model in (("Config", engine_types.ContainerConfig),
                           ("HostConfig", engine_types.HostConfig),
                           ("NetworkingConfig", engine_types.NetworkingConfig)):
        fields, table = model_fields(model), set(POLICY[section])
        assert fields - table == set(), f"{section} fields without a policy"
        assert table - fields == set(), f"policy entries that {section} does not have"
    body = model_fields(engine_types.ContainerCreateBody) - model_fields(
        engine_types.ContainerConfig) - {"HostConfig", "NetworkingConfig"}
    assert set(POLICY["Body"]) == body


def test_every_swagger_field_has_a_policy(swagger_text: str) -> None:
    spec = yaml.safe_load(swagger_text)
    for section, definition in (("Config", "ContainerConfig"), ("HostConfig", "HostConfig"),
                                ("NetworkingConfig", "NetworkingConfig")):
        fields = properties(spec, definition)
        table = set(POLICY[section])
        assert fields - table == set(), f"{definition} fields without a policy"
        assert table - fields == set(), f"policy entries that {definition} does not have"
    extras = {name for name, _, _ in generator().CREATE_BODY_EXTRA} - {
        "HostConfig", "NetworkingConfig"}
    assert set(POLICY["Body"]) == extras


def test_every_policy_says_what_and_why() -> None:
    for section, table in POLICY.items():
        for name, policy in table.items():
            assert policy.status in (IMPLEMENTED, REFUSED, NOOP)
            assert policy.note, f"{section}.{name} needs a note"
    counts = summary()
    assert sum(counts.values()) == sum(len(t) for t in POLICY.values())


def test_zero_values_are_go_zero_values() -> None:
    for zero in (None, 0, "", False, [], {}):
        assert is_zero(zero)
    for value in (1, "x", True, ["x"], {"a": ""}, {"/scratch": ""}):
        assert not is_zero(value)


def test_decoded_types_cover_the_create_body() -> None:
    body = msgspec.convert({"Image": "x", "HostConfig": {"Memory": 1}, "Runtime": "runc",
                            "NetworkingConfig": {"EndpointsConfig": {"n": {}}}},
                           engine_types.ContainerCreateBody)
    assert body.host_config is not None and body.host_config.memory == 1
    assert body.runtime == "runc"
