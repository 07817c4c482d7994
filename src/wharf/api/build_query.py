"""``POST /build``'s query string and ``X-Registry-Config`` header, read as dockerd reads them
(``newImageBuildOptions``), into one :class:`BuildOptions`.

Every parameter of the v1.47 swagger is either decoded or refused with a 400 that names it:
what only BuildKit or Windows does (``version=2``, ``outputs``, ``isolation``, ``securityopt``)
and the few resource settings the builder does not pass on yet (``cpusetcpus``,
``cpusetmems``, ``cgroupparent``, ``ulimits``). Unknown parameters are ignored, as dockerd
ignores them. ``secrets`` and ``volume`` are wharf's own (``wharf build --secret`` / ``-v``).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from multidict import MultiMapping

from wharf.core.errors import InvalidParameter
from wharf.core.reference import parse_reference
from wharf.lib.extrahosts import ExtraHostError, normalize_extra_host
from wharf.services.build_types import BuildOptions, BuildSecret
from wharf.services.registry_port import RegistryAuth
from wharf.services.registry_service import auth_from_json

__all__ = ["build_options", "registry_config"]

Query = MultiMapping[str]

_FALSE_WORDS = frozenset({"", "0", "no", "false", "none"})
_NETWORK_MODES = frozenset({"", "default", "bridge", "host", "none"})
_NOT_YET = {  # parameter → what to say
    "cpusetcpus": "--cpuset-cpus", "cpusetmems": "--cpuset-mems",
    "cgroupparent": "--cgroup-parent",
}


def build_options(query: Query, registry_header: str = "") -> BuildOptions:
    """The request's build options; a value dockerd would refuse, or one wharf does not
    implement, raises :class:`InvalidParameter` naming the parameter."""
    _refuse_unsupported(query)
    return BuildOptions(
        tags=_tags(query.getall("t", [])),
        dockerfile=query.get("dockerfile", "") or "Dockerfile",
        build_args=_json_map(query, "buildargs", "error reading build args", nullable=True),
        labels=_json_map(query, "labels", "error reading labels", nullable=False),
        quiet=_bool(query, "q"),
        no_cache=_bool(query, "nocache"),
        pull=_bool(query, "pull"),
        remove=not query.get("rm", "") or _bool(query, "rm") or _bool(query, "forcerm"),
        force_remove=_bool(query, "forcerm"),
        target=query.get("target", ""),
        network_mode=_network_mode(query.get("networkmode", "")),
        extra_hosts=tuple(_extra_host(v) for v in query.getall("extrahosts", []) if v),
        cache_from=_json_strings(query, "cachefrom", "error reading cache-from"),
        platform=query.get("platform", "").strip().lower(),
        squash=_bool(query, "squash"),
        secrets=_secrets(query.get("secrets", "")),
        volumes=tuple(_volume(v) for v in query.getall("volume", [])),
        registry_auths=registry_config(registry_header),
        memory=_int(query, "memory"),
        memory_swap=_int(query, "memswap"),
        cpu_shares=_int(query, "cpushares"),
        cpu_quota=_int(query, "cpuquota"),
        cpu_period=_int(query, "cpuperiod"),
        shm_size=_int(query, "shmsize"),
    )


def _refuse_unsupported(query: Query) -> None:
    if query.get("remote", ""):
        raise InvalidParameter(
            f"remote build contexts are not supported (remote={query['remote']}): send the "
            "context as a tar in the request body")
    version = query.get("version", "")
    if version == "2":
        raise InvalidParameter("BuildKit (version=2) is not supported by wharf: use the "
                               "classic builder (version=1, DOCKER_BUILDKIT=0)")
    if version not in ("", "1"):
        raise InvalidParameter(f'invalid version "{version}"')
    if query.get("outputs", ""):
        raise InvalidParameter("outputs is a BuildKit option and is not supported")
    if query.getall("securityopt", []):
        raise InvalidParameter("security options are not supported on linux")
    isolation = query.get("isolation", "")
    if isolation.lower() not in ("", "default"):
        raise InvalidParameter(f'unsupported isolation: "{isolation}"')
    for key, flag in _NOT_YET.items():
        if query.get(key, ""):
            raise InvalidParameter(f"{key} ({flag}) is not supported by wharf's builder yet")
    ulimits = _json(query, "ulimits", "error reading ulimit settings")
    if ulimits not in (None, []):
        raise InvalidParameter("ulimits (--ulimit) is not supported by wharf's builder yet")


def _bool(query: Query, key: str, default: bool = False) -> bool:
    """dockerd's ``BoolValue``: anything but empty/0/no/false/none is true."""
    if key not in query:
        return default
    return query[key].strip().lower() not in _FALSE_WORDS


