from __future__ import annotations

from wharf.network.resolvconf import (
    DnsOverrides,
    HostEntry,
    ResolvConf,
    build_hosts,
    build_resolv_conf,
    own_names,
    parse_resolv_conf,
    pick_host_resolv_conf,
    usable_nameservers,
)

HOST = """# host file
domain corp.example
search lab.example corp.example
nameserver 127.0.0.1
nameserver 192.0.2.53 ; a comment
nameserver ::1
nameserver 2001:db8::53
options edns0 rotate
"""
STUB = "nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n"
SYSTEMD = "nameserver 192.0.2.1\nnameserver 192.0.2.2\nsearch home\n"


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_parse_resolv_conf() -> None:
    conf = parse_resolv_conf(HOST)
    assert conf == ResolvConf(("127.0.0.1", "192.0.2.53", "::1", "2001:db8::53"),
                              ("lab.example", "corp.example"), ("edns0", "rotate"))


def test_systemd_stub_is_replaced_by_its_upstream_file_when_present() -> None:
    assert pick_host_resolv_conf(STUB, SYSTEMD) == SYSTEMD
    assert pick_host_resolv_conf(STUB, None) == STUB
    assert pick_host_resolv_conf(HOST, SYSTEMD) == HOST


def test_loopback_and_ipv6_servers_filtered() -> None:
    servers = parse_resolv_conf(HOST).nameservers
    assert usable_nameservers(servers, ipv6=False) == ("192.0.2.53",)
    assert usable_nameservers(servers, ipv6=True) == ("192.0.2.53", "2001:db8::53")
    assert usable_nameservers(("127.0.0.53", "bogus"), ipv6=True) == ()


def test_default_bridge_keeps_the_host_lines_minus_loopback() -> None:
    built = build_resolv_conf(HOST, DnsOverrides(), embedded_resolver=False)
    assert _lines(built.text) == ["nameserver 192.0.2.53",
                                  "search lab.example corp.example", "options edns0 rotate"]
    assert built.upstreams == ()


def test_google_servers_only_when_nothing_is_left() -> None:
    built = build_resolv_conf(STUB, DnsOverrides(), embedded_resolver=False)
    assert _lines(built.text) == ["nameserver 8.8.8.8", "nameserver 8.8.4.4",
                                  "search .", "options edns0 trust-ad"]
    v6 = build_resolv_conf("nameserver ::1\n", DnsOverrides(), embedded_resolver=False, ipv6=True)
    assert _lines(v6.text) == ["nameserver 8.8.8.8", "nameserver 8.8.4.4",
                               "nameserver 2001:4860:4860::8888",
                               "nameserver 2001:4860:4860::8844"]


def test_user_flags_replace_their_kind_of_line() -> None:
    overrides = DnsOverrides(("1.1.1.1",), ("a.example",), ("ndots:2",))
    built = build_resolv_conf(HOST, overrides, embedded_resolver=False)
    assert _lines(built.text) == ["nameserver 1.1.1.1", "search a.example", "options ndots:2"]
    dot = build_resolv_conf(HOST, DnsOverrides(search=(".",)), embedded_resolver=False)
    assert not any(line.startswith("search") for line in _lines(dot.text))


def test_embedded_resolver_names_127_0_0_11_and_remembers_upstreams() -> None:
    built = build_resolv_conf(pick_host_resolv_conf(STUB, SYSTEMD), DnsOverrides(),
                              embedded_resolver=True)
    assert _lines(built.text) == ["nameserver 127.0.0.11", "search home", "options ndots:0"]
    assert built.upstreams == ("192.0.2.1", "192.0.2.2") and not built.user_ndots
    mine = build_resolv_conf(HOST, DnsOverrides(servers=("9.9.9.9",), options=("ndots:3",)),
                             embedded_resolver=True)
    assert _lines(mine.text) == ["nameserver 127.0.0.11", "search lab.example corp.example",
                                 "options ndots:3"]
    assert mine.upstreams == ("9.9.9.9",) and mine.user_ndots
    assert not build_resolv_conf(HOST, DnsOverrides(options=("ndots:0",)),
                                 embedded_resolver=True).user_ndots
    host = build_resolv_conf(HOST, DnsOverrides(), embedded_resolver=True)
    assert host.upstreams == ("192.0.2.53", "2001:db8::53")
    assert "options edns0 rotate ndots:0" in host.text
    bare = build_resolv_conf("", DnsOverrides(), embedded_resolver=True)
    assert bare.upstreams == ("8.8.8.8", "8.8.4.4")


def test_hosts_file_order_and_format() -> None:
    text = build_hosts(own=[HostEntry("10.1.0.2", own_names("web", "corp.example"))],
                       extra=[HostEntry("10.9.9.9", ("db",))],
                       links=[HostEntry("172.28.0.5", ("cache", "c0ffee000001", "web_cache"))])
    assert text.splitlines() == [
        "127.0.0.1\tlocalhost",
        "::1\tlocalhost ip6-localhost ip6-loopback",
        "fe00::0\tip6-localnet",
        "ff00::0\tip6-mcastprefix",
        "ff02::1\tip6-allnodes",
        "ff02::2\tip6-allrouters",
        "10.9.9.9\tdb",
        "172.28.0.5\tcache c0ffee000001 web_cache",
        "10.1.0.2\tweb.corp.example web",
    ]
    v4_only = build_hosts(own=[HostEntry("10.1.0.2", own_names("abc"))], ipv6=False)
    assert v4_only.splitlines() == ["127.0.0.1\tlocalhost", "10.1.0.2\tabc"]
