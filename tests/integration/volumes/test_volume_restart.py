"""A daemon restart rebuilds who holds which volume from the running containers: a tmpfs
volume a live-restored container uses stays mounted, and is unmounted when it stops; one no
running container uses is unmounted at start."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from tests.support.daemons import (
    import_busybox,
    shut_down_wharfd,
    start_wharfd,
    stop_process,
)


def mounted(path: Path) -> bool:
    return f" {path} " in Path("/proc/self/mounts").read_text()


def test_a_live_restored_container_keeps_its_volume_mounted(tmp_path: Path) -> None:
    volume = f"wr-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    home = tmp_path / "d"
    first = start_wharfd(home, "--live-restore")
    daemon = first
    try:
        import_busybox(first)
        first.docker("volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs",
                     volume)
        data = first.data_root / "volumes" / volume / "_data"
        cid = first.docker("run", "-d", "-v", f"{volume}:/data", "busybox", "sleep",
                           "60").stdout.decode().strip()
        assert mounted(data)
        stop_process(first.proc)
        daemon = start_wharfd(home, "--live-restore", log_name="wharfd-second.log")
        assert mounted(data)
        rm = daemon.docker("volume", "rm", volume, check=False)
        assert rm.returncode == 1 and b"volume is in use" in rm.stderr
        daemon.docker("stop", "-t", "0", cid)
        assert not mounted(data)
        daemon.docker("rm", cid)
        daemon.docker("volume", "rm", volume)
        assert not data.parent.exists()
    finally:
        daemon.request("DELETE", f"/volumes/{volume}?force=1")
        shut_down_wharfd(daemon, home)
