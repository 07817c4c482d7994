"""Records of the metadata database, and one small interface per resource to reach them.

Like containerd's ``images.Store`` beside ``content.Store``: each resource has its own Protocol,
and a service declares only the ones it uses. ``wharf.store.metadata.MetadataStore`` implements
all of them over one SQLite database (the schema is drawn in ``wharf.store.metadata.schema``).
A new resource (networks, volumes, ...) adds its record type and Protocol here, a migration and
a table module in ``wharf.store.metadata`` (docs/contracts.md, "Metadata").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from wharf.core.errors import Conflict

__all__ = [
    "BuildCacheRecord",
    "BuildCacheRecords",
    "ContainerRow",
    "ContainerRows",
    "ImageRecord",
    "ImageRecords",
    "KeyValues",
    "LayerRecord",
    "LayerRecords",
    "NameInUse",
    "NetworkRecord",
    "NetworkRecords",
    "ReferenceStore",
    "VolumeRecord",
    "VolumeRecords",
]


class NameInUse(Conflict):
    """A container name is already taken (``existing_id`` holds it)."""

    def __init__(self, name: str, existing_id: str) -> None:
        super().__init__(f'name "{name}" is already in use by container "{existing_id}"')
        self.name = name
        self.existing_id = existing_id


@dataclass(frozen=True)
class ImageRecord:
    id: str
    config_digest: str
    manifest_digest: str
    created: str
    size: int
    chain_ids: list[str]
    last_tag_time: str = ""
    last_used: str = ""  # a container was last created from it (RFC 3339; "": never)


@dataclass(frozen=True)
class LayerRecord:
    chain_id: str
    diff_id: str
    parent: str
    size: int
    blob_digest: str
    media_type: str
    created: str = ""


@dataclass(frozen=True)
class BuildCacheRecord:
    key: str            # sha256 of parent image id + step + inputs (``build.cachekey``)
    image_id: str       # the image the step made
    created: str
    last_used: str
    description: str = ""


@dataclass(frozen=True)
class ContainerRow:
    id: str
    name: str
    image_id: str
    created: str
    record: str


class ImageRecords(Protocol):
    """Images by id (``sha256:<config hex>``). Deleting one drops its references too."""

    def put_image(self, image: ImageRecord) -> None: ...
    def get_image(self, image_id: str) -> ImageRecord | None: ...
    def list_images(self) -> list[ImageRecord]: ...
    def image_ids_with_prefix(self, prefix: str, limit: int = 2) -> list[str]: ...
    def delete_image(self, image_id: str) -> bool: ...
    def set_last_tag_time(self, image_id: str, when: str) -> None: ...
    def set_last_used(self, image_id: str, when: str) -> None: ...


class ReferenceStore(Protocol):
    """Names of images: tags (``docker.io/library/busybox:latest``) and digest references
    (``docker.io/library/busybox@sha256:…``), each pointing at one image id."""

    def set_tag(self, reference: str, image_id: str) -> str | None: ...
    def get_tag(self, reference: str) -> str | None: ...
    def remove_tag(self, reference: str) -> bool: ...
    def tags_of(self, image_id: str) -> list[str]: ...
    def list_tags(self) -> list[tuple[str, str]]: ...
    def add_digest(self, reference: str, image_id: str) -> None: ...
    def get_digest(self, reference: str) -> str | None: ...
    def remove_digest(self, reference: str) -> bool: ...
    def digests_of(self, image_id: str) -> list[str]: ...


class LayerRecords(Protocol):
    """Unpacked layers by chain id, with the compressed blob each came from."""

    def put_layer(self, layer: LayerRecord) -> None: ...
    def get_layer(self, chain_id: str) -> LayerRecord | None: ...
    def list_layers(self) -> list[str]: ...
    def delete_layer(self, chain_id: str) -> bool: ...


class ContainerRows(Protocol):
    """Containers by id; names are unique (``put_container`` raises :class:`NameInUse`)."""

    def put_container(self, row: ContainerRow) -> None: ...
    def get_container(self, container_id: str) -> ContainerRow | None: ...
    def list_containers(self) -> list[ContainerRow]: ...
    def containers_using_image(self, image_id: str) -> list[str]: ...
    def delete_container(self, container_id: str) -> bool: ...


class KeyValues(Protocol):
    """Small facts by namespace and key (the daemon's id, layers held for containers)."""

    def kv_put(self, namespace: str, key: str, value: str) -> None: ...
    def kv_get(self, namespace: str, key: str) -> str | None: ...
    def kv_delete(self, namespace: str, key: str) -> bool: ...
    def kv_list(self, namespace: str) -> list[tuple[str, str]]: ...


class BuildCacheRecords(Protocol):
    """The classic builder's step cache: key → image id (a row goes with its image)."""

    def put_build_cache(self, record: BuildCacheRecord) -> None: ...
    def get_build_cache(self, key: str) -> BuildCacheRecord | None: ...
    def touch_build_cache(self, key: str, when: str) -> None: ...
    def list_build_cache(self) -> list[BuildCacheRecord]: ...
    def delete_build_cache(self, key: str) -> bool: ...


@dataclass(frozen=True)
class NetworkRecord:
    """A network as ``docker network inspect`` shows it (``ipam`` in Docker's shape:
    ``{"Driver", "Options", "Config": [{"Subnet", "Gateway", "IPRange"?, ...}]}``).
    ``pool_subnets`` are the subnets taken from the address pools rather than given by the
    user (an endpoint may ask for a fixed address only in a subnet the user gave)."""

    id: str  # 64 hex
    name: str
    driver: str  # bridge | host | null
    created: str  # RFC 3339 with nanoseconds
    scope: str = "local"
    internal: bool = False
    attachable: bool = False
    ingress: bool = False
    enable_ipv6: bool = False
    ipam: dict[str, Any] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    bridge: str = ""  # the bridge interface ("" for host and null)
    pool_subnets: tuple[str, ...] = ()


class NetworkRecords(Protocol):
    """Networks by id; names are unique (``put_network`` raises ``Conflict``)."""

    def put_network(self, network: NetworkRecord) -> None: ...
    def get_network(self, network_id: str) -> NetworkRecord | None: ...
    def list_networks(self) -> list[NetworkRecord]: ...
    def delete_network(self, network_id: str) -> bool: ...


@dataclass(frozen=True)
class VolumeRecord:
    """A volume (``docker volume create``, or made for a container); anonymous ones carry
    Docker's ``com.docker.volume.anonymous`` label. None: not given (inspect shows null)."""

    name: str
    driver: str
    created: str
    labels: dict[str, str] | None = None
    options: dict[str, str] | None = None


class VolumeRecords(Protocol):
    """Volumes by name (unique)."""

    def put_volume(self, volume: VolumeRecord) -> None: ...
    def get_volume(self, name: str) -> VolumeRecord | None: ...
    def list_volumes(self) -> list[VolumeRecord]: ...
    def delete_volume(self, name: str) -> bool: ...
