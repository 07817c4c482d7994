"""A container's /etc/resolv.conf and /etc/hosts texts, as dockerd writes them for its network
mode (``network.resolvconf`` builds the text).

- user-defined networks: ``nameserver 127.0.0.11`` (the embedded resolver) with the host's or
  the asked search/options; the resolver forwards to the host's servers (loopback ones too:
  it asks from the host's side, as Docker's does).
- the default bridge and ``none``: the host's servers minus loopback ones; legacy links as
  /etc/hosts lines.
- ``host``: the host's files (the container is in the host's network namespace).
``--dns``/``--dns-search``/``--dns-option`` (or the daemon's ``dns``/``dns-search``/
``dns-opts``) replace the host's lines of their kind. ``--add-host`` lines come after the
loopback ones; ``host-gateway`` is the default bridge's gateway (Docker's host-gateway-ip).
"""

from __future__ import annotations

from collections.abc import Sequence

from wharf.core.errors import InvalidParameter
from wharf.lib.extrahosts import HOST_GATEWAY, ExtraHostError, parse_extra_host
from wharf.network import resolvconf
from wharf.network.resolvconf import HostEntry
from wharf.services.container_network_types import DnsDefaults, EtcInput, EtcTexts


def build(inp: EtcInput, host_resolv: str, host_hosts: str, settings: DnsDefaults) -> EtcTexts:
    """The texts (``NetworkingDeps.etc``; this module is wired in by the daemon: the api's
    imports never reach ``network``)."""
    dns = resolvconf.DnsOverrides(settings.servers, settings.search, settings.options)
    extra = extra_host_entries(inp.extra_hosts, inp.host_gateway)
    if inp.mode == "host":
        return EtcTexts(_host_hosts(host_hosts, extra), _host_resolv(host_resolv, dns))
    conf = resolvconf.build_resolv_conf(host_resolv, dns, embedded_resolver=inp.embedded_dns,
                                        ipv6=inp.ipv6)
    upstreams = _upstreams(host_resolv, dns) if inp.embedded_dns else ()
    names = resolvconf.own_names(inp.hostname, inp.domainname)
    own = [HostEntry(address, names) for address in inp.own_addresses]
    links = [HostEntry(line.address, line.names) for line in inp.links]
    hosts = resolvconf.build_hosts(own=own, extra=extra, links=links)
    return EtcTexts(hosts, conf.text, upstreams, conf.user_ndots)


def extra_host_entries(values: Sequence[str], host_gateway: str) -> list[HostEntry]:
    entries = []
    for value in values:
        try:
            name, address = parse_extra_host(value)
        except ExtraHostError as err:
            raise InvalidParameter(str(err)) from None
        if address == HOST_GATEWAY:
            if not host_gateway:
                raise InvalidParameter("unable to derive the IP value for host-gateway")
            address = host_gateway
        entries.append(HostEntry(address, (name,)))
    return entries


def _upstreams(host_resolv: str, dns: resolvconf.DnsOverrides) -> tuple[str, ...]:
    """What the embedded resolver forwards to: the asked servers, else every host server
    (loopback ones too: the resolver asks from the host's namespace)."""
    if dns.servers:
        return dns.servers
    return resolvconf.parse_resolv_conf(host_resolv).nameservers


def _host_resolv(host_resolv: str, dns: resolvconf.DnsOverrides) -> str:
    if not (dns.servers or dns.search or dns.options):
        return host_resolv
    host = resolvconf.parse_resolv_conf(host_resolv)
    return resolvconf.render(resolvconf.ResolvConf(
        dns.servers or host.nameservers, tuple(s for s in dns.search if s != ".") or
        (host.search if not dns.search else ()), dns.options or host.options))


def _host_hosts(host_hosts: str, extra: list[HostEntry]) -> str:
    text = host_hosts if host_hosts.endswith("\n") or not host_hosts else host_hosts + "\n"
    return text + "".join(f"{e.address}\t{' '.join(e.names)}\n" for e in extra)
