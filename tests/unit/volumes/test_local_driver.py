"""The local driver's options (dockerd's checks and words), its files, and its refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wharf.core.errors import InvalidParameter
from wharf.volumes.local import LocalVolumes
from wharf.volumes.options import (
    MS_BIND,
    MS_NODEV,
    MS_NOSUID,
    MS_RDONLY,
    MountRequest,
    mount_request,
    validate_options,
)


@pytest.mark.parametrize(("options", "message"), [
    ({"colour": "red"}, 'invalid option: "colour"'),
    ({"size": "10m"}, "quota size requested but no quota support"),
    ({"type": "tmpfs"}, 'missing required option: "device"'),
    ({"device": "/dev/sdz"}, 'missing required option: "type"'),
    ({"o": "size=1m", "device": "tmpfs"}, 'missing required option: "type"'),
])
def test_bad_options_are_refused_with_dockerds_words(options: dict[str, str],
                                                     message: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        validate_options(options)
    assert caught.value.message == message


def test_good_options_pass() -> None:
    validate_options({})
    validate_options({"type": "tmpfs", "device": "tmpfs", "o": "size=1m"})


def test_o_is_split_into_flags_and_data() -> None:
    request = mount_request({"type": "tmpfs", "device": "tmpfs",
                             "o": "size=4m,ro,nosuid,uid=1000,nodev,rw"})
    assert request == MountRequest("tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,uid=1000")
    assert mount_request({"type": "tmpfs", "device": "tmpfs", "o": "ro"}).flags == MS_RDONLY


def test_a_bind_backed_volume_ignores_the_type() -> None:
    request = mount_request({"type": "none", "device": "/srv/data", "o": "bind"})
    assert request == MountRequest("/srv/data", "", MS_BIND, "")


def test_a_plain_volume_needs_no_mount() -> None:
    assert mount_request({}) is None


def test_create_writes_the_data_dir_and_options(tmp_path: Path) -> None:
    driver = LocalVolumes(tmp_path / "volumes")
    plain = driver.create("plain", {})
    assert plain == tmp_path / "volumes" / "plain" / "_data" and plain.is_dir()
    assert not (tmp_path / "volumes" / "plain" / "opts.json").exists()
    assert driver.options("plain") == {}
    options = {"type": "tmpfs", "device": "tmpfs", "o": "size=1m"}
    driver.create("fast", options)
    assert json.loads((tmp_path / "volumes" / "fast" / "opts.json").read_text()) == options
    assert driver.options("fast") == options and driver.needs_mount("fast")
    assert driver.names() == ["fast", "plain"]


def test_size_emptiness_and_removal(tmp_path: Path) -> None:
    driver = LocalVolumes(tmp_path)
    data = driver.create("v1", {})
    assert driver.is_empty("v1") and driver.size("v1") == 0
    (data / "f").write_bytes(b"x" * 1234)
    assert not driver.is_empty("v1") and driver.size("v1") == 1234
    driver.unmount("v1")  # nothing mounted: nothing to do
    driver.remove("v1")
    assert not (tmp_path / "v1").exists() and driver.is_empty("v1")


def test_bad_options_create_nothing(tmp_path: Path) -> None:
    driver = LocalVolumes(tmp_path)
    with pytest.raises(InvalidParameter):
        driver.create("v1", {"bogus": "1"})
    assert driver.names() == []
