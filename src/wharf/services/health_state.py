"""Health checks as dockerd keeps them (groundwork of issue 9, pure, not wired yet): the
effective check (the container's settings over the image's, Docker's defaults for what neither
sets) and ``State.Health`` updated by each probe's result — ``starting`` until a probe passes
or the failing streak reaches the retries outside the start period, the last 5 results kept
with their output cut at 4096 bytes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wharf.build.gofmt import go_duration
from wharf.core.errors import InvalidParameter

NANOS = 1_000_000_000
DEFAULT_INTERVAL = 30 * NANOS
DEFAULT_TIMEOUT = 30 * NANOS
DEFAULT_START_INTERVAL = 5 * NANOS
DEFAULT_RETRIES = 3
MAX_LOG_ENTRIES = 5
MAX_OUTPUT = 4096

STARTING, HEALTHY, UNHEALTHY = "starting", "healthy", "unhealthy"


@dataclass(frozen=True)
class HealthCheck:
    test: tuple[str, ...]  # ("CMD", ...) or ("CMD-SHELL", "...")
    interval: int = DEFAULT_INTERVAL  # nanoseconds, as the API carries them
    timeout: int = DEFAULT_TIMEOUT
    start_period: int = 0
    start_interval: int = DEFAULT_START_INTERVAL
    retries: int = DEFAULT_RETRIES

    def argv(self, shell: list[str]) -> list[str]:
        """The probe's command line (``CMD-SHELL`` through the image's shell)."""
        if self.test[0] == "CMD-SHELL":
            return [*shell, " ".join(self.test[1:])]
        return list(self.test[1:])


def effective_check(container: dict[str, Any] | None,
                    image: dict[str, Any] | None) -> HealthCheck | None:
    """The check that runs: none when neither sets a test, or the test is ``NONE``
    (``--no-healthcheck``); each zero field of the container's takes the image's."""
    container, image = container or {}, image or {}
    test = container.get("Test") or image.get("Test") or []
    if not test or test[0] == "NONE":
        return None
    if test[0] not in ("CMD", "CMD-SHELL"):
        raise InvalidParameter(f"unknown health check type: {test[0]!r} (CMD, CMD-SHELL "
                               "or NONE)")
    defaults = {"Interval": DEFAULT_INTERVAL, "Timeout": DEFAULT_TIMEOUT, "StartPeriod": 0,
                "StartInterval": DEFAULT_START_INTERVAL, "Retries": DEFAULT_RETRIES}
    values = {key: container.get(key) or image.get(key) or default
              for key, default in defaults.items()}
    return HealthCheck(tuple(test), int(values["Interval"]), int(values["Timeout"]),
                       int(values["StartPeriod"]), int(values["StartInterval"]),
                       int(values["Retries"]))


@dataclass
class HealthState:
    """``State.Health``: its status, failing streak and last results."""

    status: str = STARTING
    failing_streak: int = 0
    log: list[dict[str, Any]] = field(default_factory=list)

    def record(self, check: HealthCheck, start: str, end: str, exit_code: int, output: str,
               in_start_period: bool) -> str | None:
        """One probe's result; returns the new status when it changed (for the
        ``health_status`` event), else None. A failure inside the start period does not
        count, unless the container was healthy already."""
        self.log = [*self.log, {"Start": start, "End": end, "ExitCode": exit_code,
                                "Output": output[:MAX_OUTPUT]}][-MAX_LOG_ENTRIES:]
        before = self.status
        if exit_code == 0:
            self.failing_streak = 0
            self.status = HEALTHY
        elif not (in_start_period and self.status != HEALTHY):
            self.failing_streak += 1
            if self.failing_streak >= check.retries:
                self.status = UNHEALTHY
        return self.status if self.status != before else None

    def to_api(self) -> dict[str, Any]:
        return {"Status": self.status, "FailingStreak": self.failing_streak, "Log": self.log}


def timeout_output(check: HealthCheck) -> str:
    """dockerd's output for a probe that ran past its timeout (exit code -1)."""
    return f"Health check exceeded timeout ({go_duration(check.timeout)})"
