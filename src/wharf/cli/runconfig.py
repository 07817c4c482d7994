"""``run``/``create`` flags → the ``POST /containers/create`` body (Config + HostConfig).

Parsing follows docker's ``opts`` package: sizes like ``512m`` (binary units), ``--cpus 1.5``,
``-p [ip:][hostPort:]containerPort[/proto]`` with ranges, ``-v`` binds vs anonymous volumes,
``-e KEY`` taken from the caller's environment, ``--env-file``, ``--restart name[:N]``.
"""

from __future__ import annotations

from collections.abc import Mapping

from wharf.cli.command import CommandFailed
from wharf.cli.flags import BOOL, INT, LIST, STRING, Flag, Parsed
from wharf.cli.runhealth import HEALTH_FLAGS, healthcheck, on_failure_labels

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_SIZE_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40,
               "p": 1 << 50}

_CREATE_FLAGS = (
    Flag("add-host", "", LIST, "Add a custom host-to-IP mapping (host:ip)"),
    Flag("attach", "a", LIST, "Attach to STDIN, STDOUT or STDERR"),
    Flag("cap-add", "", LIST, "Add Linux capabilities"),
    Flag("cap-drop", "", LIST, "Drop Linux capabilities"),
    Flag("cpu-shares", "c", INT, "CPU shares (relative weight)"),
    Flag("cpus", "", STRING, "Number of CPUs", type_name="decimal"),
    Flag("dns", "", LIST, "Set custom DNS servers"),
    Flag("dns-option", "", LIST, "Set DNS options"),
    Flag("dns-search", "", LIST, "Set custom DNS search domains"),
    Flag("domainname", "", STRING, "Container NIS domain name"),
    Flag("entrypoint", "", STRING, "Overwrite the default ENTRYPOINT of the image"),
    Flag("env", "e", LIST, "Set environment variables"),
    Flag("env-file", "", LIST, "Read in a file of environment variables"),
    Flag("expose", "", LIST, "Expose a port or a range of ports"),
    Flag("group-add", "", LIST, "Add additional groups to join"),
    Flag("hostname", "h", STRING, "Container host name"),
    Flag("init", "", BOOL, "Run an init inside the container that forwards signals and reaps "
                           "processes"),
    Flag("interactive", "i", BOOL, "Keep STDIN open even if not attached"),
    Flag("ip", "", STRING, "IPv4 address (e.g., 172.30.100.104)"),
    Flag("ip6", "", STRING, "IPv6 address (e.g., 2001:db8::33)"),
    Flag("ipc", "", STRING, "IPC mode to use"),
    Flag("label", "l", LIST, "Set meta data on a container"),
    Flag("link", "", LIST, "Add link to another container"),
    Flag("mac-address", "", STRING, "Container MAC address (e.g., 92:d0:c6:0a:29:33)"),
    Flag("memory", "m", STRING, "Memory limit", type_name="bytes"),
    Flag("memory-swap", "", STRING, "Swap limit equal to memory plus swap: '-1' to enable "
                                    "unlimited swap", type_name="bytes"),
    Flag("mount", "", LIST, "Attach a filesystem mount to the container"),
    Flag("name", "", STRING, "Assign a name to the container"),
    Flag("network", "", STRING, "Connect a container to a network", type_name="network"),
    Flag("network-alias", "", LIST, "Add network-scoped alias for the container"),
    Flag("pid", "", STRING, "PID namespace to use"),
    Flag("pids-limit", "", INT, "Tune container pids limit (set -1 for unlimited)"),
    Flag("platform", "", STRING, "Set platform if server is multi-platform capable"),
    Flag("privileged", "", BOOL, "Give extended privileges to this container"),
    Flag("publish", "p", LIST, "Publish a container's port(s) to the host"),
    Flag("publish-all", "P", BOOL, "Publish all exposed ports to random ports"),
    Flag("pull", "", STRING, 'Pull image before creating ("always", "missing", "never")',
         default="missing"),
    Flag("quiet", "q", BOOL, "Suppress the pull output"),
    Flag("read-only", "", BOOL, "Mount the container's root filesystem as read only"),
    Flag("restart", "", STRING, "Restart policy to apply when a container exits",
         default="no"),
    Flag("rm", "", BOOL, "Automatically remove the container and its associated anonymous "
                         "volumes when it exits"),
    Flag("runtime", "", STRING, "Runtime to use for this container"),
    Flag("security-opt", "", LIST, "Security Options"),
    Flag("shm-size", "", STRING, "Size of /dev/shm", type_name="bytes"),
    Flag("stop-signal", "", STRING, "Signal to stop the container"),
    Flag("stop-timeout", "", INT, "Timeout (in seconds) to stop a container"),
    Flag("tmpfs", "", LIST, "Mount a tmpfs directory"),
    Flag("tty", "t", BOOL, "Allocate a pseudo-TTY"),
    Flag("user", "u", STRING, "Username or UID (format: <name|uid>[:<group|gid>])"),
    Flag("volume", "v", LIST, "Bind mount a volume"),
    Flag("volume-driver", "", STRING, "Optional volume driver for the container"),
    Flag("volumes-from", "", LIST, "Mount volumes from the specified container(s)"),
    Flag("workdir", "w", STRING, "Working directory inside the container"),
)
CREATE_FLAGS = tuple(sorted((*_CREATE_FLAGS, *HEALTH_FLAGS), key=lambda flag: flag.name))
RUN_ONLY_FLAGS = (
    Flag("detach", "d", BOOL, "Run container in background and print container ID"),
    Flag("detach-keys", "", STRING, "Override the key sequence for detaching a container"),
    Flag("sig-proxy", "", BOOL, "Proxy received signals to the process", default=True),
)


