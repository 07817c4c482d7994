"""In-memory index of container records by id, id prefix and name (the store is the truth on
disk; this is what every request reads)."""

from __future__ import annotations

from collections.abc import Iterator

from wharf.core.errors import Conflict, InvalidParameter, NotFound
from wharf.services.container_record import ContainerRecord


class ContainerIndex:
    def __init__(self) -> None:
        self._by_id: dict[str, ContainerRecord] = {}
        self._by_name: dict[str, str] = {}

    def __iter__(self) -> Iterator[ContainerRecord]:
        return iter(list(self._by_id.values()))

    def __len__(self) -> int:
        return len(self._by_id)

    def add(self, record: ContainerRecord) -> None:
        self._by_id[record.id] = record
        self._by_name[record.name] = record.id

    def discard(self, container_id: str) -> None:
        record = self._by_id.pop(container_id, None)
        if record is not None and self._by_name.get(record.name) == container_id:
            del self._by_name[record.name]

    def name_taken(self, name: str) -> bool:
        return name in self._by_name

    def owner_of(self, name: str) -> str | None:
        return self._by_name.get(name)

    def reserve_name(self, name: str) -> None:
        owner = self._by_name.get(name)
        if owner is not None:
            raise Conflict(
                f'Conflict. The container name "/{name}" is already in use by container '
                f'"{owner}". You have to remove (or rename) that container to be able to '
                "reuse that name."
            )

    def rename(self, record: ContainerRecord, new_name: str) -> None:
        self.reserve_name(new_name)
        self._by_name.pop(record.name, None)
        record.name = new_name
        self._by_name[new_name] = record.id

    def get(self, ref: str) -> ContainerRecord:
        """By full id, name (with or without ``/``), or unique id prefix (Docker's order)."""
        if not ref:
            raise NotFound("No such container: ")
        record = self._by_id.get(ref)
        if record is not None:
            return record
        owner = self._by_name.get(ref.lstrip("/"))
        if owner is not None:
            return self._by_id[owner]
        matches = [r for cid, r in self._by_id.items() if cid.startswith(ref)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise InvalidParameter(f"Multiple IDs found with provided prefix: {ref}")
        raise NotFound(f"No such container: {ref}")
