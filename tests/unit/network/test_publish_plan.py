"""Which published ports get a proxy listener, DNAT rules, or both."""

from __future__ import annotations

import pytest

from wharf.core.errors import NotImplementedByWharf
from wharf.core.netspec import PortMapping
from wharf.network.publish import PublishPolicy, plan


def _port(host_ip: str, container_ip: str = "10.1.0.2", proto: str = "tcp") -> PortMapping:
    return PortMapping(proto, host_ip, 8080, container_ip, 80, "br-x")


def test_default_policy_proxies_every_address_and_dnats_the_non_loopback_ones() -> None:
    default = PublishPolicy()
    assert plan(_port("0.0.0.0"), default).proxy == _port("0.0.0.0")
    assert plan(_port("0.0.0.0"), default).dnat
    assert plan(_port("127.0.0.1"), default).dnat is False
    assert plan(_port("127.0.0.1"), default).proxy == _port("127.0.0.1")


def test_ipv6_listener_for_an_ipv4_container_is_proxy_only() -> None:
    how = plan(_port("::"), PublishPolicy())
    assert how.proxy == _port("::") and how.dnat is False


@pytest.mark.parametrize("policy", [PublishPolicy(iptables=False),
                                    PublishPolicy(proxy_only=True)])
def test_no_iptables_or_respecting_the_firewall_is_proxy_only(policy: PublishPolicy) -> None:
    how = plan(_port("0.0.0.0"), policy)
    assert how.proxy == _port("0.0.0.0") and how.dnat is False


def test_without_userland_proxy_only_loopback_is_proxied() -> None:
    policy = PublishPolicy(userland_proxy=False)
    assert plan(_port("0.0.0.0"), policy).proxy == _port("127.0.0.1")
    assert plan(_port("::", "fd00::2"), policy).proxy == _port("::1", "fd00::2")
    assert plan(_port("192.0.2.9"), policy).proxy is None
    assert plan(_port("192.0.2.9"), policy).dnat
    assert plan(_port("127.0.0.1"), policy).proxy == _port("127.0.0.1")


def test_sctp_goes_by_dnat_only_and_is_refused_where_that_cannot_be() -> None:
    how = plan(_port("0.0.0.0", proto="sctp"), PublishPolicy())
    assert how.proxy is None and how.dnat
    with pytest.raises(NotImplementedByWharf, match="sctp"):
        plan(_port("127.0.0.1", proto="sctp"), PublishPolicy())
