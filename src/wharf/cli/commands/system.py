"""``version``, ``info``, ``events``, ``system df``."""

from __future__ import annotations

import os
import sys
import time

from wharf.cli.command import Command, CommandFailed, Context, describe_error
from wharf.cli.commands.common import parse_filters
from wharf.cli.flags import LIST, STRING, Flag, Parsed
from wharf.core.apiversion import API_VERSION
from wharf.core.errors import WharfError
from wharf.core.units import bytes_size

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

CLIENT_VERSION = "0.1.0"
CLIENT_API_VERSION = API_VERSION


def _template_output(ctx: Context, format_text: str, data: Any) -> None:
    from wharf.cli.template import Template, TemplateError

    if format_text == "json":
        format_text = "{{json .}}"
    try:
        ctx.out(Template(format_text.replace("\\t", "\t").replace("\\n", "\n")).execute(data))
    except TemplateError as exc:
        raise CommandFailed(1, f"template parsing error: {exc}") from exc


def _client_version(ctx: Context) -> dict[str, Any]:
    return {"Platform": {"Name": ""}, "Version": CLIENT_VERSION,
            "ApiVersion": CLIENT_API_VERSION, "DefaultAPIVersion": CLIENT_API_VERSION,
            "PythonVersion": "{}.{}.{}".format(*sys.version_info[:3]),
            "GitCommit": "", "BuildTime": "",
            "Os": "linux", "Arch": _arch(), "Context": "default"}


def _arch() -> str:
    machine = os.uname().machine
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def version(ctx: Context, opts: Parsed) -> int:
    data: dict[str, Any] = {"Client": _client_version(ctx), "Server": None}
    error: WharfError | None = None
    try:
        data["Server"] = ctx.client().system.version()
    except WharfError as exc:
        error = exc
    if opts["format"]:
        _template_output(ctx, str(opts["format"]), data)
    else:
        ctx.out("\n".join(_version_lines(data)))
    if error is not None:
        ctx.err(describe_error(error))
        return 1
    return 0


def _version_lines(data: dict[str, Any]) -> list[str]:
    client = data["Client"]
    lines = ["Client:"]
    for label, value in (("Version", client["Version"]), ("API version", client["ApiVersion"]),
                         ("Python version", client["PythonVersion"]),
                         ("OS/Arch", f"{client['Os']}/{client['Arch']}"),
                         ("Context", client["Context"])):
        lines.append(f" {label + ':':<19}{value}")
    server = data["Server"]
    if not server:
        return lines
    name = (server.get("Platform") or {}).get("Name") or ""
    lines += ["", f"Server: {name}".rstrip()]
    for component in server.get("Components") or [_engine_component(server)]:
        lines += _component_lines(component)
    return lines


def _engine_component(server: dict[str, Any]) -> dict[str, Any]:
    details = {key: str(server.get(key, "")) for key in
               ("ApiVersion", "MinAPIVersion", "GoVersion", "GitCommit", "BuildTime", "Os",
                "Arch", "Experimental")}
    return {"Name": "Engine", "Version": server.get("Version", ""), "Details": details}


def _component_lines(component: dict[str, Any]) -> list[str]:
    details = component.get("Details") or {}
    lines = [f" {component.get('Name')}:", f"  {'Version:':<18}{component.get('Version', '')}"]
    if component.get("Name") != "Engine":
        lines += [f"  {key + ':':<18}{value}" for key, value in sorted(details.items())]
        return lines
    rows = (("API version", f"{details.get('ApiVersion', '')} (minimum version "
                            f"{details.get('MinAPIVersion', '')})"),
            ("Go version", details.get("GoVersion", "")),
            ("Git commit", details.get("GitCommit", "")),
            ("Built", details.get("BuildTime", "")),
            ("OS/Arch", f"{details.get('Os', '')}/{details.get('Arch', '')}"),
            ("Experimental", str(details.get("Experimental", "false")).lower()))
    lines += [f"  {label + ':':<18}{value}" for label, value in rows]
    return lines


def info(ctx: Context, opts: Parsed) -> int:
    client_info = {"Version": CLIENT_VERSION, "Context": "default",
                   "Debug": ctx.options.debug}
    try:
        server = ctx.client().system.info()
    except WharfError as exc:
        if opts["format"]:
            raise
        ctx.out("\n".join(_client_info_lines(client_info)) + "\n\nServer:")
        ctx.err(describe_error(exc))
        return 1
    if opts["format"]:
        _template_output(ctx, str(opts["format"]), {**server, "ClientInfo": client_info})
        return 0
    ctx.out("\n".join([*_client_info_lines(client_info), "", "Server:",
                       *_server_info_lines(server)]))
    return 0


