"""Restart policies: dockerd's checks and words, the decision after an exit, the back-off."""

from __future__ import annotations

import pytest

from wharf.core.errors import InvalidParameter
from wharf.services.restart_policy import (
    FIRST_DELAY,
    MAX_DELAY,
    RestartBackoff,
    RestartPolicy,
    parse_restart_policy,
)


@pytest.mark.parametrize(("value", "expected"), [
    (None, RestartPolicy("no")),
    ({"Name": "", "MaximumRetryCount": 123}, RestartPolicy("no")),  # old clients
    ({"Name": "", "MaximumRetryCount": -1}, RestartPolicy("no")),
    ({"Name": "always"}, RestartPolicy("always")),
    ({"Name": "unless-stopped"}, RestartPolicy("unless-stopped")),
    ({"Name": "on-failure", "MaximumRetryCount": 3}, RestartPolicy("on-failure", 3)),
])
def test_accepted(value: object, expected: RestartPolicy) -> None:
    assert parse_restart_policy(value) == expected


CAN_ONLY = "invalid restart policy: maximum retry count can only be used with 'on-failure'"


@pytest.mark.parametrize(("value", "message"), [
    ({"Name": "always", "MaximumRetryCount": 1}, CAN_ONLY),
    ({"Name": "no", "MaximumRetryCount": -1}, CAN_ONLY + " and cannot be negative"),
    ({"Name": "unless-stopped", "MaximumRetryCount": 2}, CAN_ONLY),
    ({"Name": "on-failure", "MaximumRetryCount": -2},
     "invalid restart policy: maximum retry count cannot be negative"),
    ({"Name": "sometimes"}, "invalid restart policy: unknown policy 'sometimes'; use one of "
                            "'no', 'always', 'on-failure', or 'unless-stopped'"),
])
def test_refused_with_dockerds_words(value: object, message: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_restart_policy(value)
    assert caught.value.message == message


def test_auto_remove_takes_no_policy() -> None:
    with pytest.raises(InvalidParameter, match="AutoRemove"):
        parse_restart_policy({"Name": "always"}, auto_remove=True)
    assert parse_restart_policy({"Name": "no"}, auto_remove=True) == RestartPolicy("no")


def test_decision_after_an_exit() -> None:
    assert RestartPolicy("always").wants_restart(0, manually_stopped=False, restarts=9)
    assert not RestartPolicy("always").wants_restart(0, manually_stopped=True, restarts=0)
    assert not RestartPolicy("unless-stopped").wants_restart(1, True, 0)
    on_failure = RestartPolicy("on-failure", 2)
    assert not on_failure.wants_restart(0, False, 0)
    assert on_failure.wants_restart(1, False, 1)
    assert not on_failure.wants_restart(1, False, 2)
    assert RestartPolicy("on-failure").wants_restart(1, False, 10_000)  # 0: no limit
    assert not RestartPolicy("no").wants_restart(1, False, 0)


def test_daemon_start() -> None:
    assert RestartPolicy("always").at_daemon_start(manually_stopped=False)
    assert not RestartPolicy("unless-stopped").at_daemon_start(manually_stopped=True)
    assert not RestartPolicy("no").at_daemon_start(manually_stopped=False)


def test_backoff_doubles_to_a_minute_and_resets_after_a_steady_run() -> None:
    backoff = RestartBackoff()
    delays = [backoff.next_delay(ran_for=0.5) for _ in range(12)]
    assert delays[:4] == [FIRST_DELAY, 0.2, 0.4, 0.8]
    assert delays[-1] == MAX_DELAY and max(delays) == MAX_DELAY
    assert backoff.next_delay(ran_for=10.0) == FIRST_DELAY
