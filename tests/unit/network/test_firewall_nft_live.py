"""Reading wharf's tagged rules out of ``nft -a list table`` output."""

from __future__ import annotations

from wharf.network.firewall_nft_live import owned_rules

LISTING = """table ip wharf { # handle 7
	chain prerouting { # handle 1
		type nat hook prerouting priority dstnat; policy accept;
		fib daddr type local jump port-dnat comment "wharf-base" # handle 10
	}
	chain postrouting { # handle 3
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 10.1.0.0/24 oifname != "br-a" masquerade comment "wharf br=br-a key=net:10.1.0.0/24" # handle 14
	}
	chain port-dnat { # handle 5
		iifname "br-a" return comment "wharf br=br-a key=net:10.1.0.0/24" # handle 15
		iifname != "br-b" tcp dport 8080 dnat to 10.2.0.2:80 comment "wharf br=br-b key=port:tcp/0.0.0.0/8080" # handle 20
		iifname "admin" return # handle 21
	}
}
"""  # noqa: E501


def test_owned_rules_are_the_tagged_ones_with_their_chain_and_handle() -> None:
    assert list(owned_rules(LISTING)) == [
        ("postrouting", "br-a", "net:10.1.0.0/24", "14"),
        ("port-dnat", "br-a", "net:10.1.0.0/24", "15"),
        ("port-dnat", "br-b", "port:tcp/0.0.0.0/8080", "20"),
    ]
