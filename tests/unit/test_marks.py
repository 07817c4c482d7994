"""The ``root`` and ``compat`` marks do select and skip (``tests.support.marks``), checked on a
small suite of their own run by pytester: a mark that only decorates would fail here."""

from __future__ import annotations

import os

import pytest

pytest_plugins = ["pytester"]

CONFTEST = """
import os
from pathlib import Path

import pytest

from tests.support.marks import apply_marks


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    apply_marks(items, Path(__file__).parent, is_root=os.geteuid() == 0)
"""
INI = """
[pytest]
addopts = --strict-markers -p no:cacheprovider
markers =
    root: needs root
    compat: a stock client
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makeini(INI)
    for directory, module, body in [
        ("integration", "test_daemon_side.py", "def test_a(): pass\n"),
        ("compat", "test_client_side.py", "def test_b(): pass\n"),
        ("unit", "test_plain.py", "import pytest\n\n"
                                  "def test_c(): pass\n\n"
                                  "@pytest.mark.root\ndef test_d(): pass\n"),
    ]:
        (pytester.path / directory).mkdir()
        (pytester.path / directory / module).write_text(body)
    return pytester


def test_not_root_selects_only_unmarked_unit_tests(suite: pytest.Pytester) -> None:
    result = suite.runpytest_inprocess("-m", "not root")
    result.assert_outcomes(passed=1, deselected=3)
    assert suite.runpytest_inprocess("-m", "compat").parseoutcomes()["deselected"] == 3


def test_root_tests_are_skipped_with_the_reason_unless_root(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    result = suite.runpytest_inprocess("-rs")
    result.assert_outcomes(passed=1, skipped=3)
    result.stdout.fnmatch_lines(["*needs root (namespaces, mounts, cgroups*"])
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    suite.runpytest_inprocess().assert_outcomes(passed=4)


def test_the_project_declares_its_marks_and_refuses_others(request: pytest.FixtureRequest) -> None:
    declared = {line.split(":", 1)[0] for line in request.config.getini("markers")}
    assert {"root", "compat"} <= declared
    assert request.config.option.strict_markers  # a misspelt mark is an error, not a no-op
