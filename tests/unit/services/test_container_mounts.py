"""tmpfs mounts (``--tmpfs``, ``--mount type=tmpfs``) and ``--add-host`` records, as dockerd
makes and checks them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wharf.core.errors import InvalidParameter
from wharf.services import container_config as cc
from wharf.services.container_tmpfs import merge_tmpfs_options, mount_tmpfs_data
from wharf.services.create_policy import refuse_unsupported


def test_merge_keeps_the_last_of_each_kind_in_order() -> None:
    options = ["noatime", "ro", "size=10k", "defaults", "noexec", "atime", "defaults", "rw",
               "rprivate", "size=1024k", "slave", "exec"]
    assert merge_tmpfs_options(options) == ["atime", "rw", "size=1024k", "slave", "exec"]


@pytest.mark.parametrize(("option", "shown"), [
    ("bogus", '["bogus"]'), ("size", '["size"]'), ("colour=red", '["colour" "red"]'),
])
def test_unknown_tmpfs_options_are_refused_as_dockerd(option: str, shown: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        merge_tmpfs_options(["noexec", option])
    assert caught.value.message == f"Invalid tmpfs option {shown}"


def test_tmpfs_flag_gets_dockerds_defaults_merged_with_the_users() -> None:
    mounts = cc.user_mounts({"Tmpfs": {"/run": "", "/scratch": "exec,size=64m,mode=1777"}})
    assert mounts == [
        {"destination": "/run", "type": "tmpfs", "source": "tmpfs",
         "options": ["noexec", "nosuid", "nodev", "rprivate"]},
        {"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "nodev", "rprivate", "exec", "size=64m", "mode=1777"]},
    ]


def test_mount_entry_tmpfs_converts_size_mode_and_read_only() -> None:
    entry = {"Type": "tmpfs", "Target": "/t", "ReadOnly": True,
             "TmpfsOptions": {"SizeBytes": 3 << 20, "Mode": 0o1770, "Options": [["exec"]]}}
    assert mount_tmpfs_data(entry) == "ro,mode=1770,size=3m,exec"
    [mount] = cc.user_mounts({"Mounts": [entry]})
    assert mount["options"] == ["nosuid", "nodev", "rprivate", "ro", "mode=1770", "size=3m",
                                "exec"]
    assert mount_tmpfs_data({"TmpfsOptions": {"SizeBytes": 1000}}) == "size=1000"
    assert mount_tmpfs_data({"TmpfsOptions": {"SizeBytes": 2048}}) == "size=2k"


@pytest.mark.parametrize(("host_config", "message"), [
    ({"Tmpfs": {"relative": ""}}, "invalid mount path: 'relative' mount path must be absolute"),
    ({"Tmpfs": {"/": ""}}, "invalid specification: destination can't be '/'"),
    ({"Mounts": [{"Type": "tmpfs"}]},
     'invalid mount config for type "tmpfs": field Target must not be empty'),
    ({"Mounts": [{"Type": "tmpfs", "Target": "/t", "Source": "/x"}]},
     'invalid mount config for type "tmpfs": field Source must not be specified'),
    ({"Mounts": [{"Type": "tmpfs", "Target": "t"}]},
     'invalid mount config for type "tmpfs": invalid mount path: \'t\' mount path must be '
     "absolute"),
    ({"Mounts": [{"Type": "tmpfs", "Target": "/t"}, {"Type": "tmpfs", "Target": "/t/"}]},
     "Duplicate mount point: /t/"),
    ({"Mounts": [{"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"SizeBytes": -1}}]},
     "invalid tmpfs size -1"),
])
def test_bad_tmpfs_mounts_are_refused(host_config: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        cc.mount_points(host_config)
    assert message in caught.value.message


def test_a_tmpfs_flag_takes_the_place_of_a_bind(tmp_path: Path) -> None:
    mounts = cc.user_mounts({"Binds": [f"{tmp_path}:/data"], "Tmpfs": {"/data": ""}})
    assert [(m["destination"], m["type"]) for m in mounts] == [("/data", "tmpfs")]


def test_inspect_lists_mount_tmpfs_entries_but_not_tmpfs_flags(tmp_path: Path) -> None:
    points = cc.mount_points({
        "Binds": [f"{tmp_path}:/b:ro"], "Tmpfs": {"/flag": ""},
        "Mounts": [{"Type": "tmpfs", "Target": "/entry"}],
    })
    assert points == [
        {"Type": "bind", "Source": str(tmp_path), "Destination": "/b", "Mode": "ro",
         "RW": False, "Propagation": "rprivate"},
        {"Type": "tmpfs", "Source": "", "Destination": "/entry", "Mode": "", "RW": True,
         "Propagation": ""},
    ]


@pytest.mark.parametrize(("entry", "message"), [
    ("nohost", 'bad format for add-host: "nohost"'),
    (":192.0.2.1", 'bad format for add-host: ":192.0.2.1"'),
    ("db:300.1.1.1", 'invalid IP address in add-host: "300.1.1.1"'),
    ("db:", 'invalid IP address in add-host: ""'),
])
def test_bad_extra_hosts_are_a_400_with_dockerds_message(entry: str, message: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        refuse_unsupported({"Image": "busybox", "HostConfig": {"ExtraHosts": [entry]}})
    assert caught.value.message == message


def test_good_extra_hosts_tmpfs_and_tmpfs_mounts_pass_the_policy() -> None:
    refuse_unsupported({"Image": "busybox", "HostConfig": {
        "ExtraHosts": ["db:192.0.2.10"], "Tmpfs": {"/t": "size=1m"},
        "Mounts": [{"Type": "tmpfs", "Target": "/m", "TmpfsOptions": {"SizeBytes": 1 << 20}}],
    }})
    refuse_unsupported({"Image": "busybox", "HostConfig": {
        "Mounts": [{"Type": "volume", "Target": "/v"}]}})
    with pytest.raises(InvalidParameter, match=r"volume-driver=nfs3 .* not supported yet"):
        refuse_unsupported({"Image": "busybox", "HostConfig": {"Mounts": [
            {"Type": "volume", "Target": "/v",
             "VolumeOptions": {"DriverConfig": {"Name": "nfs3"}}}]}})
