"""``--mount`` and ``--add-host`` values read as the docker CLI reads them."""

from __future__ import annotations

from typing import Any

import pytest

from wharf.cli.command import CommandFailed
from wharf.cli.extrahosts import parse_extra_host
from wharf.cli.mountopt import parse_mount_flag


@pytest.mark.parametrize(("value", "mount"), [
    ("type=tmpfs,destination=/t,tmpfs-size=64m,tmpfs-mode=1770",
     {"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"SizeBytes": 64 << 20,
                                                        "Mode": 0o1770}}),
    ("type=bind,src=/srv,dst=/data,ro,bind-propagation=rslave",
     {"Type": "bind", "Source": "/srv", "Target": "/data", "ReadOnly": True,
      "BindOptions": {"Propagation": "rslave"}}),
    ("source=vol,target=/v,readonly=false,volume-label=a=b,volume-opt=o=1",
     {"Type": "volume", "Source": "vol", "Target": "/v", "ReadOnly": False,
      "VolumeOptions": {"Labels": {"a": "b"}, "DriverConfig": {"Options": {"o": "1"}}}}),
])
def test_mount_values(value: str, mount: dict[str, Any]) -> None:
    assert parse_mount_flag(value) == mount


@pytest.mark.parametrize(("value", "reason"), [
    ("type=tmpfs", "target is required"),
    ("type=,target=/t", "type is required"),
    ("type=tmpfs,target=/t,colour=red", "unexpected key 'colour' in 'colour=red'"),
    ("type=tmpfs,target=/t,exec", "invalid field 'exec' must be a key=value pair"),
    ("type=tmpfs,target=/t,tmpfs-mode=9", "invalid value for tmpfs-mode: 9"),
    ("type=tmpfs,target=/t,tmpfs-size=lots", "invalid value for tmpfs-size: lots"),
    ("type=bind,target=/t,tmpfs-size=1m", "cannot mix 'tmpfs-*' options with mount type 'bind'"),
    ("type=tmpfs,target=/t,ro=maybe", "invalid value for ro: maybe"),
])
def test_bad_mount_values_exit_125(value: str, reason: str) -> None:
    with pytest.raises(CommandFailed) as caught:
        parse_mount_flag(value)
    assert caught.value.status == 125
    assert caught.value.message == f'invalid argument "{value}" for "--mount" flag: {reason}'


@pytest.mark.parametrize(("value", "sent"), [
    ("db:192.0.2.10", "db:192.0.2.10"), ("db=192.0.2.10", "db:192.0.2.10"),
    ("v6:2001:db8::1", "v6:2001:db8::1"), ("v6=[2001:db8::1]", "v6:2001:db8::1"),
    ("gw:host-gateway", "gw:host-gateway"),
])
def test_add_host_values(value: str, sent: str) -> None:
    assert parse_extra_host(value) == sent


@pytest.mark.parametrize(("value", "reason"), [
    ("db", 'bad format for add-host: "db"'), (":1.2.3.4", 'bad format for add-host: ":1.2.3.4"'),
    ("db:nowhere", 'invalid IP address in add-host: "nowhere"'),
])
def test_bad_add_host_values_exit_125(value: str, reason: str) -> None:
    with pytest.raises(CommandFailed) as caught:
        parse_extra_host(value)
    assert caught.value.message == f'invalid argument "{value}" for "--add-host" flag: {reason}'
