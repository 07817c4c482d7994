"""Networks as the API shows them (``GET /networks``, ``/networks/{id}``) and the filters of
listing and pruning, with moby's rules (``daemon/network/filter.go``): ``driver`` and ``scope``
match exactly, ``name`` and ``id`` as regular expressions (a substring matches), every
``label`` must match, ``type`` is ``custom`` or ``builtin``, ``dangling`` one boolean."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from wharf.core.errors import InvalidParameter
from wharf.core.filters import label_matches
from wharf.core.metadata import NetworkRecord
from wharf.services.image_views import unix_seconds, until_timestamp
from wharf.services.networks_config import PREDEFINED

LIST_FILTERS = frozenset({"dangling", "driver", "id", "label", "name", "scope", "type"})
PRUNE_FILTERS = frozenset({"until", "label", "label!"})

Filters = Mapping[str, list[str]]


def network_json(record: NetworkRecord, containers: Mapping[str, dict[str, str]]
                 ) -> dict[str, Any]:
    """Docker's ``network.Inspect``."""
    return {
        "Name": record.name, "Id": record.id, "Created": record.created,
        "Scope": record.scope, "Driver": record.driver, "EnableIPv4": True,
        "EnableIPv6": record.enable_ipv6, "IPAM": record.ipam, "Internal": record.internal,
        "Attachable": record.attachable, "Ingress": record.ingress,
        "ConfigFrom": {"Network": ""}, "ConfigOnly": False, "Containers": dict(containers),
        "Options": dict(record.options), "Labels": dict(record.labels),
    }


def _regex_match(pattern: str, text: str) -> bool:
    if pattern == text:
        return True
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return False


def check_list_filters(filters: Filters) -> None:
    for key in filters:
        if key not in LIST_FILTERS:
            raise InvalidParameter(f"invalid filter '{key}'")
    for value in filters.get("type", []):
        if value not in ("custom", "builtin"):
            raise InvalidParameter(f"invalid filter: 'type'='{value}'")
    dangling = filters.get("dangling", [])
    if len(dangling) > 1:
        raise InvalidParameter('got more than one value for filter key "dangling"')
    if dangling and dangling[0] not in ("0", "false", "1", "true"):
        raise InvalidParameter("invalid value for filter 'dangling', must be \"true\" "
                               "(or \"1\"), or \"false\" (or \"0\")")


def _matches(record: NetworkRecord, filters: Filters, in_use: bool) -> bool:
    tests: dict[str, Callable[[str], bool]] = {
        "driver": lambda v: v == record.driver,
        "scope": lambda v: v == record.scope,
        "name": lambda v: _regex_match(v, record.name),
        "id": lambda v: _regex_match(v, record.id),
        "type": lambda v: (record.name in PREDEFINED) == (v == "builtin"),
    }
    for key, test in tests.items():
        values = filters.get(key) or []
        if values and not any(test(value) for value in values):
            return False
    if not all(label_matches(record.labels, want) for want in filters.get("label", [])):
        return False
    dangling = filters.get("dangling") or []
    if dangling:
        predefined = record.name in PREDEFINED
        wanted = dangling[0] in ("1", "true")
        return (not predefined and not in_use) if wanted else (predefined or in_use)
    return True


def select_networks(records: list[NetworkRecord], filters: Filters,
                    in_use: Callable[[str], bool]) -> list[NetworkRecord]:
    check_list_filters(filters)
    return [r for r in records if _matches(r, filters, in_use(r.id))]


def prune_candidates(records: list[NetworkRecord], filters: Filters,
                     in_use: Callable[[str], bool]) -> list[NetworkRecord]:
    """Custom networks without endpoints that the ``until``/``label`` filters keep."""
    for key in filters:
        if key not in PRUNE_FILTERS:
            raise InvalidParameter(f"invalid filter '{key}'")
    until = [until_timestamp(value) for value in filters.get("until", [])]
    chosen = []
    for record in records:
        if record.name in PREDEFINED or in_use(record.id):
            continue
        if any(unix_seconds(record.created) >= limit for limit in until):
            continue
        if not all(label_matches(record.labels, w) for w in filters.get("label", [])):
            continue
        if any(label_matches(record.labels, w) for w in filters.get("label!", [])):
            continue
        chosen.append(record)
    return chosen
