"""The spec builder: Docker's defaults, capabilities, security options, resources, mounts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wharf.core.errors import InvalidParameter, RuntimeFailure
from wharf.lib.bootstrap import build_busybox_rootfs
from wharf.runtime import defaults
from wharf.runtime.spec import (
    SpecInput,
    build_spec,
    check_security,
    default_spec,
    effective_caps,
)

pytestmark = pytest.mark.root  # the busybox rootfs keeps its files' owners (chown)


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rootfs")
    build_busybox_rootfs(path)
    return path


def spec_for(rootfs: Path, **kwargs: object) -> dict:  # type: ignore[type-arg]
    return build_spec(SpecInput(container_id="c1", rootfs=rootfs, args=["sh"], **kwargs))  # type: ignore[arg-type]


def caps_bitmask(caps: list[str]) -> int:
    return sum(1 << defaults.ALL_CAPS.index(c) for c in caps)


def test_default_caps_match_dockers_capeff(rootfs: Path) -> None:
    caps = spec_for(rootfs)["process"]["capabilities"]
    assert caps["bounding"] == caps["effective"] == caps["permitted"]
    assert caps_bitmask(caps["effective"]) == 0xA80425FB
    assert "inheritable" not in caps and "ambient" not in caps


def test_cap_add_and_drop_accept_both_spellings() -> None:
    caps = effective_caps(False, ["net_admin", "CAP_SYS_TIME"], ["chown", "CAP_KILL"])
    assert "CAP_NET_ADMIN" in caps and "CAP_SYS_TIME" in caps
    assert "CAP_CHOWN" not in caps and "CAP_KILL" not in caps


def test_cap_drop_all_keeps_only_added() -> None:
    assert effective_caps(False, ["NET_BIND_SERVICE"], ["ALL"]) == ["CAP_NET_BIND_SERVICE"]


def test_cap_add_all_minus_drops() -> None:
    caps = effective_caps(False, ["all"], ["SYS_ADMIN"])
    assert "CAP_SYS_ADMIN" not in caps and "CAP_SYS_MODULE" in caps and "CAP_CHOWN" in caps


def test_unknown_capability_is_rejected() -> None:
    with pytest.raises(InvalidParameter, match='unknown capability: "CAP_BOGUS"'):
        effective_caps(False, ["bogus"], [])


def test_privileged_gets_everything_and_no_confinement(rootfs: Path) -> None:
    spec = spec_for(rootfs, privileged=True, cap_drop=["ALL"])
    assert "CAP_SYS_ADMIN" in spec["process"]["capabilities"]["effective"]
    linux = spec["linux"]
    assert linux["maskedPaths"] == [] and linux["readonlyPaths"] == []
    assert "seccomp" not in linux
    assert linux["resources"]["devices"] == [{"allow": True, "access": "rwm"}]
    sys_mount = next(m for m in spec["mounts"] if m["destination"] == "/sys")
    assert "rw" in sys_mount["options"]
    null = next(d for d in linux["devices"] if d["path"] == "/dev/null")
    assert (null["type"], null["major"], null["minor"]) == ("c", 1, 3)
    assert not any(d["path"].startswith("/dev/pts/") for d in linux["devices"])
    assert "devices" not in spec_for(rootfs)["linux"]


def test_default_confinement(rootfs: Path) -> None:
    linux = spec_for(rootfs)["linux"]
    assert "/proc/kcore" in linux["maskedPaths"] and "/sys/firmware" in linux["maskedPaths"]
    assert "/proc/sysrq-trigger" in linux["readonlyPaths"]
    devices = linux["resources"]["devices"]
    assert devices[0] == {"allow": False, "access": "rwm"}
    allowed = {(d.get("major"), d.get("minor")) for d in devices[1:] if d.get("access") == "rwm"}
    assert {(1, 3), (1, 5), (1, 7), (1, 8), (1, 9), (5, 0), (5, 1), (5, 2), (136, None)} == allowed
    types = [n["type"] for n in linux["namespaces"]]
    assert {"pid", "ipc", "uts", "mount", "network"} <= set(types)


def test_mounts(rootfs: Path) -> None:
    mounts = {m["destination"]: m for m in spec_for(rootfs, shm_size=1 << 20)["mounts"]}
    assert "mode=755" in mounts["/dev"]["options"]
    assert {"newinstance", "ptmxmode=0666", "gid=5"} <= set(mounts["/dev/pts"]["options"])
    assert "ro" in mounts["/sys"]["options"] and "ro" in mounts["/sys/fs/cgroup"]["options"]
    assert f"size={1 << 20}" in mounts["/dev/shm"]["options"]
    assert "size=67108864" in next(
        m for m in spec_for(rootfs)["mounts"] if m["destination"] == "/dev/shm"
    )["options"]


def test_etc_files_and_user_mounts(rootfs: Path, tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    user_shm = {"destination": "/dev/shm", "type": "bind", "source": "/x", "options": ["rbind"]}
    deep = {"destination": "/a/b/c", "type": "bind", "source": "/y", "options": ["rbind"]}
    spec = spec_for(rootfs, etc_files={"/etc/hosts": hosts}, extra_mounts=[deep, user_shm],
                    readonly_rootfs=True)
    dests = [m["destination"] for m in spec["mounts"]]
    assert dests.count("/dev/shm") == 1 and spec["mounts"][dests.index("/dev/shm")] == user_shm
    assert dests.index("/etc/hosts") < dests.index("/a/b/c")
    etc_hosts = spec["mounts"][dests.index("/etc/hosts")]
    assert etc_hosts["source"] == str(hosts) and "ro" in etc_hosts["options"]
    assert spec["root"] == {"path": str(rootfs), "readonly": True}


def test_resources(rootfs: Path) -> None:
    res = spec_for(rootfs, memory=64 << 20, nano_cpus=1_500_000_000, cpu_shares=512,
                   pids_limit=100)["linux"]["resources"]
    assert res["memory"] == {"limit": 64 << 20, "swap": 128 << 20}
    assert res["cpu"] == {"shares": 512, "period": 100_000, "quota": 150_000}
    assert res["pids"] == {"limit": 100}
    res = spec_for(rootfs, memory=64 << 20, memory_swap=-1, cpu_quota=5000, cpu_period=10000,
                   pids_limit=-1)["linux"]["resources"]
    assert res["memory"]["swap"] == -1
    assert res["cpu"] == {"quota": 5000, "period": 10000}
    assert "pids" not in res


def test_env_defaults(rootfs: Path) -> None:
    env = spec_for(rootfs, hostname="box", user="daemon", tty=True)["process"]["env"]
    assert env[0] == f"PATH={defaults.DEFAULT_PATH}"
    assert "HOSTNAME=box" in env and "TERM=xterm" in env and "HOME=/usr/sbin" in env
    env = spec_for(rootfs, env=["PATH=/x", "HOME=/h", "A=1"])["process"]["env"]
    assert env == ["PATH=/x", "HOME=/h", "A=1"]


def test_network_namespace_path(rootfs: Path) -> None:
    namespaces = spec_for(rootfs, netns_path="/run/netns/x")["linux"]["namespaces"]
    assert {"type": "network", "path": "/run/netns/x"} in namespaces


def test_security_options(rootfs: Path, tmp_path: Path) -> None:
    assert "seccomp" not in spec_for(rootfs, security_opt=["seccomp=unconfined"])["linux"]
    spec = spec_for(rootfs, security_opt=["no-new-privileges", "label=disable",
                                          "apparmor=unconfined"])
    assert spec["process"]["noNewPrivileges"] is True
    assert spec_for(rootfs, security_opt=["no-new-privileges:true"])["process"]["noNewPrivileges"]
    assert not spec_for(rootfs, security_opt=["no-new-privileges=false"])["process"][
        "noNewPrivileges"]
    profile = {"defaultAction": "SCMP_ACT_ALLOW",
               "syscalls": [{"names": ["chmod"], "action": "SCMP_ACT_ERRNO"}]}
    inline = spec_for(rootfs, security_opt=["seccomp=" + json.dumps(profile)])
    assert inline["linux"]["seccomp"]["syscalls"] == profile["syscalls"]
    with pytest.raises(InvalidParameter, match="invalid --security-opt 1"):
        spec_for(rootfs, security_opt=["bogus"])
    with pytest.raises(InvalidParameter, match="invalid --security-opt 2"):
        spec_for(rootfs, security_opt=["bogus=1"])


def test_seccomp_profile_is_json_never_a_path(rootfs: Path, tmp_path: Path) -> None:
    """dockerd never opens a file a client names: the CLI sends the profile's content."""
    path = tmp_path / "profile.json"
    path.write_text(json.dumps({"defaultAction": "SCMP_ACT_ALLOW"}))
    for value in (str(path), "/etc/passwd"):
        with pytest.raises(InvalidParameter, match="Decoding seccomp profile failed"):
            spec_for(rootfs, security_opt=[f"seccomp={value}"])
    with pytest.raises(InvalidParameter, match="invalid seccomp profile"):
        check_security(False, [], [], ['seccomp={"defaultAction": 5}'])


