"""The host's side of networking: bridges, sandboxes (network namespaces) with veth endpoints,
the embedded DNS sockets, published ports and the firewall rules for all of them; implements
``services.protocols.NetworkDriverPort``. docs/contracts.md, "Networking".

Every method blocks and is called from a worker thread in the host's namespace; anything done
inside a sandbox happens in a thread of its own that ends after (:mod:`wharf.network.netns`).
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

from pyroute2.netlink.exceptions import NetlinkError

from wharf.core.errors import (
    InvalidParameter,
    NotFound,
    RuntimeFailure,
    WharfError,
)
from wharf.core.netspec import BridgeSpec, EndpointSpec, PortMapping, Sandbox
from wharf.network import bridge, netns, sandbox
from wharf.network.firewall_detect import Backend, detect_backend
from wharf.network.firewall_host import HostFirewall, SubprocessRunner
from wharf.network.firewall_nft_live import NftFirewall
from wharf.network.proxy import PortProxy
from wharf.network.publish import PublishPolicy, plan

__all__ = ["BridgeDriver"]

CONTAINER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


class BridgeDriver:
    def __init__(self, netns_dir: Path, *, iptables: bool = True, ip6tables: bool = True,
                 ip_forward: bool = True, ip_masq: bool = True, userland_proxy: bool = True,
                 proxy_only: bool = False, firewall_backend: str = "") -> None:
        self.netns_dir = netns_dir
        self._ip_forward = ip_forward
        self._policy = PublishPolicy(iptables, userland_proxy, proxy_only)
        self._firewall = _firewall(iptables, ip6tables, userland_proxy, firewall_backend)
        self._proxy = PortProxy()
        self._published: dict[PortMapping, PortMapping | None] = {}  # mapping → its listener
        self._lock = threading.Lock()
        # ip_masq: the bridge's own masquerade is BridgeSpec.masquerade (set from it upstream)
        del ip_masq

    def ensure_bridge(self, spec: BridgeSpec) -> None:
        with _host_errors(f"setting up bridge {spec.ifname}"):
            bridge.ensure_bridge(spec)
        if self._firewall is not None:
            self._firewall.add_bridge(spec)
        if self._ip_forward:
            bridge.enable_ip_forward()

    def remove_bridge(self, spec: BridgeSpec) -> None:
        failures = self._firewall.remove_bridge(spec) if self._firewall is not None else []
        with _host_errors(f"deleting bridge {spec.ifname}"):
            bridge.delete_bridge(spec.ifname)
        if failures:
            raise RuntimeFailure("; ".join(failures))

    def create_sandbox(self, container_id: str, endpoints: list[EndpointSpec],
                       dns: bool) -> Sandbox:
        path = self._path(container_id)
        with _host_errors(f"creating the network sandbox of {container_id}"):
            path.parent.mkdir(parents=True, exist_ok=True)
            netns.remove(path)  # a file left by a crash: its container is not running
            sockets = sandbox.make_sandbox(path, endpoints, dns)
        return Sandbox(container_id, str(path), sockets)

    def remove_sandbox(self, container_id: str) -> None:
        path = self._path(container_id)
        with _host_errors(f"removing the network sandbox of {container_id}"):
            netns.remove(path)

    def bind_dns(self, container_id: str) -> list[socket.socket]:
        """New 127.0.0.11:53 sockets (UDP, TCP) inside an existing sandbox: for a container
        that outlived the daemon that served its DNS (live restore). Not in the Protocol."""
        path = self._existing(container_id)
        with _host_errors(f"binding the DNS sockets of {container_id}"):
            return netns.run_in_netns(path, sandbox.dns_sockets)

    def sandbox_path(self, container_id: str) -> str:
        return str(self.netns_dir / container_id)

    def connect(self, container_id: str, endpoint: EndpointSpec) -> None:
        path = self._existing(container_id)
        with _host_errors(f"connecting {container_id} to {endpoint.bridge}"):
            sandbox.add_endpoint(path, endpoint)

    def disconnect(self, container_id: str, endpoint: EndpointSpec) -> None:
        path = self._existing(container_id)
        with _host_errors(f"disconnecting {container_id} from {endpoint.bridge}"):
            sandbox.remove_endpoint(path, endpoint)

    def publish(self, mappings: list[PortMapping]) -> None:
        done: list[PortMapping] = []
        try:
            for mapping in mappings:
                self._publish_one(mapping)
                done.append(mapping)
        except BaseException:
            with contextlib.suppress(RuntimeFailure):  # the first error is the one to report
                self.unpublish(list(reversed(done)))
            raise

    def _publish_one(self, mapping: PortMapping) -> None:
        how = plan(mapping, self._policy)
        if how.proxy is not None:
            self._proxy.add(how.proxy)
        try:
            if how.dnat and self._firewall is not None:
                self._firewall.add_port(mapping)
        except BaseException:
            if how.proxy is not None:
                self._proxy.remove(how.proxy)
            raise
        with self._lock:
            self._published[mapping] = how.proxy

    def unpublish(self, mappings: list[PortMapping]) -> None:
        failures: list[str] = []
        for mapping in mappings:
            with self._lock:
                listener = self._published.pop(mapping, None)
            if listener is not None:
                self._proxy.remove(listener)
            if self._firewall is not None and plan(mapping, self._policy).dnat:
                failures += self._firewall.remove_port(mapping)
        if failures:
            raise RuntimeFailure("; ".join(failures))

    def sweep(self, live_containers: set[str], own_bridges: set[str]) -> list[str]:
        failures = []
        for container_id in netns.list_files(self.netns_dir):
            if container_id not in live_containers:
                try:
                    netns.remove(self.netns_dir / container_id)
                except OSError as exc:
                    failures.append(f"removing the sandbox of {container_id}: {exc}")
        if self._firewall is not None:
            failures += self._firewall.sweep(
                lambda name: name in own_bridges or not bridge.interface_exists(name))
        return failures

    def close(self) -> None:
        """Stops the userland proxy (daemon shutdown; published ports stop being served)."""
        self._proxy.close()

    def _path(self, container_id: str) -> Path:
        if not CONTAINER_ID.fullmatch(container_id):
            raise InvalidParameter(f"invalid container id for a sandbox: {container_id!r}")
        return self.netns_dir / container_id

    def _existing(self, container_id: str) -> Path:
        path = self._path(container_id)
        if not path.is_file():
            raise NotFound(f"container {container_id} has no network sandbox")
        return path


@contextlib.contextmanager
def _host_errors(what: str) -> Iterator[None]:
    """A netlink or system error as a RuntimeFailure saying what was being done; wharf's own
    errors (NotFound, Conflict...) pass unchanged."""
    try:
        yield
    except WharfError:
        raise
    except (NetlinkError, OSError) as exc:
        raise RuntimeFailure(f"{what}: {exc}") from exc


def _firewall(iptables: bool, ip6tables: bool, userland_proxy: bool,
              configured: str) -> HostFirewall | NftFirewall | None:
    """The rules' keeper for the backend Docker would pick (``firewall-backend``, else
    iptables when installed, else nftables), or None with ``iptables: false`` (no rules)."""
    if not iptables:
        return None
    runner = SubprocessRunner()
    found = detect_backend(runner, configured)
    keeper = NftFirewall if found.backend is Backend.NFTABLES else HostFirewall
    return keeper(runner, ipv4=True, ipv6=ip6tables and found.ipv6,
                  hairpin_nat=not userland_proxy)
