"""The daemon's ``--log-opt`` defaults reach each container's ``HostConfig.LogConfig`` (as
dockerd shows them), a container's own options win, and rotation follows what is shown."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.daemons import Daemon, import_busybox, wharfd_running


@pytest.fixture(scope="module")
def tuned() -> Iterator[Daemon]:
    if os.geteuid() != 0:
        pytest.skip("needs root")
    tmp = Path(tempfile.mkdtemp(prefix="wharf-it-"))
    try:
        with wharfd_running(tmp, "--log-opt", "max-size=1k", "--log-opt", "max-file=2") as d:
            import_busybox(d)
            yield d
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_daemon_log_opts_apply_and_show(tuned: Daemon) -> None:
    tuned.json("POST", "/containers/create?name=chatty", {
        "Image": "busybox", "Cmd": ["sh", "-c", "for i in $(seq 200); do echo line-$i; done"]})
    tuned.json("POST", "/containers/create?name=own", {
        "Image": "busybox", "HostConfig": {"LogConfig": {"Config": {"max-file": "4"}}}})
    try:
        shown = tuned.json("GET", "/containers/chatty/json")
        assert isinstance(shown, dict)
        assert shown["HostConfig"]["LogConfig"] == {
            "Type": "json-file", "Config": {"max-size": "1k", "max-file": "2"}}
        own = tuned.json("GET", "/containers/own/json")
        assert isinstance(own, dict)
        assert own["HostConfig"]["LogConfig"]["Config"] == {"max-size": "1k", "max-file": "4"}
        tuned.json("POST", "/containers/chatty/start")
        tuned.json("POST", "/containers/chatty/wait")
        ran = tuned.json("GET", "/containers/chatty/json")
        assert isinstance(ran, dict) and ran["LogPath"]
        log = Path(str(ran["LogPath"]))
        files = sorted(p.name for p in log.parent.iterdir() if p.name.startswith(log.name))
        assert files == [log.name, log.name + ".1"]  # max-file=2: the live file and one more
        assert all((log.parent / name).stat().st_size <= 1000 + 200 for name in files)
    finally:
        tuned.request("DELETE", "/containers/chatty?force=1")
        tuned.request("DELETE", "/containers/own?force=1")
