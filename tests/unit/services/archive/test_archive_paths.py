"""Docker's path rules of the archive API: absolute paths, the tar's top name, the stat header
(Go ``os.FileMode`` bits, base64 JSON)."""

from __future__ import annotations

import base64
import json
import os
import stat

import pytest

from wharf.services.archive_paths import (
    PathStat,
    absolute_path,
    archive_name,
    go_file_mode,
    split_resolvable,
)


@pytest.mark.parametrize(("st_mode", "expected"), [
    (stat.S_IFREG | 0o644, 0o644),
    (stat.S_IFDIR | 0o755, (1 << 31) | 0o755),
    (stat.S_IFLNK | 0o777, (1 << 27) | 0o777),
    (stat.S_IFCHR | 0o666, (1 << 26) | (1 << 21) | 0o666),
    (stat.S_IFBLK | 0o660, (1 << 26) | 0o660),
    (stat.S_IFIFO | 0o600, (1 << 25) | 0o600),
    (stat.S_IFSOCK | 0o755, (1 << 24) | 0o755),
    (stat.S_IFREG | stat.S_ISUID | 0o755, (1 << 23) | 0o755),
    (stat.S_IFREG | stat.S_ISGID | 0o755, (1 << 22) | 0o755),
    (stat.S_IFDIR | stat.S_ISVTX | 0o777, (1 << 31) | (1 << 20) | 0o777),
])
def test_go_file_mode_matches_go(st_mode: int, expected: int) -> None:
    assert go_file_mode(st_mode) == expected


def test_go_file_mode_of_tmp_is_what_docker_reports() -> None:
    # /tmp in a container: drwxrwxrwt, which dockerd reports as 2148532735
    assert go_file_mode(stat.S_IFDIR | stat.S_ISVTX | 0o777) == 2148532735


def test_header_is_base64_json_with_docker_keys(tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(tmp_path, "f")
    with open(path, "wb") as handle:
        handle.write(b"12345")
    os.utime(path, ns=(1_700_000_000_123_456_789, 1_700_000_000_123_456_789))
    found = PathStat.of("f", os.lstat(path))
    decoded = json.loads(base64.b64decode(found.header()))
    assert decoded == {"name": "f", "size": 5, "mode": go_file_mode(os.lstat(path).st_mode),
                       "mtime": "2023-11-14T22:13:20.123456789Z", "linkTarget": ""}
    assert not found.is_dir


@pytest.mark.parametrize(("given", "absolute"), [
    ("etc/passwd", "/etc/passwd"),
    ("/etc/../etc/passwd", "/etc/passwd"),
    ("/../../etc", "/etc"),
    ("/etc/", "/etc/"),
    ("/etc/.", "/etc/."),
    ("/", "/"),
    (".", "/"),
    ("//x//y", "/x/y"),
])
def test_absolute_path_keeps_a_trailing_dot_or_slash(given: str, absolute: str) -> None:
    assert absolute_path(given) == absolute


@pytest.mark.parametrize(("absolute", "parts"), [
    ("/etc/passwd", ("/etc", "passwd")),
    ("/etc", ("/", "etc")),
    ("/etc/", ("/etc", "")),      # a trailing slash follows a symlink
    ("/etc/.", ("/etc", "")),
    ("/", ("/", "")),
])
def test_split_resolvable_leaves_the_last_component_unfollowed(
        absolute: str, parts: tuple[str, str]) -> None:
    assert split_resolvable(absolute) == parts


@pytest.mark.parametrize(("absolute", "name"), [
    ("/etc/passwd", "passwd"),
    ("/etc", "etc"),
    ("/etc/", "etc"),
    ("/etc/.", "."),
    ("/", "/"),
])
def test_archive_name_is_gos_base(absolute: str, name: str) -> None:
    assert archive_name(absolute) == name
