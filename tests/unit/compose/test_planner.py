"""What up decides for a service's containers."""

from wharf.compose.planner import (
    CREATE,
    KEEP,
    RECREATE,
    REMOVE,
    START,
    Existing,
    Wanted,
    orphans,
    plan_service,
)


def _c(number: int, hash_: str = "h", image: str = "img", running: bool = True) -> Existing:
    return Existing(f"id{number}", f"p-web-{number}", number, hash_, image, running)


def _actions(existing: list[Existing], wanted: Wanted) -> list[tuple[str, int]]:
    return [(s.action, s.number) for s in plan_service(existing, wanted)]


def test_nothing_yet_creates_up_to_scale() -> None:
    assert _actions([], Wanted(2, "h")) == [(CREATE, 1), (CREATE, 2)]


def test_unchanged_kept_stopped_started() -> None:
    assert _actions([_c(1), _c(2, running=False)], Wanted(2, "h", "img")) == [
        (KEEP, 1), (START, 2)]


def test_changed_hash_or_image_recreates() -> None:
    assert _actions([_c(1, hash_="old")], Wanted(1, "h")) == [(RECREATE, 1)]
    assert _actions([_c(1, image="old")], Wanted(1, "h", "img")) == [(RECREATE, 1)]
    assert _actions([_c(1, image="old")], Wanted(1, "h", None)) == [(KEEP, 1)]


def test_force_and_no_recreate() -> None:
    assert _actions([_c(1)], Wanted(1, "h", force_recreate=True)) == [(RECREATE, 1)]
    assert _actions([_c(1, hash_="old")], Wanted(1, "h", no_recreate=True)) == [(KEEP, 1)]


def test_scale_down_removes_highest_first_and_fills_gaps() -> None:
    assert _actions([_c(1), _c(2), _c(3)], Wanted(1, "h")) == [
        (REMOVE, 3), (REMOVE, 2), (KEEP, 1)]
    assert _actions([_c(2)], Wanted(3, "h")) == [(KEEP, 2), (CREATE, 1), (CREATE, 3)]
    assert _actions([_c(1)], Wanted(0, "h")) == [(REMOVE, 1)]


def test_orphans() -> None:
    pairs = [("p-web-1", "web"), ("p-old-1", "old"), ("p-gone-2", "gone")]
    assert orphans(pairs, {"web"}) == ["p-gone-2", "p-old-1"]
