"""``wharf-runtime features``: what this runtime implements (runtime-spec features.md)."""

from __future__ import annotations

from typing import Any

from wharf.core.capabilities import CAPABILITIES
from wharf.runtime.oci.mountopts import FLAG_OPTIONS, PROPAGATION_OPTIONS, RECURSIVE_OPTIONS
from wharf.runtime.oci.namespaces import NAMESPACE_FLAGS
from wharf.runtime.oci.seccomp_bpf import ARCH_NAMES, COMPARE_OPS
from wharf.runtime.oci.state import OCI_VERSION


def features() -> dict[str, Any]:
    return {
        "ociVersionMin": "1.0.0",
        "ociVersionMax": OCI_VERSION,
        "hooks": ["prestart", "createRuntime", "poststart", "poststop"],
        "mountOptions": sorted([*FLAG_OPTIONS, *PROPAGATION_OPTIONS, *RECURSIVE_OPTIONS]),
        "linux": {
            "namespaces": sorted(NAMESPACE_FLAGS),
            "capabilities": list(CAPABILITIES),
            "cgroup": {"v1": True, "v2": True, "systemd": False, "systemdUser": False},
            "seccomp": {
                "enabled": True,
                "actions": ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",
                            "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
                            "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"],
                "operators": sorted(COMPARE_OPS),
                "archs": sorted(ARCH_NAMES),
            },
            "apparmor": {"enabled": False},
            "selinux": {"enabled": False},
        },
        "annotations": {"org.opencontainers.runc.version": "wharf-runtime"},
    }