def flag_error(value: str, flag: str, reason: str) -> CommandFailed:
    return CommandFailed(125, f'invalid argument "{value}" for "{flag}" flag: {reason}')


def parse_bytes(text: str, flag: str) -> int:
    """docker's ``RAMInBytes``: ``512m``, ``1.5g``, ``1024`` (binary units)."""
    lowered = text.strip().lower()
    for suffix in ("ib", "b"):
        if lowered.endswith(suffix) and len(lowered) > len(suffix) and \
                lowered[-len(suffix) - 1].isalpha():
            lowered = lowered[:-len(suffix)]
            break
    unit = lowered[-1:] if lowered[-1:].isalpha() else ""
    number = lowered[:-1] if unit else lowered
    if unit not in _SIZE_UNITS:
        raise flag_error(text, flag, f"invalid size: '{text}'")
    try:
        value = float(number)
    except ValueError:
        raise flag_error(text, flag, f"invalid size: '{text}'") from None
    return int(value * _SIZE_UNITS[unit])


def parse_env(values: list[str], files: list[str], env: Mapping[str, str]) -> list[str]:
    """``-e``/``--env-file`` entries in order; ``KEY`` alone takes the caller's value."""
    result: list[str] = []
    for path in files:
        try:
            with open(path, encoding="utf-8") as handle:
                lines = handle.read().splitlines()
        except OSError as exc:
            raise CommandFailed(125, f"open {path}: {exc.strerror}") from exc
        for line in lines:
            stripped = line.lstrip()
            if stripped and not stripped.startswith("#"):
                _add_env(result, stripped, env)
    for value in values:
        _add_env(result, value, env)
    return result


def _add_env(result: list[str], entry: str, env: Mapping[str, str]) -> None:
    if "=" in entry:
        if entry.startswith("="):
            raise CommandFailed(125, f"invalid environment variable: {entry}")
        result.append(entry)
    elif entry in env:
        result.append(f"{entry}={env[entry]}")


def key_value_map(values: list[str]) -> dict[str, str]:
    """``key=value`` strings as a map (``key`` alone: an empty value), as docker's
    ``ConvertKVStringsToMap`` reads ``--label``, ``--opt`` and the like."""
    found: dict[str, str] = {}
    for value in values:
        key, _, text = value.partition("=")
        found[key] = text
    return found


def _port_range(text: str) -> list[int]:
    start, _, end = text.partition("-")
    first = int(start)
    last = int(end) if end else first
    if not 0 <= first <= last <= 65535:
        raise ValueError(text)
    return list(range(first, last + 1))