def _int(query: Query, key: str) -> int:
    raw = query.get(key, "").strip()
    if not raw:
        return 0
    try:
        return int(raw)
    except ValueError:
        raise InvalidParameter(f"invalid value for {key}: {raw!r}") from None


def _tags(names: list[str]) -> tuple[str, ...]:
    """moby's ``sanitizeRepoAndTags``: each a valid reference, ``latest`` added, no digest,
    duplicates dropped; kept in the familiar form Docker prints (``Successfully tagged``)."""
    seen: dict[str, None] = {}
    for name in names:
        if not name:
            continue
        ref = parse_reference(name)
        if ref.digest is not None:
            raise InvalidParameter("build tag cannot contain a digest")
        seen.setdefault(ref.with_default_tag().familiar(), None)
    return tuple(seen)


def _json(query: Query, key: str, context: str) -> Any:
    raw = query.get(key, "")
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise InvalidParameter(f"{context}: {exc}") from None


def _json_map(query: Query, key: str, context: str, *, nullable: bool) -> dict[str, Any]:
    decoded = _json(query, key, context)
    if decoded is None:
        return {}
    allowed = (str, type(None)) if nullable else (str,)
    if not isinstance(decoded, dict) or not all(isinstance(v, allowed)
                                                for v in decoded.values()):
        kind = "strings or null" if nullable else "strings"
        raise InvalidParameter(f"{context}: {key} must be a JSON object of {kind}")
    return dict(decoded)


def _json_strings(query: Query, key: str, context: str) -> tuple[str, ...]:
    decoded = _json(query, key, context)
    if decoded is None:
        return ()
    if not isinstance(decoded, list) or not all(isinstance(v, str) for v in decoded):
        raise InvalidParameter(f"{context}: {key} must be a JSON array of strings")
    return tuple(v for v in decoded if v)


def _network_mode(mode: str) -> str:
    if mode not in _NETWORK_MODES:
        raise InvalidParameter(f"network mode {mode!r} is not supported by wharf's builder: "
                               "use default, bridge, host or none")
    return mode


def _extra_host(value: str) -> str:
    """The docker CLI's ``ValidateExtraHost``: ``name:ip`` or ``name=ip`` → ``name:ip``."""
    try:
        return normalize_extra_host(value)
    except ExtraHostError as err:
        raise InvalidParameter(str(err)) from None


def _volume(spec: str) -> str:
    """``/host:/ctr[:ro|rw]``: both paths absolute."""
    parts = spec.split(":")
    ok = len(parts) in (2, 3) and all(p.startswith("/") for p in parts[:2])
    if not ok or (len(parts) == 3 and parts[2] not in ("ro", "rw")):
        raise InvalidParameter(f"invalid volume specification: '{spec}': a build volume is "
                               "/host/path:/container/path[:ro|rw]")
    return spec


def _secrets(raw: str) -> tuple[BuildSecret, ...]:
    """``[{"id": ..., "src": <name inside the context tar>}]``."""
    if not raw:
        return ()
    try:
        decoded = json.loads(raw)
    except ValueError as exc:
        raise InvalidParameter(f"error reading secrets: {exc}") from None
    if not isinstance(decoded, list):
        raise InvalidParameter("error reading secrets: a JSON array of {\"id\", \"src\"}")
    secrets: dict[str, BuildSecret] = {}
    for item in decoded:
        ident, src = (item.get("id"), item.get("src")) if isinstance(item, dict) else (0, 0)
        if not isinstance(ident, str) or not ident or not isinstance(src, str) or not _plain(src):
            raise InvalidParameter(f"invalid secret {item!r}: needs an id and a src that names "
                                   "a file at the top of the context")
        if ident in secrets:
            raise InvalidParameter(f'secret "{ident}" is given more than once')
        secrets[ident] = BuildSecret(ident, src)
    return tuple(secrets.values())


def _plain(name: str) -> bool:
    return bool(name) and "/" not in name and name not in (".", "..")


def registry_config(header: str) -> dict[str, RegistryAuth]:
    """``X-Registry-Config``: base64url JSON, a map from registry to AuthConfig."""
    text = header.strip()
    if not text:
        return {}
    padded = text + "=" * (-len(text) % 4)
    for decode in (base64.urlsafe_b64decode, base64.standard_b64decode):
        try:
            data = json.loads(decode(padded.encode("ascii")))
        except (binascii.Error, ValueError, UnicodeError):
            continue
        if data is None:
            return {}
        if isinstance(data, dict) and all(isinstance(v, dict) for v in data.values()):
            return {str(k): auth_from_json(v) for k, v in data.items()}
    raise InvalidParameter("invalid X-Registry-Config header: expected base64url-encoded "
                           "JSON mapping registries to auth configurations")
