"""Docker's seccomp profile converted for a container's capabilities and the host."""

from __future__ import annotations

from wharf.runtime import defaults
from wharf.runtime.seccomp_profile import Host, default_profile, to_oci

AMD64 = Host("amd64", "SCMP_ARCH_X86_64", (6, 1))
ARM64 = Host("arm64", "SCMP_ARCH_AARCH64", (6, 1))


def allowed(profile: dict, name: str) -> bool:  # type: ignore[type-arg]
    return any(
        name in rule["names"] and rule["action"] == "SCMP_ACT_ALLOW" and "args" not in rule
        for rule in profile["syscalls"]
    )


def test_defaults_and_architectures() -> None:
    oci = to_oci(default_profile(), defaults.DEFAULT_CAPS, AMD64)
    assert oci["defaultAction"] == "SCMP_ACT_ERRNO" and oci["defaultErrnoRet"] == 1
    assert oci["architectures"] == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
    assert to_oci(default_profile(), [], ARM64)["architectures"][0] == "SCMP_ARCH_AARCH64"
    assert all(set(rule) <= {"names", "action", "args", "errnoRet"} for rule in oci["syscalls"])


def test_sys_admin_syscalls_follow_the_capability() -> None:
    plain = to_oci(default_profile(), defaults.DEFAULT_CAPS, AMD64)
    admin = to_oci(default_profile(), [*defaults.DEFAULT_CAPS, "CAP_SYS_ADMIN"], AMD64)
    for name in ("mount", "unshare", "setns"):
        assert not allowed(plain, name) and allowed(admin, name)
    clone3 = [r for r in plain["syscalls"] if "clone3" in r["names"]]
    assert clone3 == [{"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]
    assert not [r for r in admin["syscalls"] if r["action"] == "SCMP_ACT_ERRNO"]


def test_blocked_by_default() -> None:
    oci = to_oci(default_profile(), defaults.DEFAULT_CAPS, AMD64)
    for name in ("keyctl", "io_uring_setup", "reboot", "init_module", "kexec_load"):
        assert not allowed(oci, name)
    assert allowed(oci, "read") and allowed(oci, "chroot")  # CAP_SYS_CHROOT is a default


def test_arch_and_kernel_conditions() -> None:
    assert allowed(to_oci(default_profile(), [], AMD64), "arch_prctl")
    assert not allowed(to_oci(default_profile(), [], ARM64), "arch_prctl")
    old = Host("amd64", "SCMP_ARCH_X86_64", (4, 4))
    assert allowed(to_oci(default_profile(), [], AMD64), "ptrace")
    assert not allowed(to_oci(default_profile(), [], old), "ptrace")


def test_conditional_args_kept() -> None:
    oci = to_oci(default_profile(), [], AMD64)
    personality = [r for r in oci["syscalls"] if r["names"] == ["personality"]]
    assert {r["args"][0]["value"] for r in personality} >= {0, 8, 0xFFFFFFFF}