def parse_publish(values: list[str]) -> tuple[dict[str, dict[str, Any]],
                                             dict[str, list[dict[str, str]]]]:
    """``-p`` values → (ExposedPorts, PortBindings)."""
    exposed: dict[str, dict[str, Any]] = {}
    bindings: dict[str, list[dict[str, str]]] = {}
    for value in values:
        spec, _, proto = value.partition("/")
        proto = proto or "tcp"
        ip, host_part, container_part = _split_publish(spec)
        try:
            container_ports = _port_range(container_part)
            host_ports: list[int | None] = list(_port_range(host_part)) if host_part else []
        except ValueError:
            raise flag_error(value, "-p, --publish", f"invalid port: {container_part}") from None
        if len(host_ports) > 1 and len(host_ports) != len(container_ports):
            raise flag_error(value, "-p, --publish", "port ranges don't match")
        for index, port in enumerate(container_ports):
            key = f"{port}/{proto}"
            exposed[key] = {}
            host = ""
            if len(host_ports) == len(container_ports):
                host = str(host_ports[index])
            elif host_part:
                host = host_part
            bindings.setdefault(key, []).append({"HostIp": ip, "HostPort": host})
    return exposed, bindings


def _split_publish(spec: str) -> tuple[str, str, str]:
    if spec.startswith("["):
        ip, _, rest = spec[1:].partition("]")
        parts = rest.lstrip(":").split(":")
        return ip, parts[0] if len(parts) > 1 else "", parts[-1]
    parts = spec.rsplit(":", 2)
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    return "", "", parts[0]


def parse_volumes(values: list[str]) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """``-v`` values → (Binds, anonymous Volumes)."""
    binds: list[str] = []
    volumes: dict[str, dict[str, Any]] = {}
    for value in values:
        if ":" in value:
            binds.append(value)
        else:
            volumes[value] = {}
    return binds, volumes


def parse_restart(text: str) -> dict[str, Any]:
    name, _, count = text.partition(":")
    if name not in ("", "no", "always", "unless-stopped", "on-failure"):
        raise CommandFailed(125, f"invalid restart policy: unknown policy '{name}'; use one of "
                                 "'no', 'always', 'on-failure', or 'unless-stopped'")
    if count and name != "on-failure":
        raise CommandFailed(125, "invalid restart policy: maximum retry count can only be "
                                 "used with 'on-failure'")
    try:
        retries = int(count) if count else 0
    except ValueError:
        raise CommandFailed(125, f"invalid restart policy: invalid count: {count}") from None
    return {"Name": name or "no", "MaximumRetryCount": retries}


def parse_cpus(text: str) -> int:
    try:
        return round(float(text) * 1e9)
    except ValueError:
        raise flag_error(text, "--cpus", "failed to parse " + text + " as a rational number") \
            from None


def attach_streams(opts: Parsed, detach: bool) -> tuple[bool, bool, bool]:
    """(stdin, stdout, stderr) to attach, docker's defaults when ``-a`` is not given."""
    wanted = [value.lower() for value in opts["attach"]]
    for value in wanted:
        if value not in ("stdin", "stdout", "stderr"):
            raise CommandFailed(125, f'invalid argument "{value}" for "-a, --attach" flag: '
                                     "valid streams are STDIN, STDOUT and STDERR")
    if detach:
        if wanted:
            raise CommandFailed(1, "conflicting options: cannot specify both --attach and "
                                   "--detach")
        return False, False, False
    if wanted:
        return "stdin" in wanted, "stdout" in wanted, "stderr" in wanted
    return bool(opts["interactive"]), True, True


