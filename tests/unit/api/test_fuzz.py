"""Property-based fuzzing of request bodies and query strings, from the v1.47 swagger: whatever
arrives, wharfd answers below 500 (real routes and services, fake lower layers, in process).

Bodies are drawn from the request models generated from the swagger (``services/engine_types``,
kept equal to it by ``test_create_policy``): right types, with wrong types, nulls, odd integers
and strings mixed in at every level; each test is bounded by a fixed number of examples.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import msgspec
from aiohttp import ClientTimeout
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.api.harness import Api, api

from wharf.services import engine_types

EXAMPLES = 400
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

JSON_SCALARS = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(
    allow_nan=False) | st.text(max_size=12)
ANY_JSON = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text(max_size=8), inner, max_size=3), max_leaves=8)
WORDS = st.sampled_from(["", "/", "/tmp", "rel", "a:b", "no", "host", "none", "bridge",
                         "default", "json-file", "private", "container:x", "ALL", "SIGKILL",
                         "0", "-1", "1m", "seccomp=unconfined", "apparmor=x", "label=disable",
                         "/tmp:/x:ro", "x:/y", "\x00", "é"])
INTS = st.sampled_from([0, -1, 1, 1000, 6 * 1024 * 1024, 2**31, 2**63 - 1, -(2**63)])


def model_values(model: msgspec.inspect.Type, depth: int = 0) -> Any:
    """Values for a request model (the msgspec types generated from the swagger): mostly well
    typed, sometimes anything JSON, at every level."""
    if depth > 4:
        return ANY_JSON
    typed = _typed(model, depth)
    return st.one_of(typed, typed, typed, ANY_JSON)


def _typed(model: msgspec.inspect.Type, depth: int) -> Any:
    inspect = msgspec.inspect
    if isinstance(model, inspect.StructType):
        return st.fixed_dictionaries({}, optional={
            field.encode_name: model_values(field.type, depth + 1) for field in model.fields})
    if isinstance(model, inspect.UnionType):
        return st.one_of(*(_typed(member, depth) for member in model.types))
    if isinstance(model, inspect.LiteralType):
        return st.sampled_from(list(model.values)) | WORDS
    if isinstance(model, inspect.StrType):
        return st.text(max_size=10) | WORDS
    if isinstance(model, inspect.IntType):
        return st.integers(-(2**64), 2**64) | INTS
    if isinstance(model, inspect.BoolType):
        return st.booleans()
    if isinstance(model, inspect.NoneType):
        return st.none()
    if isinstance(model, inspect.ListType | inspect.VarTupleType | inspect.SetType):
        return st.lists(model_values(model.item_type, depth + 1), max_size=3)
    if isinstance(model, inspect.DictType):
        return st.dictionaries(st.text(max_size=8) | WORDS,
                               model_values(model.value_type, depth + 1), max_size=3)
    return ANY_JSON


def body_values(model: type) -> Any:
    return model_values(msgspec.inspect.type_info(model))


@contextmanager
def live_api() -> Iterator[tuple[asyncio.AbstractEventLoop, Api]]:
    """One in-process wharfd API for all examples of a test (hypothesis calls the test many
    times; a fixture per call would be too slow)."""
    loop = asyncio.new_event_loop()
    with tempfile.TemporaryDirectory(prefix="wharf-fuzz-") as tmp:
        manager = api(Path(tmp))
        a = loop.run_until_complete(manager.__aenter__())
        try:
            yield loop, a
        finally:
            loop.run_until_complete(manager.__aexit__(None, None, None))
            loop.close()


def send(loop: asyncio.AbstractEventLoop, a: Api, method: str, url: str,
         body: bytes | None = None) -> int:
    async def go() -> int:
        resp = await a.client.request(method, url, data=body,
                                      headers={"Content-Type": "application/json"},
                                      timeout=ClientTimeout(total=20))
        await resp.read()
        return resp.status
    return loop.run_until_complete(go())


def encoded(value: Any) -> bytes:
    return json.dumps(value).encode()


def test_create_bodies_never_get_a_5xx() -> None:
    bodies = body_values(engine_types.ContainerCreateBody)
    statuses: Counter[int] = Counter()
    with live_api() as (loop, a):
        @FUZZ
        @given(body=bodies.map(lambda b: {"Image": "busybox", **b} if isinstance(b, dict)
                               else b), name=st.text(max_size=6) | WORDS)
        def check(body: Any, name: str) -> None:
            status = send(loop, a, "POST", "/v1.47/containers/create?name=" + _quote(name),
                          encoded(body))
            statuses[status] += 1
            assert status < 500, (status, body)

        check()
    # the fuzz reaches both sides: containers made, and bodies refused
    assert statuses[201] > 0 and statuses[400] > EXAMPLES // 2, statuses


def test_exec_bodies_never_get_a_5xx() -> None:
    create_bodies = body_values(engine_types.ExecConfig)
    start_bodies = body_values(engine_types.ExecStartConfig)
    with live_api() as (loop, a):
        cid = loop.run_until_complete(a.create("fuzzed", Cmd=["sleep", "60"]))
        send(loop, a, "POST", f"/containers/{cid}/start")

        @FUZZ
        @given(create=create_bodies, start=start_bodies)
        def check(create: Any, start: Any) -> None:
            assert send(loop, a, "POST", f"/containers/{cid}/exec", encoded(create)) < 500
            assert send(loop, a, "POST", "/exec/nosuch/start", encoded(start)) < 500

        check()


QUERY_VALUES = st.text(max_size=10) | WORDS | st.integers(-(2**70), 2**70).map(str) | \
    ANY_JSON.map(json.dumps)


def test_query_strings_never_get_a_5xx() -> None:
    endpoints = [
        ("GET", "/containers/json", ("all", "limit", "filters", "size")),
        ("GET", "/containers/{id}/json", ("size",)),
        ("GET", "/containers/{id}/logs", ("stdout", "stderr", "tail", "since", "until",
                                          "timestamps")),
        ("POST", "/containers/{id}/kill", ("signal",)),
        ("POST", "/containers/{id}/resize", ("h", "w")),
        ("POST", "/containers/{id}/rename", ("name",)),
        ("POST", "/containers/prune", ("filters",)),
        ("GET", "/events", ("since", "filters")),  # "until" fixed below: a bounded stream
    ]
    with live_api() as (loop, a):
        cid = loop.run_until_complete(a.create("queried", Cmd=["sleep", "60"]))

        @FUZZ
        @given(endpoint=st.sampled_from(endpoints), values=st.lists(QUERY_VALUES, min_size=6,
                                                                     max_size=6))
        def check(endpoint: tuple[str, str, tuple[str, ...]], values: list[str]) -> None:
            method, path, keys = endpoint
            query = "&".join(f"{k}={_quote(v)}" for k, v in zip(keys, values, strict=False))
            if path == "/events":
                query = "until=1&" + query  # in the past: the stream ends at once
            url = path.replace("{id}", cid) + "?" + query
            assert send(loop, a, method, url) < 500, url

        check()


def _quote(value: str) -> str:
    return quote(value, safe="")
