"""YAML read the way docker compose reads it (YAML 1.2 scalars, as Go's yaml.v3 does).

PyYAML follows YAML 1.1, where ``yes``/``no``/``on``/``off`` are booleans and ``22:22`` is a
base-60 integer (1342): a compose file's ``ports: [22:22]`` or ``DEBUG: yes`` would change
meaning. This loader keeps PyYAML's safe constructors but resolves booleans only from
``true``/``false`` and drops the base-60 forms.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"


class ComposeYamlLoader(yaml.SafeLoader):  # type: ignore[misc]  # yaml has no stubs here
    """SafeLoader with YAML 1.2 booleans, integers and floats."""


ComposeYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
ComposeYamlLoader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
ComposeYamlLoader.add_implicit_resolver(
    _INT,
    re.compile(r"^(?:[-+]?0b[01_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
ComposeYamlLoader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)|[-+]?[0-9][0-9_]*\.[0-9_]*"
        r"|[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


def load_yaml(text: str) -> Any:
    """One YAML document with compose's scalar rules."""
    return yaml.load(text, Loader=ComposeYamlLoader)  # a SafeLoader subclass: safe
