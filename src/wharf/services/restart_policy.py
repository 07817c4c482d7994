"""Restart policies as dockerd applies them (groundwork of issue 9, not wired yet): the
policy from ``HostConfig.RestartPolicy`` checked with dockerd's messages, and the decision
after each exit with Docker's back-off: 100 ms, doubled at each restart, at most one minute,
back to 100 ms once the container has run for 10 s."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wharf.core.errors import InvalidParameter

NAMES = ("no", "always", "on-failure", "unless-stopped")
FIRST_DELAY = 0.1  # seconds
MAX_DELAY = 60.0
STEADY_RUN = 10.0  # a run this long resets the back-off


@dataclass(frozen=True)
class RestartPolicy:
    name: str = "no"
    max_retries: int = 0  # on-failure only; 0: no limit

    def wants_restart(self, exit_code: int, manually_stopped: bool, restarts: int) -> bool:
        """Whether dockerd restarts after this exit (``restarts`` done so far)."""
        if manually_stopped:
            return False
        if self.name in ("always", "unless-stopped"):
            return True
        if self.name == "on-failure":
            return exit_code != 0 and (self.max_retries == 0 or restarts < self.max_retries)
        return False

    def at_daemon_start(self, manually_stopped: bool) -> bool:
        """Whether a container that was running when the daemon went down is started again."""
        return self.name in ("always", "unless-stopped", "on-failure") and not manually_stopped


def parse_restart_policy(value: Any, auto_remove: bool = False) -> RestartPolicy:
    """``{"Name": ..., "MaximumRetryCount": n}`` checked with dockerd's rules and words (an
    empty name takes any count, for old clients, and means "no")."""
    value = value or {}
    name = str(value.get("Name") or "")
    retries = value.get("MaximumRetryCount") or 0
    if not isinstance(retries, int) or isinstance(retries, bool):
        raise InvalidParameter("invalid restart policy: maximum retry count must be a number")
    if name not in ("", *NAMES):
        raise InvalidParameter(f"invalid restart policy: unknown policy '{name}'; use one of "
                               "'no', 'always', 'on-failure', or 'unless-stopped'")
    if name == "on-failure" and retries < 0:
        raise InvalidParameter("invalid restart policy: maximum retry count cannot be negative")
    if name not in ("", "on-failure") and retries:
        suffix = " and cannot be negative" if retries < 0 else ""
        raise InvalidParameter("invalid restart policy: maximum retry count can only be used "
                               f"with 'on-failure'{suffix}")
    policy = RestartPolicy(name or "no", retries if name == "on-failure" else 0)
    if auto_remove and policy.name != "no":
        raise InvalidParameter("can't create 'AutoRemove' container with restart policy")
    return policy


@dataclass
class RestartBackoff:
    """The delay before the next restart of one container."""

    delay: float = 0.0

    def next_delay(self, ran_for: float) -> float:
        """After a run of ``ran_for`` seconds: the wait before restarting."""
        if ran_for >= STEADY_RUN or self.delay == 0.0:
            self.delay = FIRST_DELAY
        else:
            self.delay = min(self.delay * 2, MAX_DELAY)
        return self.delay
