"""Health checks: the effective check, State.Health over probe results, dockerd's texts."""

from __future__ import annotations

import pytest

from wharf.core.errors import InvalidParameter
from wharf.services.health_state import (
    DEFAULT_INTERVAL,
    DEFAULT_RETRIES,
    HEALTHY,
    NANOS,
    STARTING,
    UNHEALTHY,
    HealthCheck,
    HealthState,
    effective_check,
    timeout_output,
)


def test_the_container_overrides_the_image_field_by_field() -> None:
    image = {"Test": ["CMD-SHELL", "true"], "Interval": 5 * NANOS, "Retries": 7}
    check = effective_check({"Timeout": 2 * NANOS}, image)
    assert check == HealthCheck(("CMD-SHELL", "true"), 5 * NANOS, 2 * NANOS, retries=7)
    own = effective_check({"Test": ["CMD", "probe", "-x"]}, image)
    assert own is not None and own.test == ("CMD", "probe", "-x") and own.retries == 7


def test_none_or_nothing_means_no_check() -> None:
    assert effective_check({"Test": ["NONE"]}, {"Test": ["CMD", "x"]}) is None
    assert effective_check(None, None) is None
    with pytest.raises(InvalidParameter):
        effective_check({"Test": ["BOGUS", "x"]}, None)


def test_defaults_are_dockers() -> None:
    check = effective_check({"Test": ["CMD", "x"]}, None)
    assert check is not None
    assert (check.interval, check.retries, check.start_period) == (
        DEFAULT_INTERVAL, DEFAULT_RETRIES, 0)


def test_argv_runs_shell_checks_through_the_shell() -> None:
    assert HealthCheck(("CMD-SHELL", "curl -f x")).argv(["/bin/sh", "-c"]) == [
        "/bin/sh", "-c", "curl -f x"]
    assert HealthCheck(("CMD", "a", "b")).argv(["/bin/sh", "-c"]) == ["a", "b"]


def test_status_moves_with_the_results() -> None:
    check = HealthCheck(("CMD", "x"), retries=2)
    state = HealthState()
    assert state.record(check, "s", "e", 1, "no", in_start_period=True) is None  # grace
    assert (state.status, state.failing_streak) == (STARTING, 0)
    assert state.record(check, "s", "e", 0, "ok", in_start_period=True) == HEALTHY
    assert state.record(check, "s", "e", 1, "no", in_start_period=True) is None
    assert state.failing_streak == 1  # counted: it was healthy already
    assert state.record(check, "s", "e", 1, "no", in_start_period=False) == UNHEALTHY
    assert state.record(check, "s", "e", 0, "ok", in_start_period=False) == HEALTHY
    assert state.failing_streak == 0


def test_the_log_keeps_five_results_and_cuts_output() -> None:
    check = HealthCheck(("CMD", "x"))
    state = HealthState()
    for code in range(7):
        state.record(check, f"s{code}", "e", code, "y" * 5000, in_start_period=False)
    assert [entry["Start"] for entry in state.log] == ["s2", "s3", "s4", "s5", "s6"]
    assert all(len(entry["Output"]) == 4096 for entry in state.log)
    assert state.to_api()["Status"] == UNHEALTHY


def test_timeout_text_is_dockerds() -> None:
    assert timeout_output(HealthCheck(("CMD", "x"), timeout=3 * NANOS)) == (
        "Health check exceeded timeout (3s)")
    assert timeout_output(HealthCheck(("CMD", "x"), timeout=90 * NANOS)) == (
        "Health check exceeded timeout (1m30s)")
