"""The ``root`` and ``compat`` marks, made real (``tests/conftest.py`` applies them).

- ``root``: the test needs root (namespaces, mounts, cgroups, file ownership) or a daemon,
  which runs as root. Every test under ``tests/integration`` and ``tests/compat`` is marked by
  its directory, so a new module there cannot forget it; a unit test that needs root (one that
  unpacks layers, which keeps ownership: chown) carries ``@pytest.mark.root`` or a module's
  ``pytestmark`` itself. Not running as root, a ``root`` test is skipped with the reason.
  ``make unit`` runs ``-m "not root"``: what needs neither root nor a daemon, as any user.
- ``compat``: every test under ``tests/compat`` (a stock client against wharfd).

``pyproject.toml`` declares both and ``--strict-markers`` refuses a misspelt one. (A
``pytestmark`` in a conftest file marks nothing: pytest reads it only in test modules.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT_DIRECTORIES = ("integration", "compat")  # real kernels, real daemons: root only
ROOT_REASON = "needs root (namespaces, mounts, cgroups, file ownership) or a daemon"


def apply_marks(items: list[pytest.Item], tests_dir: Path, *, is_root: bool) -> None:
    """Mark ``items`` by their directory under ``tests_dir``; skip ``root`` ones unless root."""
    for item in items:
        inside = item.path.is_relative_to(tests_dir)
        top = item.path.relative_to(tests_dir).parts[0] if inside else ""
        if top in ROOT_DIRECTORIES:
            item.add_marker(pytest.mark.root)
        if top == "compat":
            item.add_marker(pytest.mark.compat)
        if item.get_closest_marker("root") is not None and not is_root:
            item.add_marker(pytest.mark.skip(reason=ROOT_REASON))