def build_create_body(opts: Parsed, env: Mapping[str, str], detach: bool) -> dict[str, Any]:
    """The JSON body of ``POST /containers/create`` for ``run``/``create`` options."""
    image, command = opts.args[0], opts.args[1:]
    stdin, stdout, stderr = attach_streams(opts, detach)
    exposed, bindings = parse_publish(opts["publish"])
    for value in opts["expose"]:
        port, _, proto = value.partition("/")
        try:
            numbers = _port_range(port)
        except ValueError:
            raise flag_error(value, "--expose", f"invalid range format for --expose: {value}"
                             ) from None
        for number in numbers:
            exposed[f"{number}/{proto or 'tcp'}"] = {}
    binds, volumes = parse_volumes(opts["volume"])
    if opts["rm"] and str(opts["restart"]) not in ("", "no"):
        raise CommandFailed(125, "Conflicting options: --restart and --rm")
    config: dict[str, Any] = {
        "Hostname": opts["hostname"], "Domainname": opts["domainname"], "User": opts["user"],
        "AttachStdin": stdin, "AttachStdout": stdout, "AttachStderr": stderr,
        "Tty": opts["tty"], "OpenStdin": opts["interactive"],
        "StdinOnce": bool(stdin and opts["interactive"]),
        "Env": parse_env(opts["env"], opts["env-file"], env), "Cmd": command or None,
        "Image": image, "Volumes": volumes or None, "WorkingDir": opts["workdir"],
        "Entrypoint": [opts["entrypoint"]] if opts.changed("entrypoint") else None,
        "Labels": {**key_value_map(opts["label"]), **on_failure_labels(opts)},
    }
    health = healthcheck(opts)
    if health is not None:
        config["Healthcheck"] = health
    if exposed:
        config["ExposedPorts"] = exposed
    if opts["stop-signal"]:
        config["StopSignal"] = opts["stop-signal"]
    if opts.changed("stop-timeout"):
        config["StopTimeout"] = opts["stop-timeout"]
    config["HostConfig"] = build_host_config(opts, binds, bindings)
    from wharf.cli.runnetwork import endpoints_config  # (it builds on this module)

    config["NetworkingConfig"] = {"EndpointsConfig": endpoints_config(opts)}
    return config


def build_host_config(opts: Parsed, binds: list[str],
                      bindings: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
    host: dict[str, Any] = {
        "Binds": binds or None, "NetworkMode": opts["network"] or "default",
        "PortBindings": bindings, "RestartPolicy": parse_restart(str(opts["restart"])),
        "AutoRemove": opts["rm"], "CapAdd": opts["cap-add"] or None,
        "CapDrop": opts["cap-drop"] or None, "Dns": _dns_servers(opts["dns"]),
        "DnsOptions": opts["dns-option"], "DnsSearch": opts["dns-search"],
        "Links": _links(opts["link"]) or None,
        "ExtraHosts": _extra_hosts(opts["add-host"]) or None,
        "GroupAdd": opts["group-add"] or None, "IpcMode": opts["ipc"],
        "PidMode": opts["pid"], "Privileged": opts["privileged"],
        "PublishAllPorts": opts["publish-all"], "ReadonlyRootfs": opts["read-only"],
        "SecurityOpt": opts["security-opt"] or None, "CpuShares": opts["cpu-shares"],
        "Memory": parse_bytes(opts["memory"], "-m, --memory") if opts["memory"] else 0,
        "NanoCpus": parse_cpus(opts["cpus"]) if opts["cpus"] else 0,
    }
    if opts["memory-swap"]:
        swap = str(opts["memory-swap"])
        host["MemorySwap"] = -1 if swap == "-1" else parse_bytes(swap, "--memory-swap")
    if opts["shm-size"]:
        host["ShmSize"] = parse_bytes(opts["shm-size"], "--shm-size")
    if opts.changed("pids-limit"):
        host["PidsLimit"] = opts["pids-limit"]
    if opts["init"]:
        host["Init"] = True
    if opts["runtime"]:
        host["Runtime"] = opts["runtime"]
    if opts["tmpfs"]:
        host["Tmpfs"] = dict(_tmpfs(value) for value in opts["tmpfs"])
    if opts["mount"]:
        from wharf.cli.mountopt import parse_mount_flag  # (it builds on this module)

        host["Mounts"] = [parse_mount_flag(value) for value in opts["mount"]]
    if opts["volumes-from"] or opts["volume-driver"]:
        host["VolumesFrom"] = opts["volumes-from"] or None
        host["VolumeDriver"] = opts["volume-driver"]
    return host


def _dns_servers(values: list[str]) -> list[str]:
    from wharf.cli.runnetwork import dns_server  # (it builds on this module)

    return [dns_server(value) for value in values]


def _links(values: list[str]) -> list[str]:
    from wharf.cli.runnetwork import link  # (it builds on this module)

    return [link(value) for value in values]


def _extra_hosts(values: list[str]) -> list[str]:
    from wharf.cli.extrahosts import parse_extra_host  # (it builds on this module)

    return [parse_extra_host(value) for value in values]


def _tmpfs(value: str) -> tuple[str, str]:
    path, _, options = value.partition(":")
    return path, options
