"""``wharf network create|ls|inspect|rm|prune|connect|disconnect``, as docker's."""

from __future__ import annotations

import re

from wharf.cli.command import Command, Context, describe_error
from wharf.cli.commands.common import FORMAT_FLAG, parse_filters, print_prune_report
from wharf.cli.commands.network_ipam import consolidate_ipam
from wharf.cli.flags import BOOL, LIST, MAP, STRING, Flag, Parsed
from wharf.cli.rows import IdRow
from wharf.cli.runconfig import key_value_map
from wharf.core.errors import NotFound, WharfError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

LS_TABLE = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"
LS_HEADERS = {"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE",
              "IPv4": "IPV4", "IPv6": "IPV6", "Internal": "INTERNAL", "Labels": "LABELS",
              "CreatedAt": "CREATED AT"}
PRUNE_WARNING = ("WARNING! This will remove all custom networks not used by at least one "
                 "container.")


class NetworkRow(IdRow):
    """One network seen through ``docker network ls`` placeholders."""

    __slots__ = ()

    def Name(self) -> str:
        return str(self.data.get("Name", ""))

    def Driver(self) -> str:
        return str(self.data.get("Driver", ""))

    def Scope(self) -> str:
        return str(self.data.get("Scope", ""))

    def IPv4(self) -> str:
        return "true" if self.data.get("EnableIPv4", True) else "false"

    def IPv6(self) -> str:
        return "true" if self.data.get("EnableIPv6") else "false"

    def Internal(self) -> str:
        return "true" if self.data.get("Internal") else "false"

    def Labels(self) -> str:
        labels = self.data.get("Labels") or {}
        return ",".join(f"{key}={value}" for key, value in labels.items())

    def Label(self, name: str) -> str:
        return str((self.data.get("Labels") or {}).get(name, ""))

    def CreatedAt(self) -> str:
        from wharf.cli.formatting import go_time
        from wharf.core.timefmt import parse_rfc3339

        created = str(self.data.get("Created") or "")
        return go_time(parse_rfc3339(created)) if created else ""

    def to_json(self) -> dict[str, str]:
        return {name: getattr(self, name)() for name in LS_HEADERS}


