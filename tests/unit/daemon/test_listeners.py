"""The API socket has its final mode from the moment it is bound; the exec root is private."""

from __future__ import annotations

import os
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from wharf.daemon.listeners import bind_unix_socket, private_directory, require_one_thread


@pytest.fixture()
def open_umask() -> Iterator[None]:
    """The loosest umask: a socket bound without setting one would be 0777."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def test_socket_is_bound_with_mode_0660_whatever_the_umask(tmp_path: Path,
                                                           open_umask: None) -> None:
    path = tmp_path / "run" / "wharf.sock"
    sock = bind_unix_socket(path)
    try:
        # no chmod happens after bind: the mode seen now is the mode it was created with
        assert stat.S_IMODE(os.lstat(path).st_mode) == 0o660
        assert stat.S_ISSOCK(os.lstat(path).st_mode)
    finally:
        sock.close()
    assert os.umask(0) == 0, "the process umask was not restored"


def test_a_client_that_comes_early_waits_instead_of_being_refused(tmp_path: Path) -> None:
    """Bound before the daemon serves: the socket listens at once, so a connection made while
    wharfd is still starting is queued (it would get ECONNREFUSED otherwise)."""
    path = tmp_path / "wharf.sock"
    server = bind_unix_socket(path)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(5)
            client.connect(str(path))
            accepted, _ = server.accept()
            accepted.close()
    finally:
        server.close()


def test_wharfd_refuses_to_bind_once_threads_exist() -> None:
    release = threading.Event()
    worker = threading.Thread(target=release.wait)
    worker.start()
    try:
        with pytest.raises(RuntimeError, match="before any thread"):
            require_one_thread()
    finally:
        release.set()
        worker.join()


def test_exec_root_is_created_and_tightened_to_0700(tmp_path: Path, open_umask: None) -> None:
    fresh = tmp_path / "fresh" / "exec"
    private_directory(fresh)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o700
    existing = tmp_path / "existing"
    existing.mkdir(mode=0o755)
    private_directory(existing)
    assert stat.S_IMODE(existing.stat().st_mode) == 0o700
