"""Stage output kept in Dockerfile order; --cache-from matching by history and diff ids."""

from __future__ import annotations

from typing import Any

from wharf.services.build_cache import history_matches
from wharf.services.build_session import StageOutputs


def test_later_stages_are_held_until_earlier_ones_finish() -> None:
    seen: list[str] = []
    outputs = StageOutputs(lambda m: seen.append(m["stream"]), [0, 2, 3])
    first, second, third = (outputs.writer(i) for i in (0, 2, 3))
    third({"stream": "c1"})
    first({"stream": "a1"})
    second({"stream": "b1"})
    assert seen == ["a1"]
    outputs.done(3)  # finished early: still waits for 0 and 2
    assert seen == ["a1"]
    outputs.done(0)
    assert seen == ["a1", "b1"]
    second({"stream": "b2"})
    outputs.done(2)
    assert seen == ["a1", "b1", "b2", "c1"]


def test_flush_after_a_failure_lets_everything_out() -> None:
    seen: list[str] = []
    outputs = StageOutputs(lambda m: seen.append(m["stream"]), [0, 1])
    outputs.writer(1)({"stream": "later"})
    outputs.flush_all()
    assert seen == ["later"]


def config(history: list[tuple[str, bool]], diff_ids: list[str]) -> dict[str, Any]:
    return {"history": [{"created_by": c, "empty_layer": e} for c, e in history],
            "rootfs": {"type": "layers", "diff_ids": diff_ids}}


def test_cache_from_matches_parent_plus_one_step() -> None:
    parent = config([("import", False)], ["sha256:a"])
    child = config([("import", False), ("/bin/sh -c echo", False)], ["sha256:a", "sha256:b"])
    meta = config([("import", False), ("#(nop) ENV", True)], ["sha256:a"])
    assert history_matches(child, parent, "/bin/sh -c echo", layer=True)
    assert history_matches(child, parent, "/bin/sh -c echo", layer=None)
    assert not history_matches(child, parent, "/bin/sh -c other", layer=True)
    assert not history_matches(child, parent, "/bin/sh -c echo", layer=False)
    assert history_matches(meta, parent, "#(nop) ENV", layer=False)
    other_base = config([("import", False)], ["sha256:z"])
    assert not history_matches(child, other_base, "/bin/sh -c echo", layer=True)
    assert history_matches(config([("x", True)], []), None, "x", layer=False)


def test_cache_from_matches_a_step_in_the_middle_of_a_longer_history() -> None:
    parent = config([("import", False)], ["sha256:a"])
    longer = config([("import", False), ("ENV", True), ("RUN", False), ("CMD", True)],
                    ["sha256:a", "sha256:b"])
    assert history_matches(longer, parent, "ENV", layer=False)
    after_env = config([("import", False), ("ENV", True)], ["sha256:a"])
    assert history_matches(longer, after_env, "RUN", layer=True)
    assert not history_matches(longer, after_env, "CMD", layer=False)
    broken = config([("import", False), ("RUN", False)], ["sha256:a"])  # a layer missing
    assert not history_matches(broken, parent, "RUN", layer=True)
