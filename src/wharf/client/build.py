"""Build endpoints: ``POST /build`` (the classic builder), ``/build/prune``, ``/build/cancel``.

The query is written as the docker CLI writes it: repeatable ``t``/``extrahosts`` (and
wharf's ``volume``), JSON ``buildargs``/``labels``/``cachefrom``, booleans only when they
differ from the daemon's defaults (``rm=0`` to keep intermediate containers).
"""

from __future__ import annotations

from wharf.client.containers import filters_param
from wharf.client.transport import Transport, encode_query, quote
from wharf.lib import jsoncodec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import Any

    JSON = dict[str, Any]


class BuildParams:
    """What ``POST /build`` is asked (a slotted class: ``dataclasses`` costs start-up time)."""

    __slots__ = ("build_args", "build_id", "cache_from", "cpu_period", "cpu_quota",
                 "cpu_shares", "dockerfile", "extra_hosts", "force_remove", "labels",
                 "memory", "memory_swap", "network_mode", "no_cache", "platform", "pull",
                 "quiet", "registry_config", "remove", "secrets", "shm_size", "squash",
                 "tags", "target", "volumes")

    def __init__(self, *, tags: list[str] | None = None, dockerfile: str = "",
                 build_args: dict[str, str | None] | None = None,
                 labels: dict[str, str] | None = None, quiet: bool = False,
                 no_cache: bool = False, pull: bool = False, remove: bool = True,
                 force_remove: bool = False, target: str = "", network_mode: str = "",
                 extra_hosts: list[str] | None = None, cache_from: list[str] | None = None,
                 platform: str = "", squash: bool = False, memory: int = 0,
                 memory_swap: int = 0, cpu_shares: int = 0, cpu_quota: int = 0,
                 cpu_period: int = 0, shm_size: int = 0,
                 secrets: list[dict[str, str]] | None = None,
                 volumes: list[str] | None = None, registry_config: str = "",
                 build_id: str = "") -> None:
        self.tags = tags or []
        self.dockerfile = dockerfile
        self.build_args = build_args or {}
        self.labels = labels or {}
        self.quiet = quiet
        self.no_cache = no_cache
        self.pull = pull
        self.remove = remove
        self.force_remove = force_remove
        self.target = target
        self.network_mode = network_mode
        self.extra_hosts = extra_hosts or []
        self.cache_from = cache_from or []
        self.platform = platform
        self.squash = squash
        self.memory = memory
        self.memory_swap = memory_swap
        self.cpu_shares = cpu_shares
        self.cpu_quota = cpu_quota
        self.cpu_period = cpu_period
        self.shm_size = shm_size
        self.secrets = secrets or []          # [{"id", "src": name inside the context tar}]
        self.volumes = volumes or []
        self.registry_config = registry_config  # X-Registry-Config, already encoded
        self.build_id = build_id


def build_query(p: BuildParams) -> str:
    """The query string (``?...``) for ``p``."""
    single: dict[str, str | int | bool | None] = {
        "dockerfile": p.dockerfile or None, "q": p.quiet or None,
        "nocache": p.no_cache or None, "rm": None if p.remove else False,
        "forcerm": p.force_remove or None, "pull": p.pull or None,
        "squash": p.squash or None, "target": p.target or None,
        "networkmode": p.network_mode or None, "platform": p.platform or None,
        "memory": p.memory or None, "memswap": p.memory_swap or None,
        "cpushares": p.cpu_shares or None, "cpuquota": p.cpu_quota or None,
        "cpuperiod": p.cpu_period or None, "shmsize": p.shm_size or None,
        "buildargs": jsoncodec.dumps(p.build_args) if p.build_args else None,
        "labels": jsoncodec.dumps(p.labels) if p.labels else None,
        "cachefrom": jsoncodec.dumps(p.cache_from) if p.cache_from else None,
        "secrets": jsoncodec.dumps(p.secrets) if p.secrets else None,
        "buildid": p.build_id or None,
    }
    pairs = [encode_query(single).lstrip("?")]
    for key, values in (("t", p.tags), ("extrahosts", p.extra_hosts), ("volume", p.volumes)):
        pairs += [f"{key}={quote(value)}" for value in values]
    text = "&".join(pair for pair in pairs if pair)
    return "?" + text if text else ""


class Build:
    def __init__(self, transport: Transport) -> None:
        self.t = transport

    def build(self, context: Iterable[bytes], params: BuildParams) -> Iterator[JSON]:
        """``POST /build`` with ``context`` (a tar, streamed); yields the daemon's messages.
        An error before the first message raises; after it, it arrives as a message."""
        headers = {"Content-Type": "application/x-tar"}
        if params.registry_config:
            headers["X-Registry-Config"] = params.registry_config
        yield from self.t.stream_lines("POST", "/build" + build_query(params), None,
                                       context, headers)

    def prune(self, all_: bool = False, filters: dict[str, list[str]] | None = None) -> JSON:
        """``POST /build/prune``: ``{"CachesDeleted": [...], "SpaceReclaimed": n}``."""
        result: JSON = self.t.call_json("POST", "/build/prune",
                                        {"all": all_ or None,
                                         "filters": filters_param(filters)})
        return result

    def cancel(self, build_id: str) -> None:
        self.t.call("POST", "/build/cancel", {"id": build_id})
