"""Container creation as ordered, named steps (youki's shape).

``INIT_STEPS`` run in the container's init after its namespaces exist; ``EXEC_STEPS`` in a
process exec'd into a running container (namespaces already joined). Seccomp goes on early
only without no_new_privs (loading needs CAP_SYS_ADMIN then); otherwise last before execve.
Every fd not passed on is closed before seccomp (a profile may forbid close_range) and before
the cwd is entered (CVE-2024-21626).
"""

from __future__ import annotations

from wharf.runtime.oci.steps import devices, mounts, process, rootfs
from wharf.runtime.oci.steps.context import CgroupMount, InitContext, Step

INIT_STEPS: tuple[Step, ...] = (
    Step("root_propagation", mounts.set_root_propagation),
    Step("bind_rootfs", mounts.bind_rootfs),
    Step("mounts", mounts.mount_all),
    Step("devices", devices.create_devices),
    Step("dev_symlinks", devices.create_dev_symlinks),
    Step("pivot_root", rootfs.pivot_root),
    Step("final_propagation", rootfs.set_final_propagation),
    Step("console", process.setup_console),
    Step("sysctl", rootfs.apply_sysctl),
    Step("readonly_paths", rootfs.readonly_paths),
    Step("masked_paths", rootfs.masked_paths),
    Step("readonly_root", rootfs.readonly_root),
    Step("hostname", rootfs.set_hostname),
    Step("close_fds", process.close_fds),
    Step("rlimits", process.set_rlimits),
    Step("no_new_privs", process.set_no_new_privs),
    Step("seccomp_early", process.load_seccomp_early),
    Step("bounding_set", process.drop_bounding_set),
    Step("user", process.switch_user),
    Step("capabilities", process.set_capabilities),
    Step("cwd", process.change_cwd),
    Step("umask", process.set_umask),
    Step("lookup_executable", process.lookup_executable),
    Step("report_created", process.report_created),
    Step("wait_for_start", process.wait_for_start),
    Step("seccomp_late", process.load_seccomp_late),
    Step("exec", process.exec_process),
)

EXEC_STEPS: tuple[Step, ...] = (
    Step("console", process.setup_exec_console),
    Step("close_fds", process.close_fds),
    Step("rlimits", process.set_rlimits),
    Step("no_new_privs", process.set_no_new_privs),
    Step("seccomp_early", process.load_seccomp_early),
    Step("bounding_set", process.drop_bounding_set),
    Step("user", process.switch_user),
    Step("capabilities", process.set_capabilities),
    Step("cwd", process.change_cwd),
    Step("umask", process.set_umask),
    Step("lookup_executable", process.lookup_executable),
    Step("report_created", process.report_created),
    Step("seccomp_late", process.load_seccomp_late),
    Step("exec", process.exec_process),
)


def run_steps(steps: tuple[Step, ...], ctx: InitContext) -> None:
    for step in steps:
        step.run(ctx)


__all__ = ["EXEC_STEPS", "INIT_STEPS", "CgroupMount", "InitContext", "Step", "run_steps"]
