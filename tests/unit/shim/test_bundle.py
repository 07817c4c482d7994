"""What the shim takes from config.json."""

from __future__ import annotations

import json
from pathlib import Path

from wharf.runtime.shim.bundle import BundleSpec


def test_exec_inherits_the_init_settings(tmp_path: Path) -> None:
    caps = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}
    (tmp_path / "config.json").write_text(json.dumps({
        "process": {"args": ["init"], "env": ["A=1"], "cwd": "/app", "capabilities": caps,
                    "user": {"uid": 5, "gid": 6}, "noNewPrivileges": True, "terminal": True},
        "linux": {"cgroupsPath": "/wharf/abc"},
    }))
    bundle = BundleSpec(tmp_path)
    assert bundle.cgroups_path == "/wharf/abc"
    process = bundle.exec_process({"args": ["ls"], "env": ["B=2"]}, tty=False)
    assert process == {"args": ["ls"], "env": ["B=2"], "cwd": "/app", "capabilities": caps,
                       "user": {"uid": 5, "gid": 6}, "noNewPrivileges": True, "terminal": False}


def test_missing_or_damaged_config(tmp_path: Path) -> None:
    assert BundleSpec(tmp_path).cgroups_path == ""
    (tmp_path / "config.json").write_text("{not json")
    bundle = BundleSpec(tmp_path)
    assert bundle.exec_process({"args": ["x"]}, tty=True) == {
        "args": ["x"], "cwd": "/", "user": {"uid": 0, "gid": 0}, "terminal": True,
    }
