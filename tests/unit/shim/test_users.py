"""``--user`` resolution inside the rootfs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wharf.core.errors import RuntimeFailure
from wharf.runtime import users
from wharf.runtime.users import lookup_user, resolve_user


@pytest.fixture
def rootfs(tmp_path: Path) -> Path:
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "passwd").write_text(
        "root:x:0:0:root:/root:/bin/sh\n"
        "# a comment\n"
        "app:x:1000:1000:app:/home/app:/bin/sh\n"
        "broken line\n"
        "svc:x:1001:50::/srv:/bin/false\n"
    )
    (etc / "group").write_text(
        "root:x:0:\nstaff:x:50:app,svc\napp:x:1000:\nwheel:x:10:app\naudio:x:63:\n"
    )
    return tmp_path


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("", (0, 0, [])),
        ("root", (0, 0, [])),
        ("app", (1000, 1000, [50, 10])),
        ("1000", (1000, 1000, [50, 10])),
        ("app:audio", (1000, 63, [])),
        ("1001:10", (1001, 10, [])),
        ("4242", (4242, 0, [])),
        ("4242:4343", (4242, 4343, [])),
    ],
)
def test_forms(rootfs: Path, user: str, expected: tuple[int, int, list[int]]) -> None:
    assert resolve_user(rootfs, user) == expected


def test_home(rootfs: Path) -> None:
    assert lookup_user(rootfs, "app").home == "/home/app"
    assert lookup_user(rootfs, "4242").home == "/"


def test_unknown_names(rootfs: Path) -> None:
    no_user = "unable to find user xyz: no matching entries in passwd file"
    with pytest.raises(RuntimeFailure, match=no_user):
        resolve_user(rootfs, "xyz")
    no_group = "unable to find group nope: no matching entries in group file"
    with pytest.raises(RuntimeFailure, match=no_group):
        resolve_user(rootfs, "app:nope")


def test_missing_files_allow_numeric_ids(tmp_path: Path) -> None:
    assert resolve_user(tmp_path, "12:34") == (12, 34, [])
    with pytest.raises(RuntimeFailure):
        resolve_user(tmp_path, "app")


def test_symlinked_passwd_does_not_leave_the_rootfs(tmp_path: Path) -> None:
    host = tmp_path / "host"
    host.mkdir()
    (host / "passwd").write_text("evil:x:777:777::/:/bin/sh\n")
    rootfs = tmp_path / "rootfs"
    (rootfs / "etc").mkdir(parents=True)
    os.symlink(str(host / "passwd"), rootfs / "etc" / "passwd")  # absolute: re-anchored in rootfs
    os.symlink("../../host/passwd", rootfs / "etc" / "group")  # relative: stops at the root
    with pytest.raises(RuntimeFailure, match="unable to find user evil"):
        resolve_user(rootfs, "evil")
    with pytest.raises(RuntimeFailure, match="unable to find group evil"):
        resolve_user(rootfs, "0:evil")


def test_huge_group_file_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(users, "MAX_SCAN_BYTES", 64 * 1024)
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_text("u:x:5:5::/:/bin/sh\n")
    with open(tmp_path / "etc" / "group", "w") as f:
        f.write("g:x:7:" + "u," * 300_000 + "\n")  # one over-long line, skipped
        for i in range(20_000):
            f.write(f"grp{i}:x:{10_000 + i}:\n")
        f.write("late:x:9:u\n")  # beyond the scan bound
    assert resolve_user(tmp_path, "u") == (5, 5, [])
    with pytest.raises(RuntimeFailure):
        resolve_user(tmp_path, "u:late")


def test_fifo_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    os.mkfifo(tmp_path / "etc" / "passwd")
    assert resolve_user(tmp_path, "3") == (3, 0, [])
