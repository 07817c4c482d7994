"""Which service fields wharf models, and which the Compose Spec knows but wharf does not.

A field in :data:`UNSUPPORTED` is reported ``not supported by wharf`` rather than silently
ignored; one in neither set is not a compose field at all. A test checks that the two sets cover
the spec's service properties exactly (the spec is read only there, never at runtime).
"""

from __future__ import annotations

SUPPORTED = frozenset({
    "image", "build", "command", "entrypoint", "environment", "env_file", "ports", "expose",
    "volumes", "tmpfs", "networks", "depends_on", "healthcheck", "restart", "labels",
    "working_dir", "user", "hostname", "extra_hosts", "dns", "init", "stop_signal",
    "stop_grace_period", "deploy", "profiles", "scale", "pull_policy",
})  # fmt: skip

UNSUPPORTED = frozenset({
    "annotations", "attach", "blkio_config", "cap_add", "cap_drop", "cgroup", "cgroup_parent",
    "configs", "container_name", "cpu_count", "cpu_percent", "cpu_period", "cpu_quota",
    "cpu_rt_period", "cpu_rt_runtime", "cpu_shares", "cpus", "cpuset", "credential_spec",
    "develop", "device_cgroup_rules", "devices", "dns_opt", "dns_search", "domainname",
    "extends", "external_links", "gpus", "group_add", "ipc", "isolation", "label_file", "links",
    "logging", "mac_address", "mem_limit", "mem_reservation", "mem_swappiness", "memswap_limit",
    "models", "network_mode", "oom_kill_disable", "oom_score_adj", "pid", "pids_limit",
    "platform", "post_start", "pre_stop", "privileged", "provider",
    "pull_refresh_after", "read_only", "runtime", "secrets", "security_opt",
    "shm_size", "stdin_open", "storage_opt", "sysctls", "tty", "ulimits", "use_api_socket",
    "userns_mode", "uts", "volumes_from",
})  # fmt: skip

TOP_SUPPORTED = frozenset({"name", "version", "services", "networks", "volumes"})
TOP_UNSUPPORTED = frozenset({"configs", "include", "models", "secrets"})
RESOURCE_KEYS = frozenset({"external", "driver", "driver_opts", "labels", "name"})
