"""A daemon killed mid-build leaves nothing behind once it is back: the build's context and
its RUN container (label ``wharf.build``) are swept at start."""

from __future__ import annotations

import contextlib
import http.client
import json
import signal
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from tests.integration.build.test_build import context_tar
from tests.support.daemons import Daemon, import_busybox, shut_down_wharfd, start_wharfd

pytestmark = pytest.mark.root


def build_containers(daemon: Daemon) -> list[dict[str, object]]:
    filters = urllib.parse.quote(json.dumps({"label": ["wharf.build"]}))
    listed = daemon.json("GET", f"/containers/json?all=1&filters={filters}")
    assert isinstance(listed, list)
    return listed


def test_killed_mid_build_is_swept_at_start(tmp_path: Path) -> None:
    daemon = start_wharfd(tmp_path)
    try:
        import_busybox(daemon)
        body = context_tar({"Dockerfile": "FROM busybox\nRUN sleep 60\n"})
        request = threading.Thread(target=_request_quietly, args=(daemon, body), daemon=True)
        request.start()
        deadline = time.monotonic() + 30
        while not build_containers(daemon) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert build_containers(daemon), "the RUN container never appeared"
        assert list((daemon.data_root / "build" / "contexts").iterdir())
        daemon.proc.send_signal(signal.SIGKILL)
        daemon.proc.wait(timeout=30)
        request.join(timeout=30)

        daemon = start_wharfd(tmp_path, log_name="wharfd-after-kill.log")
        assert build_containers(daemon) == []
        assert list((daemon.data_root / "build" / "contexts").iterdir()) == []
    finally:
        shut_down_wharfd(daemon, tmp_path)


def _request_quietly(daemon: Daemon, body: bytes) -> None:
    with contextlib.suppress(OSError, http.client.HTTPException):  # killed under it
        daemon.request("POST", "/build", body, {"Content-Type": "application/x-tar"})
