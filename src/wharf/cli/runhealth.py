"""``run``/``create`` health-check flags → ``Config.Healthcheck``, with docker's validation
and messages; and wharf's ``--health-on-failure`` (Podman's), sent as the label
``wharf.health-on-failure`` (the API has no field for it)."""

from __future__ import annotations

from wharf.cli.command import CommandFailed
from wharf.cli.flags import BOOL, INT, STRING, Flag, Parsed
from wharf.core.units import parse_go_duration

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

ON_FAILURE_LABEL = "wharf.health-on-failure"
ON_FAILURE_ACTIONS = ("none", "kill", "restart", "stop")
_DURATION_FLAGS = ("health-interval", "health-timeout", "health-start-period",
                   "health-start-interval")

HEALTH_FLAGS = (
    Flag("health-cmd", "", STRING, "Command to run to check health"),
    Flag("health-interval", "", STRING, "Time between running the check (ms|s|m|h) "
         "(default 0s)", type_name="duration"),
    Flag("health-on-failure", "", STRING, "Action to take once the container turns "
         "unhealthy (none, kill, restart, stop; wharf's)", default="none"),
    Flag("health-retries", "", INT, "Consecutive failures needed to report unhealthy"),
    Flag("health-start-interval", "", STRING, "Time between running the check during the "
         "start period (ms|s|m|h) (default 0s)", type_name="duration"),
    Flag("health-start-period", "", STRING, "Start period for the container to initialize "
         "before starting health-retries countdown (ms|s|m|h) (default 0s)",
         type_name="duration"),
    Flag("health-timeout", "", STRING, "Maximum time to allow one check to run (ms|s|m|h) "
         "(default 0s)", type_name="duration"),
    Flag("no-healthcheck", "", BOOL, "Disable any container-specified HEALTHCHECK"),
)


def parse_duration(text: str, flag: str) -> int:
    """Go's ``time.ParseDuration`` in nanoseconds (docker's flag error when malformed)."""
    try:
        return parse_go_duration(text)
    except ValueError as err:
        raise CommandFailed(125, f'invalid argument "{text}" for "--{flag}" flag: {err}') from None


def healthcheck(opts: Parsed) -> dict[str, Any] | None:
    """docker's ``Config.Healthcheck`` for the flags (None when none is given)."""
    durations = {name: parse_duration(str(opts[name]), name) if opts[name] else 0
                 for name in _DURATION_FLAGS}
    retries = int(opts["health-retries"] or 0)
    settings = bool(opts["health-cmd"]) or retries != 0 or any(durations.values())
    if opts["no-healthcheck"]:
        if settings:
            raise CommandFailed(125, "--no-healthcheck conflicts with --health-* options")
        return {"Test": ["NONE"]}
    if not settings:
        return None
    for name, value in (*durations.items(), ("health-retries", retries)):
        if value < 0:
            raise CommandFailed(125, f"--{name} cannot be negative")
    return {
        "Test": ["CMD-SHELL", str(opts["health-cmd"])] if opts["health-cmd"] else None,
        "Interval": durations["health-interval"], "Timeout": durations["health-timeout"],
        "StartPeriod": durations["health-start-period"],
        "StartInterval": durations["health-start-interval"], "Retries": retries,
    }


def on_failure_labels(opts: Parsed) -> dict[str, str]:
    """The label that carries ``--health-on-failure`` (none for the default)."""
    action = str(opts["health-on-failure"] or "none")
    if action not in ON_FAILURE_ACTIONS:
        raise CommandFailed(125, f'invalid argument "{action}" for "--health-on-failure" '
                                 "flag: must be one of none, kill, restart or stop")
    return {} if action == "none" else {ON_FAILURE_LABEL: action}
