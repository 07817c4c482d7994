"""The ``networks`` table (``core.metadata.NetworkRecords``)."""

from __future__ import annotations

import json

from wharf.core.errors import Conflict
from wharf.core.metadata import NetworkRecord
from wharf.store.metadata.database import Database

__all__ = ["NetworkTable"]

_COLUMNS = ("id, name, driver, scope, created, internal, attachable, ingress, enable_ipv6, "
            "ipam, options, labels, bridge, pool_subnets")


class NetworkTable(Database):
    def put_network(self, network: NetworkRecord) -> None:
        """Insert or replace a network; Conflict when another network has the name."""
        with self.transaction() as db:
            owner = db.execute("SELECT id FROM networks WHERE name = ?",
                               (network.name,)).fetchone()
            if owner and owner[0] != network.id:
                raise Conflict(f"network with name {network.name} already exists")
            db.execute(f"INSERT OR REPLACE INTO networks ({_COLUMNS}) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", _row(network))

    def get_network(self, network_id: str) -> NetworkRecord | None:
        rows = self._query(f"SELECT {_COLUMNS} FROM networks WHERE id = ?", (network_id,))
        return _network(rows[0]) if rows else None

    def list_networks(self) -> list[NetworkRecord]:
        return [_network(r) for r in self._query(f"SELECT {_COLUMNS} FROM networks "
                                                 "ORDER BY created, name")]

    def delete_network(self, network_id: str) -> bool:
        with self.transaction() as db:
            return db.execute("DELETE FROM networks WHERE id = ?", (network_id,)).rowcount > 0


def _row(n: NetworkRecord) -> tuple[object, ...]:
    return (n.id, n.name, n.driver, n.scope, n.created, int(n.internal), int(n.attachable),
            int(n.ingress), int(n.enable_ipv6), json.dumps(n.ipam), json.dumps(n.options),
            json.dumps(n.labels), n.bridge, json.dumps(list(n.pool_subnets)))


def _network(row: tuple[object, ...]) -> NetworkRecord:
    (nid, name, driver, scope, created, internal, attachable, ingress, ipv6, ipam, options,
     labels, bridge, pools) = row
    return NetworkRecord(
        id=str(nid), name=str(name), driver=str(driver), created=str(created), scope=str(scope),
        internal=bool(internal), attachable=bool(attachable), ingress=bool(ingress),
        enable_ipv6=bool(ipv6), ipam=json.loads(str(ipam)), options=json.loads(str(options)),
        labels=json.loads(str(labels)), bridge=str(bridge),
        pool_subnets=tuple(json.loads(str(pools))))
