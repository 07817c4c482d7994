"""Structural start-up test: the CLI's light paths must not import heavy modules.

Runs the CLI in a fresh interpreter and inspects ``sys.modules`` afterwards; timing is left to
benchmarks, this only fails when a heavy import sneaks onto a path that must stay light.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("asyncio", "aiohttp", "ssl", "http.server", "http.client", "email", "urllib.request",
         "wharf.api", "wharf.daemon", "wharf.services", "wharf.store", "wharf.runtime")
ALWAYS_LIGHT = ("dataclasses", "inspect", "typing", "argparse", "threading", "socket",
                "json", "re", "enum", "wharf.cli.template", "wharf.cli.formatting")

PROBE = """
import io, sys
from wharf.cli.main import main
main(sys.argv[1:], {"WHARF_HOST": "unix:///nonexistent/wharf.sock"}, io.BytesIO(),
     io.BytesIO(), io.BytesIO())
loaded = sorted(sys.modules)
print(" ".join(loaded))
"""


def modules_after(*argv: str, config_dir: str = "/nonexistent/docker-config") -> set[str]:
    """Modules loaded by the CLI (credentials read from ``config_dir``, never the user's)."""
    probe = PROBE.replace('{"WHARF_HOST"', f'{{"DOCKER_CONFIG": {config_dir!r}, "WHARF_HOST"')
    result = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True,
                            text=True, timeout=60, check=True)
    return set(result.stdout.splitlines()[-1].split())


def imported(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return [name for name in names
            if name in modules or any(m.startswith(name + ".") for m in modules)]


@pytest.mark.parametrize("argv", [("ps", "--help"), ("version",), ("stop", "x"),
                                  ("--help",), ("container", "ls", "--help")])
def test_light_paths_import_nothing_heavy(argv: tuple[str, ...]) -> None:
    modules = modules_after(*argv)
    assert imported(modules, HEAVY) == []
    assert imported(modules, ALWAYS_LIGHT) == []


def test_only_the_command_module_is_imported() -> None:
    modules = modules_after("ps", "--help")
    commands = sorted(m for m in modules if m.startswith("wharf.cli.commands."))
    assert commands == ["wharf.cli.commands.common", "wharf.cli.commands.ps"]


@pytest.mark.parametrize("argv", [("run", "--help"), ("images",), ("inspect", "x"),
                                  ("exec", "--help"), ("logs", "x")])
def test_streaming_paths_stay_free_of_server_and_async_modules(argv: tuple[str, ...]) -> None:
    assert imported(modules_after(*argv), HEAVY) == []


@pytest.mark.parametrize("argv", [("pull", "busybox"), ("push", "x"), ("search", "x"),
                                  ("login", "-u", "u", "-p", "p"), ("logout",),
                                  ("save", "x"), ("load", "-i", "/nonexistent"),
                                  ("registry", "serve", "--help")])
def test_distribution_commands_stay_light(argv: tuple[str, ...], tmp_path: Path) -> None:
    """Off a terminal rich is not imported (it is only for bars); nothing server-side or
    async is, and the registry server only ever runs in its own process."""
    modules = modules_after(*argv, config_dir=str(tmp_path))
    assert imported(modules, (*HEAVY, "rich", "urllib3", "wharf.registry")) == []