def _client_info_lines(client_info: dict[str, Any]) -> list[str]:
    return ["Client:", f" Version:    {client_info['Version']}",
            f" Context:    {client_info['Context']}",
            f" Debug Mode: {str(client_info['Debug']).lower()}"]


def _server_info_lines(server: dict[str, Any]) -> list[str]:
    def value(key: str) -> str:
        raw = server.get(key, "")
        return str(raw).lower() if isinstance(raw, bool) else str(raw)

    lines = [f" Containers: {value('Containers')}",
             f"  Running: {value('ContainersRunning')}",
             f"  Paused: {value('ContainersPaused')}",
             f"  Stopped: {value('ContainersStopped')}",
             f" Images: {value('Images')}",
             f" Server Version: {value('ServerVersion')}",
             f" Storage Driver: {value('Driver')}"]
    lines += [f"  {name}: {text}" for name, text in server.get("DriverStatus") or []]
    lines += [f" Logging Driver: {value('LoggingDriver')}",
              f" Cgroup Driver: {value('CgroupDriver')}",
              f" Cgroup Version: {value('CgroupVersion')}",
              f" Runtimes: {' '.join(sorted(server.get('Runtimes') or {}))}",
              f" Default Runtime: {value('DefaultRuntime')}",
              f" Kernel Version: {value('KernelVersion')}",
              f" Operating System: {value('OperatingSystem')}",
              f" OSType: {value('OSType')}",
              f" Architecture: {value('Architecture')}",
              f" CPUs: {value('NCPU')}",
              f" Total Memory: {bytes_size(float(server.get('MemTotal') or 0))}",
              f" Name: {value('Name')}",
              f" ID: {value('ID')}",
              f" Docker Root Dir: {value('DockerRootDir')}",
              f" Debug Mode: {value('Debug') or 'false'}",
              f" Experimental: {value('ExperimentalBuild') or 'false'}"]
    registries = (server.get("RegistryConfig") or {}).get("InsecureRegistryCIDRs") or []
    if registries:
        lines += [" Insecure Registries:", *[f"  {cidr}" for cidr in registries]]
    lines.append(f" Live Restore Enabled: {value('LiveRestoreEnabled') or 'false'}")
    return lines


def events(ctx: Context, opts: Parsed) -> int:
    from wharf.cli.template import Template
    from wharf.cli.timestamps import to_api_timestamp

    stream = ctx.client().system.events(
        since=to_api_timestamp(str(opts["since"])) or None,
        until=to_api_timestamp(str(opts["until"])) or None,
        filters=parse_filters(opts["filter"]))
    format_text = str(opts["format"])
    template = None
    if format_text:
        template = Template(("{{json .}}" if format_text == "json" else format_text)
                            .replace("\\t", "\t").replace("\\n", "\n"))
    for event in stream:
        ctx.out(template.execute(event) if template else format_event(event))
        ctx.stdout.flush()
    return 0


def format_event(event: dict[str, Any]) -> str:
    """``2024-01-01T10:00:00.000000000Z container start <id> (image=x, name=y)``."""
    nanos = int(event.get("timeNano") or int(event.get("time") or 0) * 1_000_000_000)
    actor = event.get("Actor") or {}
    text = (f"{local_rfc3339_nano(nanos)} {event.get('Type', '')} {event.get('Action', '')} "
            f"{actor.get('ID', '')}")
    attributes = actor.get("Attributes") or {}
    if attributes:
        text += " (" + ", ".join(f"{key}={attributes[key]}" for key in sorted(attributes)) + ")"
    return text


def local_rfc3339_nano(nanos: int) -> str:
    """Go's ``2006-01-02T15:04:05.000000000Z07:00`` in local time."""
    seconds, fraction = divmod(nanos, 1_000_000_000)
    local = time.localtime(seconds)
    offset = time.strftime("%z", local)
    zone = "Z" if offset in ("+0000", "-0000") else f"{offset[:3]}:{offset[3:]}"
    return time.strftime("%Y-%m-%dT%H:%M:%S", local) + f".{fraction:09d}{zone}"


VERSION = Command("[OPTIONS]", "Show the wharf version information", version,
                  (Flag("format", "f", STRING, "Format output using a custom template"),),
                  max_args=0)
INFO = Command("[OPTIONS]", "Display system-wide information", info,
               (Flag("format", "f", STRING, "Format output using a custom template"),),
               max_args=0)
EVENTS = Command(
    "[OPTIONS]", "Get real time events from the server", events,
    (Flag("filter", "f", LIST, "Filter output based on conditions provided",
          type_name="filter"),
     Flag("format", "", STRING, "Format output using a custom template"),
     Flag("since", "", STRING, "Show all events created since timestamp"),
     Flag("until", "", STRING, "Stream events until this timestamp")),
    max_args=0)