def _natural_key(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def create(ctx: Context, opts: Parsed) -> int:
    configs = consolidate_ipam(opts["subnet"], opts["ip-range"], opts["gateway"],
                               key_value_map(opts["aux-address"]))
    body: dict[str, Any] = {
        "Name": opts.args[0], "Driver": str(opts["driver"]), "Scope": str(opts["scope"]),
        "Internal": bool(opts["internal"]), "Attachable": bool(opts["attachable"]),
        "Ingress": bool(opts["ingress"]), "ConfigOnly": bool(opts["config-only"]),
        "IPAM": {"Driver": str(opts["ipam-driver"]), "Config": configs,
                 "Options": key_value_map(opts["ipam-opt"])},
        "Options": key_value_map(opts["opt"]), "Labels": key_value_map(opts["label"]),
    }
    if opts["config-from"]:
        body["ConfigFrom"] = {"Network": str(opts["config-from"])}
    if "ipv6" in opts.set_flags:
        body["EnableIPv6"] = bool(opts["ipv6"])
    if "ipv4" in opts.set_flags:
        body["EnableIPv4"] = bool(opts["ipv4"])
    ctx.out(str(ctx.client().networks.create(body)["Id"]))
    return 0


def ls(ctx: Context, opts: Parsed) -> int:
    from wharf.cli.formatting import render

    listed = ctx.client().networks.list(parse_filters(opts["filter"]))
    listed.sort(key=lambda network: _natural_key(str(network.get("Name", ""))))
    rows = [NetworkRow(item, trunc=not opts["no-trunc"]) for item in listed]
    format_text = "{{.ID}}" if opts["quiet"] else str(opts["format"])
    for line in render(format_text, LS_TABLE, rows, LS_HEADERS):
        ctx.out(line)
    return 0


def inspect(ctx: Context, opts: Parsed) -> int:
    from wharf.cli.commands.inspect import inspect_with

    networks = ctx.client().networks
    verbose = bool(opts["verbose"])
    return inspect_with(ctx, opts.args, lambda ref: networks.inspect(ref, verbose=verbose),
                        str(opts["format"]))


def rm(ctx: Context, opts: Parsed) -> int:
    networks = ctx.client().networks
    failed = False
    for ref in opts.args:
        try:
            networks.remove(ref)
        except NotFound as exc:
            if not opts["force"]:
                ctx.err(describe_error(exc))
                failed = True
            continue
        except WharfError as exc:
            ctx.err(describe_error(exc))
            failed = True
            continue
        ctx.out(ref)
    return 1 if failed else 0


def prune(ctx: Context, opts: Parsed) -> int:
    from wharf.cli.commands.containers import confirm

    filters = parse_filters(opts["filter"], "--filter")
    if not opts["force"] and not confirm(ctx, PRUNE_WARNING):
        return 0
    deleted = ctx.client().networks.prune(filters).get("NetworksDeleted") or []
    print_prune_report(ctx, "Networks", deleted, None)
    return 0


def connect(ctx: Context, opts: Parsed) -> int:
    config: dict[str, Any] = {}
    if opts["ip"] or opts["ip6"] or opts["link-local-ip"]:
        config["IPAMConfig"] = {"IPv4Address": str(opts["ip"]),
                                "IPv6Address": str(opts["ip6"]),
                                "LinkLocalIPs": list(opts["link-local-ip"])}
    for key, flag in (("Aliases", "alias"), ("Links", "link")):
        if opts[flag]:
            config[key] = list(opts[flag])
    if opts["driver-opt"]:
        config["DriverOpts"] = key_value_map(opts["driver-opt"])
    ctx.client().networks.connect(opts.args[0], opts.args[1], config or None)
    return 0


def disconnect(ctx: Context, opts: Parsed) -> int:
    ctx.client().networks.disconnect(opts.args[0], opts.args[1], bool(opts["force"]))
    return 0


CREATE = Command(
    "[OPTIONS] NETWORK", "Create a network", create,
    (Flag("attachable", "", BOOL, "Enable manual container attachment"),
     Flag("aux-address", "", MAP, "Auxiliary IPv4 or IPv6 addresses used by Network driver"),
     Flag("config-from", "", STRING, "The network from which to copy the configuration"),
     Flag("config-only", "", BOOL, "Create a configuration only network"),
     Flag("driver", "d", STRING, "Driver to manage the Network", default="bridge"),
     Flag("gateway", "", LIST, "IPv4 or IPv6 Gateway for the master subnet",
          type_name="strings"),
     Flag("ingress", "", BOOL, "Create swarm routing-mesh network"),
     Flag("internal", "", BOOL, "Restrict external access to the network"),
     Flag("ip-range", "", LIST, "Allocate container ip from a sub-range",
          type_name="strings"),
     Flag("ipam-driver", "", STRING, "IP Address Management Driver", default="default"),
     Flag("ipam-opt", "", MAP, "Set IPAM driver specific options"),
     Flag("ipv4", "", BOOL, "Enable or disable IPv4 address assignment", default=True),
     Flag("ipv6", "", BOOL, "Enable or disable IPv6 address assignment"),
     Flag("label", "", LIST, "Set metadata on a network"),
     Flag("opt", "o", MAP, "Set driver specific options"),
     Flag("scope", "", STRING, "Control the network's scope"),
     Flag("subnet", "", LIST, "Subnet in CIDR format that represents a network segment",
          type_name="strings")),
    min_args=1, max_args=1)
LS = Command(
    "[OPTIONS]", "List networks", ls,
    (Flag("filter", "f", LIST, "Provide filter values (e.g. \"driver=bridge\")",
          type_name="filter"),
     FORMAT_FLAG, Flag("no-trunc", "", BOOL, "Do not truncate the output"),
     Flag("quiet", "q", BOOL, "Only display network IDs")),
    max_args=0)
INSPECT = Command(
    "[OPTIONS] NETWORK [NETWORK...]", "Display detailed information on one or more networks",
    inspect,
    (Flag("format", "f", STRING, "Format output using a custom template: 'json': Print in "
                                 "JSON format 'TEMPLATE': Print output using the given Go "
                                 "template."),
     Flag("verbose", "v", BOOL, "Verbose output for diagnostics")),
    min_args=1)
RM = Command("NETWORK [NETWORK...]", "Remove one or more networks", rm,
             (Flag("force", "f", BOOL, "Do not error if the network does not exist"),),
             min_args=1)
PRUNE = Command(
    "[OPTIONS]", "Remove all unused networks", prune,
    (Flag("filter", "", LIST, "Provide filter values (e.g. \"until=<timestamp>\")",
          type_name="filter"),
     Flag("force", "f", BOOL, "Do not prompt for confirmation")),
    max_args=0)
CONNECT = Command(
    "[OPTIONS] NETWORK CONTAINER", "Connect a container to a network", connect,
    (Flag("alias", "", LIST, "Add network-scoped alias for the container",
          type_name="strings"),
     Flag("driver-opt", "", LIST, "driver options for the network", type_name="strings"),
     Flag("ip", "", STRING, "IPv4 address (e.g., \"172.30.100.104\")"),
     Flag("ip6", "", STRING, "IPv6 address (e.g., \"2001:db8::33\")"),
     Flag("link", "", LIST, "Add link to another container"),
     Flag("link-local-ip", "", LIST, "Add a link-local address for the container",
          type_name="strings")),
    min_args=2, max_args=2)
DISCONNECT = Command(
    "[OPTIONS] NETWORK CONTAINER", "Disconnect a container from a network", disconnect,
    (Flag("force", "f", BOOL, "Force the container to disconnect from a network"),),
    min_args=2, max_args=2)