@pytest.mark.parametrize("opt", ["apparmor=docker-default", "apparmor=x", "label=user:u",
                                 "label=level:s0", "writable-cgroups=true"])
def test_confinement_wharf_lacks_is_refused(rootfs: Path, opt: str) -> None:
    with pytest.raises(InvalidParameter, match=f"--security-opt {opt} is not supported yet"):
        spec_for(rootfs, security_opt=[opt])
    with pytest.raises(InvalidParameter, match="not supported yet"):
        check_security(False, [], [], [opt])


def test_systempaths_unconfined_and_replaced_path_lists(rootfs: Path) -> None:
    linux = spec_for(rootfs, security_opt=["systempaths=unconfined"])["linux"]
    assert linux["maskedPaths"] == [] and linux["readonlyPaths"] == []
    linux = spec_for(rootfs, masked_paths=["/etc/x"], readonly_paths=[])["linux"]
    assert linux["maskedPaths"] == ["/etc/x"] and linux["readonlyPaths"] == []
    assert spec_for(rootfs)["linux"]["maskedPaths"] == list(defaults.MASKED_PATHS)


def test_host_namespaces_are_not_unshared(rootfs: Path) -> None:
    spec = spec_for(rootfs, hostname="box", domainname="d",
                    host_namespaces=["pid", "ipc", "uts", "network", "cgroup"])
    kinds = {ns["type"] for ns in spec["linux"]["namespaces"]}
    assert kinds == {"mount"}
    assert "hostname" not in spec and "domainname" not in spec
    shm = next(m for m in spec["mounts"] if m["destination"] == "/dev/shm")
    assert shm["type"] == "bind" and shm["source"] == "/dev/shm"
    spec = spec_for(rootfs, hostname="box", domainname="d")
    assert spec["hostname"] == "box" and spec["domainname"] == "d"


