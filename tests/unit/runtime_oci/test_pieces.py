"""Small pure parts of the runtime: options, paths, lookup, config, seccomp, CLI helpers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from wharf.runtime.oci import seccomp_bpf
from wharf.runtime.oci import syscalls as sc
from wharf.runtime.oci.caps import cap_mask, cap_number
from wharf.runtime.oci.cliutil import RuntimeLog, exec_process_spec, parse_signal
from wharf.runtime.oci.config import parse_config
from wharf.runtime.oci.devicerules import with_default_device_rules
from wharf.runtime.oci.errors import RuntimeCreateError
from wharf.runtime.oci.fakesyscalls import RecordingSyscalls
from wharf.runtime.oci.lookpath import look_path
from wharf.runtime.oci.mountopts import parse_mount_options
from wharf.runtime.oci.state import ContainerState, read_state, write_state
from wharf.runtime.oci.steps import InitContext
from wharf.runtime.oci.steps.mounts import mount_all
from wharf.runtime.oci.sync import SyncChannel

SECTION = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
           "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
           "syscalls": [{"names": ["read", "write", "exit_group", "no_such_call"],
                         "action": "SCMP_ACT_ALLOW"},
                        {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
                         "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"},
                                  {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]}


def test_mount_options() -> None:
    options = parse_mount_options(["rbind", "ro", "nosuid", "rprivate", "mode=755", "rw"])
    assert options.flags == sc.MS_BIND | sc.MS_REC | sc.MS_NOSUID
    assert options.propagation == (sc.MS_PRIVATE | sc.MS_REC,)
    assert options.data == "mode=755" and options.is_bind


def test_mount_targets_are_made_inside_the_root(tmp_path: Path) -> None:
    """Bind targets reached through symlinks that point out of the rootfs ("/" and "..")
    are created inside it; nothing appears on the host side."""
    rootfs, outside = tmp_path / "rootfs", tmp_path / "outside"
    (rootfs / "etc").mkdir(parents=True)
    outside.mkdir()
    os.symlink("/", rootfs / "escape")
    os.symlink(f"../../../..{outside}", rootfs / "etc/up")
    source = tmp_path / "hosts"
    source.write_text("127.0.0.1 localhost\n")
    config = parse_config({
        "process": {"args": ["/bin/true"], "cwd": "/"}, "root": {"path": str(rootfs)},
        "mounts": [
            {"destination": "/escape/data", "type": "bind", "source": str(tmp_path),
             "options": ["rbind"]},
            {"destination": "/etc/up/hosts", "type": "bind", "source": str(source),
             "options": ["rbind"]},
        ]}, tmp_path)
    fake = RecordingSyscalls()
    ctx = InitContext(config=config, process=config.process, sys=fake, sync=SyncChannel(-1),
                      last_cap=40, root=rootfs)
    mount_all(ctx)
    assert (rootfs / "data").is_dir()
    assert (rootfs / outside.relative_to("/") / "hosts").is_file()
    assert list(outside.iterdir()) == []
    targets = [str(call.args[1]) for call in fake.calls if call.name == "move_mount"]
    assert targets == [str((rootfs / "data").resolve()),
                       str((rootfs / outside.relative_to("/") / "hosts").resolve())]


def test_look_path(tmp_path: Path) -> None:
    tool = tmp_path / "bin/tool"
    tool.parent.mkdir()
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    assert look_path("tool", f"/nonexistent:{tmp_path}/bin") == str(tool)
    with pytest.raises(RuntimeCreateError, match=r'exec: "nope": executable file not found'):
        look_path("nope", str(tmp_path / "bin"))
    with pytest.raises(RuntimeCreateError, match=r'exec: ".*bin": permission denied'):
        look_path(str(tmp_path / "bin"), "")


def test_caps() -> None:
    assert cap_number("CAP_KILL") == cap_number("kill") == 5
    assert cap_mask(["CAP_CHOWN", "CAP_CHECKPOINT_RESTORE"], 39) == 1
    with pytest.raises(RuntimeCreateError):
        cap_number("CAP_NOPE")


def test_config_needs_rootfs_and_args(tmp_path: Path) -> None:
    with pytest.raises(RuntimeCreateError, match="rootfs"):
        parse_config({"process": {"args": ["sh"]}}, tmp_path)
    (tmp_path / "rootfs").mkdir()
    with pytest.raises(RuntimeCreateError, match="args"):
        parse_config({"process": {"args": []}}, tmp_path)
    config = parse_config({"process": {"args": ["sh"]}, "linux": {"namespaces": [
        {"type": "network", "path": "/proc/1/ns/net"}]}}, tmp_path)
    assert config.namespace("network") is not None and config.process.cwd == "/"


def test_seccomp_compiles_and_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    program = seccomp_bpf.compile_seccomp(SECTION)
    assert program and len(program) % 8 == 0
    cache = seccomp_bpf.SeccompCache(tmp_path)
    assert cache.program(SECTION) == program
    monkeypatch.setattr(seccomp_bpf, "compile_seccomp", lambda section: pytest.fail("recompiled"))
    assert cache.program(SECTION) == program
    key = seccomp_bpf.seccomp_key
    assert key(SECTION) == key(json.loads(json.dumps(SECTION)))


def test_seccomp_actions() -> None:
    assert seccomp_bpf.action_code("SCMP_ACT_ERRNO", 38) == seccomp_bpf.SCMP_ACT_ERRNO | 38
    assert seccomp_bpf.action_code("SCMP_ACT_ERRNO", None) == seccomp_bpf.SCMP_ACT_ERRNO | 1
    with pytest.raises(RuntimeCreateError):
        seccomp_bpf.action_code("SCMP_ACT_NOTIFY", None)


def test_state_round_trip(tmp_path: Path) -> None:
    (tmp_path / "c1").mkdir()
    state = ContainerState(id="c1", pid=1, bundle="/b", rootfs="/b/rootfs", created="t",
                           init_start_time=5, cgroups_path="/wharf/c1")
    write_state(tmp_path, state)
    assert read_state(tmp_path, "c1") == state
    assert state.to_oci("stopped")["pid"] == 0


def test_parse_signal() -> None:
    assert parse_signal("9") == parse_signal("KILL") == parse_signal("SIGKILL") == 9
    assert parse_signal("term") == signal.SIGTERM
    with pytest.raises(RuntimeCreateError):
        parse_signal("SIGNOPE")


def test_exec_process_spec_reuses_container_process() -> None:
    base = {"args": ["sleep"], "env": ["PATH=/bin"], "cwd": "/", "user": {"uid": 0, "gid": 0}}
    spec = exec_process_spec(base, ["ls"], env=["A=1"], cwd="/tmp", tty=True, user="5:6")
    assert spec["args"] == ["ls"] and spec["env"] == ["PATH=/bin", "A=1"]
    assert (spec["cwd"], spec["terminal"], spec["user"]) == ("/tmp", True,
                                                             {"uid": 5, "gid": 6})


def test_runtime_log_json(tmp_path: Path) -> None:
    log = RuntimeLog(str(tmp_path / "log.json"), json_format=True)
    log.error("boom")
    entry = json.loads((tmp_path / "log.json").read_text())
    assert entry["level"] == "error" and entry["msg"] == "boom"


@pytest.mark.parametrize("argv", [
    # what containerd-shim-runc-v2 (go-runc) passes
    ["--root", "/run/r", "--log", "/b/log.json", "--log-format", "json", "--systemd-cgroup",
     "create", "--bundle", "/b", "--pid-file", "/b/init.pid", "--console-socket", "/s",
     "--no-new-keyring", "c1"],
    ["--root", "/run/r", "exec", "--process", "/tmp/p.json", "--detach", "--pid-file", "/p",
     "c1"],
    ["--root", "/run/r", "kill", "--all", "c1", "9"],
    ["--root", "/run/r", "delete", "--force", "c1"],
    ["--root", "/run/r", "ps", "--format", "json", "c1"],
    ["--root", "/run/r", "update", "--resources", "-", "c1"],
])
def test_cli_accepts_runc_invocations(argv: list[str]) -> None:
    from wharf.runtime.oci.main import build_parser

    args = build_parser().parse_args(argv)
    assert args.id == "c1" and args.root == "/run/r"


def test_malformed_config_is_a_create_error(tmp_path: Path) -> None:
    from wharf.runtime.oci.config import load_config

    (tmp_path / "rootfs").mkdir()
    (tmp_path / "config.json").write_text(json.dumps(
        {"process": {"args": ["sh"]}, "mounts": [{"type": "tmpfs"}]}))
    with pytest.raises(RuntimeCreateError, match=r"invalid .*destination"):
        load_config(tmp_path)


def test_default_device_rules_come_after_the_spec_rules() -> None:
    """dockerd denies all and allows a few; the runtime's defaults (runc's) follow, so mknod
    and /dev/full, /dev/pts/* ... are allowed while a spec without rules gets none."""
    spec_rules = [{"allow": False, "access": "rwm"},
                  {"allow": False, "type": "c", "major": 10, "minor": 229, "access": "rwm"}]
    rules = with_default_device_rules({"devices": spec_rules, "pids": {"limit": 5}})
    assert rules["devices"][:2] == spec_rules and rules["pids"] == {"limit": 5}
    added = rules["devices"][2:]
    assert {"allow": True, "type": "c", "major": 1, "minor": 7, "access": "rwm"} in added
    assert {"allow": True, "type": "c", "access": "m"} in added
    assert {"allow": True, "type": "c", "major": 136, "access": "rwm"} in added
    assert with_default_device_rules({"memory": {}}) == {"memory": {}}


def test_cli_start_up_imports_only_what_the_command_needs() -> None:
    """containerd starts wharf-runtime for every call: loading the CLI must not import the
    create machinery (spawn, steps, seccomp) nor run ldconfig through ctypes.util."""
    probe = ("import sys, wharf.runtime.oci.main; "
             "print(sorted(m for m in ('wharf.runtime.oci.create', 'wharf.runtime.oci.spawn', "
             "'wharf.runtime.oci.seccomp_bpf', 'ctypes.util', 'subprocess') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


def test_package_keeps_functions_named_like_submodules() -> None:
    import wharf.runtime.oci.create
    import wharf.runtime.oci.state  # noqa: F401
    from wharf.runtime import oci

    assert callable(oci.state) and callable(oci.create)
    assert oci.state.__module__ == "wharf.runtime.oci.lifecycle"


def test_containerd_command_lines_parse_with_only_their_subcommand() -> None:
    from wharf.runtime.oci.main import build_parser, requested_command

    bundle = "/run/containerd/io.containerd.runtime.v2.task/moby/abc"
    argv = ["--root", "/var/run/docker/runtime-runc/moby", "--log", f"{bundle}/log.json",
            "--log-format", "json", "--systemd-cgroup", "create", "--bundle", bundle,
            "--pid-file", f"{bundle}/init.pid", "--console-socket", "/tmp/pty/pty.sock", "abc"]
    assert requested_command(argv) == "create"
    args = build_parser(requested_command(argv)).parse_args(argv)
    assert (args.command, args.id, args.bundle, args.console_socket) == \
        ("create", "abc", bundle, "/tmp/pty/pty.sock")
    exec_argv = ["--root=/r", "exec", "--process", "/tmp/p.json", "--detach", "--pid-file",
                 "/tmp/x.pid", "abc"]
    assert requested_command(exec_argv) == "exec"
    assert build_parser("exec").parse_args(exec_argv).process == "/tmp/p.json"
    assert requested_command(["--version"]) is None
    assert requested_command(["--root", "/r", "bogus", "abc"]) is None
