"""Pure parts of the sandbox bookkeeping: which namespace files there are, which container
ids make a path, and that a job's result or error comes back from its own thread."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from wharf.core.errors import InvalidParameter, NotFound
from wharf.core.netspec import EndpointSpec
from wharf.network import netns
from wharf.network.driver import BridgeDriver


def test_list_files_names_the_files_only(tmp_path: Path) -> None:
    assert netns.list_files(tmp_path / "absent") == []
    (tmp_path / "b").touch()
    (tmp_path / "a").touch()
    (tmp_path / "dir").mkdir()
    assert netns.list_files(tmp_path) == ["a", "b"]


def test_run_in_thread_returns_or_raises_from_a_thread_of_its_own() -> None:
    main = threading.get_native_id()
    assert netns.run_in_thread(threading.get_native_id) != main
    with pytest.raises(KeyError, match="boom"):
        netns.run_in_thread(lambda: {}["boom"])


def test_remove_tolerates_an_absent_file(tmp_path: Path) -> None:
    netns.remove(tmp_path / "nothing")


@pytest.mark.parametrize("bad", ["../etc", "a/b", "", ".hidden", "x" * 200])
def test_a_container_id_that_is_not_a_plain_name_is_refused(tmp_path: Path, bad: str) -> None:
    driver = BridgeDriver(tmp_path, iptables=False)
    with pytest.raises(InvalidParameter):
        driver.remove_sandbox(bad)


def test_connect_without_a_sandbox_is_not_found(tmp_path: Path) -> None:
    driver = BridgeDriver(tmp_path, iptables=False)
    spec = EndpointSpec("br", "eth1", "wv0", "02:42:00:00:00:01", ("10.0.0.2/24",))
    with pytest.raises(NotFound, match="has no network sandbox"):
        driver.connect("c" * 64, spec)