def test_group_add_oom_score_annotations_console(rootfs: Path) -> None:
    spec = spec_for(rootfs, user="nobody", group_add=["mail", "4242"], oom_score_adj=300,
                    annotations={"a": "b"}, tty=True, console_size=(33, 77))
    assert spec["process"]["user"]["additionalGids"] == [12, 4242]
    assert spec["process"]["oomScoreAdj"] == 300
    assert spec["annotations"] == {"a": "b"}
    assert spec["process"]["consoleSize"] == {"height": 33, "width": 77}
    with pytest.raises(RuntimeFailure, match="unable to find group nosuch"):
        spec_for(rootfs, group_add=["nosuch"])


def test_user_is_resolved_in_spec(rootfs: Path) -> None:
    user = spec_for(rootfs, user="nobody")["process"]["user"]
    assert user == {"uid": 65534, "gid": 65534}


def test_default_spec_is_self_contained() -> None:
    spec = default_spec(args=["true"], terminal=True)
    assert spec["root"]["path"] == "rootfs" and spec["process"]["args"] == ["true"]
    assert spec["process"]["terminal"] is True
    assert spec["linux"]["seccomp"]["defaultAction"] == "SCMP_ACT_ERRNO"


def test_empty_command_is_rejected(rootfs: Path) -> None:
    with pytest.raises(InvalidParameter):
        build_spec(SpecInput(container_id="c", rootfs=rootfs, args=[]))


def test_init_runs_the_command_under_the_static_init(rootfs: Path) -> None:
    spec = build_spec(SpecInput(container_id="c1", rootfs=rootfs, args=["sleep", "1"], init=True))
    assert spec["process"]["args"] == ["/sbin/docker-init", "--", "sleep", "1"]
    init_mounts = [m for m in spec["mounts"] if m["destination"] == "/sbin/docker-init"]
    assert len(init_mounts) == 1
    assert "ro" in init_mounts[0]["options"]
    assert Path(init_mounts[0]["source"]).name in ("tini-static", "docker-init", "tini")
