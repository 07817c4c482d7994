"""The start path's networking step: the container's network (``container_network``), then the
texts of its /etc/hosts and /etc/resolv.conf for that network (``container_network_etc``),
then its names with the embedded resolver. Without networking wired (unit tests' fakes) the
container gets the files of a network-less one."""

from __future__ import annotations

import contextlib
import ipaddress
from pathlib import Path

from wharf.core.errors import Conflict, WharfError
from wharf.services.container_network import ContainerNetworking, Lookup
from wharf.services.container_network_names import parse_links
from wharf.services.container_network_plan import BRIDGE, CONTAINER, HOST, NONE, kind_of, mode_of
from wharf.services.container_network_types import (
    DEFAULT_NETWORK,
    ContainerNet,
    DnsDefaults,
    EtcInput,
    EtcTexts,
    HostLine,
)
from wharf.services.container_record import ContainerRecord


async def prepare(networking: ContainerNetworking | None, record: ContainerRecord,
                  lookup: Lookup, host_resolv: Path) -> tuple[ContainerNet, EtcTexts]:
    """The network for the container's process and its /etc texts (nothing left on failure:
    what was made is undone in the background)."""
    if networking is None:
        kind = kind_of(mode_of(record.host_config))
        net = ContainerNet(kind if kind in (HOST, NONE) else NONE)
        return net, etc_texts(None, record, net, lookup, _read(host_resolv), DnsDefaults())
    net = await networking.setup(record, lookup)
    try:
        texts = etc_texts(networking, record, net, lookup, _read(host_resolv),
                          networking.deps.dns_defaults)
        await networking.start_dns(record, net, texts.upstreams, texts.user_ndots, lookup)
    except BaseException:
        networking.schedule_teardown(record.id)
        raise
    return net, texts


def etc_texts(networking: ContainerNetworking | None, record: ContainerRecord,
              net: ContainerNet, lookup: Lookup, host_resolv: str,
              defaults: DnsDefaults) -> EtcTexts:
    addresses = [address for a in net.attachments
                 for key in ("IPAddress", "GlobalIPv6Address")
                 if (address := str(a.endpoint.settings.get(key) or ""))]
    on_default = any(a.network.name == DEFAULT_NETWORK for a in net.attachments)
    inp = EtcInput(
        mode=HOST if net.mode == HOST else (BRIDGE if net.attachments else NONE),
        hostname=str(record.config.get("Hostname") or record.id[:12]),
        domainname=str(record.config.get("Domainname") or ""),
        own_addresses=tuple(addresses),
        embedded_dns=any(a.dns_enabled for a in net.attachments),
        ipv6=any(a.endpoint.settings.get("GlobalIPv6Address") for a in net.attachments),
        extra_hosts=tuple(record.host_config.get("ExtraHosts") or ()),
        links=tuple(link_entries(networking, record, lookup)) if on_default else (),
        host_gateway=host_gateway(networking),
    )
    if networking is None:
        return bare_etc(inp, host_resolv)
    host_hosts = _read(networking.deps.host_hosts) if net.mode == HOST else ""
    return networking.deps.etc(inp, host_resolv, host_hosts, dns_settings(record, defaults))


def dns_settings(record: ContainerRecord, defaults: DnsDefaults) -> DnsDefaults:
    """The container's ``--dns*`` settings, else the daemon's."""
    host_config = record.host_config
    return DnsDefaults(
        servers=tuple(host_config.get("Dns") or ()) or defaults.servers,
        search=tuple(host_config.get("DnsSearch") or ()) or defaults.search,
        options=tuple(host_config.get("DnsOptions") or ()) or defaults.options,
    )


def bare_etc(inp: EtcInput, host_resolv: str) -> EtcTexts:
    """Without networking wired (unit tests): loopback lines and the host's resolvers that
    are not loopback ones."""
    hosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
    hosts += "".join(f"{entry.partition(':')[2]}\t{entry.partition(':')[0]}\n"
                     for entry in inp.extra_hosts)
    resolv = "".join(line + "\n" for line in host_resolv.splitlines()
                     if not _loopback_nameserver(line.split()))
    return EtcTexts(hosts, resolv)


def link_entries(networking: ContainerNetworking | None, record: ContainerRecord,
                 lookup: Lookup) -> list[HostLine]:
    """Legacy links on the default bridge: ``ip alias hostname name`` per linked container,
    which must be running (dockerd's message)."""
    entries = []
    for name, alias in parse_links(record):
        peer = lookup(name)
        if not peer.state.running:
            raise Conflict(f"Cannot link to a non running container: /{peer.name} AS "
                           f"/{record.name}/{alias}")
        peer_net = networking.running.get(peer.id) if networking else None
        for attachment in peer_net.attachments if peer_net else []:
            address = attachment.endpoint.settings.get("IPAddress")
            if attachment.network.name == DEFAULT_NETWORK and address:
                names = [alias, str(peer.config.get("Hostname") or "")]
                if alias != peer.name:
                    names.append(peer.name)
                entries.append(HostLine(str(address), tuple(n for n in names if n)))
    return entries


def host_gateway(networking: ContainerNetworking | None) -> str:
    """Docker's host-gateway-ip default: the default bridge's address."""
    if networking is None:
        return ""
    with contextlib.suppress(WharfError, IndexError, ValueError):
        networks = networking.deps.networks
        spec = networks.bridge_spec(networks.resolve(DEFAULT_NETWORK))
        for address in spec.addresses:
            interface = ipaddress.ip_interface(address)
            if interface.version == 4:
                return str(interface.ip)
    return ""


def peer_etc_files(record: ContainerRecord, lookup: Lookup,
                   container_dir: Path) -> dict[str, Path] | None:
    """``--network container:<x>`` shares x's /etc/hosts, resolv.conf and hostname."""
    if kind_of(mode_of(record.host_config)) != CONTAINER:
        return None
    peer = lookup(mode_of(record.host_config).partition(":")[2])
    peer_dir = container_dir.parent / peer.id
    return {"/etc/hostname": peer_dir / "hostname", "/etc/hosts": peer_dir / "hosts",
            "/etc/resolv.conf": peer_dir / "resolv.conf"}


def _loopback_nameserver(words: list[str]) -> bool:
    return len(words) > 1 and words[0] == "nameserver" and words[1].startswith(("127.", "::1"))


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""
