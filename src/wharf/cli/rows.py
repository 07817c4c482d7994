"""Template contexts for ``ps`` and ``images`` rows, named as docker's formatter names them."""

from __future__ import annotations

from wharf.cli.formatting import ellipsis, go_time, human_size, since, truncate_id
from wharf.cli.references import split_repo_tag
from wharf.lib.goquote import go_quote

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

PS_TABLE = ("table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t"
            "{{.Ports}}\t{{.Names}}")
PS_HEADERS = {
    "ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "CreatedAt": "CREATED AT",
    "RunningFor": "CREATED", "Ports": "PORTS", "State": "STATE", "Status": "STATUS",
    "Size": "SIZE", "Names": "NAMES", "Labels": "LABELS", "Mounts": "MOUNTS",
    "Networks": "NETWORKS", "LocalVolumes": "LOCAL VOLUMES", "Platform": "PLATFORM",
}
IMAGES_TABLE = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
IMAGES_DIGEST_TABLE = ("table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t"
                       "{{.CreatedSince}}\t{{.Size}}")
IMAGES_HEADERS = {
    "Repository": "REPOSITORY", "Tag": "TAG", "ID": "IMAGE ID", "Digest": "DIGEST",
    "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "Size": "SIZE",
    "Containers": "CONTAINERS", "SharedSize": "SHARED SIZE", "UniqueSize": "UNIQUE SIZE",
    "VirtualSize": "VIRTUAL SIZE",
}


def format_ports(ports: list[dict[str, Any]]) -> str:
    """``0.0.0.0:8080->80/tcp, [::]:8080->80/tcp, 53/udp`` from the list API's ``Ports``."""
    def sort_key(port: dict[str, Any]) -> tuple[int, str, int, str]:
        return (int(port.get("PrivatePort") or 0), str(port.get("Type", "")),
                int(port.get("PublicPort") or 0), str(port.get("IP", "")))

    shown: list[str] = []
    for port in sorted(ports or [], key=sort_key):
        private = f"{port.get('PrivatePort')}/{port.get('Type', 'tcp')}"
        public = port.get("PublicPort")
        if public:
            ip = str(port.get("IP") or "")
            host = f"[{ip}]" if ":" in ip else ip
            text = f"{host}:{public}->{private}"
        else:
            text = private
        if text not in shown:
            shown.append(text)
    return ", ".join(shown)


class IdRow:
    """An API object with an ``Id`` seen through docker's placeholders (``{{.ID}}``: short
    unless ``--no-trunc``); subclasses add the other placeholders as methods."""

    __slots__ = ("data", "trunc")

    def __init__(self, data: dict[str, Any], trunc: bool = True) -> None:
        self.data = data
        self.trunc = trunc

    def ID(self) -> str:
        identifier = str(self.data.get("Id", ""))
        return truncate_id(identifier) if self.trunc else identifier


class ContainerRow(IdRow):
    """One entry of ``GET /containers/json`` seen through docker's ``ps`` placeholders.

    Method names are docker's placeholders (``{{.ID}}``, ``{{.RunningFor}}``).
    """

    __slots__ = ()

    def Image(self) -> str:
        image = str(self.data.get("Image") or "")
        if not image:
            return "<no image>"
        if self.trunc:
            if image.startswith("sha256:"):
                return truncate_id(image)
            if "@" in image:
                image = image.split("@", 1)[0]
        return image

    def Command(self) -> str:
        command = str(self.data.get("Command") or "")
        return go_quote(ellipsis(command, 20) if self.trunc else command)

    def CreatedAt(self) -> str:
        return go_time(float(self.data.get("Created") or 0))

    def RunningFor(self) -> str:
        return since(float(self.data.get("Created") or 0))

    def Ports(self) -> str:
        return format_ports(self.data.get("Ports") or [])

    def State(self) -> str:
        return str(self.data.get("State") or "")

    def Status(self) -> str:
        return str(self.data.get("Status") or "")

    def Size(self) -> str:
        rw = self.data.get("SizeRw")
        root = self.data.get("SizeRootFs")
        if rw is None and root is None:
            return "0B"
        text = human_size(float(rw or 0))
        return f"{text} (virtual {human_size(float(root or 0))})" if root else text

    def Names(self) -> str:
        names = [str(name).lstrip("/") for name in self.data.get("Names") or []]
        if self.trunc:
            names = [name for name in names if "/" not in name][:1] or names[:1]
        return ",".join(names)

    def Labels(self) -> str:
        labels = self.data.get("Labels") or {}
        return ",".join(f"{key}={value}" for key, value in labels.items())

    def Label(self, name: str) -> str:
        """``{{.Label "com.example.key"}}``: one label's value, or ""."""
        return str((self.data.get("Labels") or {}).get(name, ""))

    def Mounts(self) -> str:
        names = []
        for mount in self.data.get("Mounts") or []:
            name = str(mount.get("Name") or mount.get("Source") or "")
            names.append(ellipsis(name, 15) if self.trunc else name)
        return ",".join(names)

    def Networks(self) -> str:
        networks = (self.data.get("NetworkSettings") or {}).get("Networks") or {}
        return ",".join(sorted(networks))

    def LocalVolumes(self) -> str:
        return str(sum(1 for mount in self.data.get("Mounts") or []
                       if mount.get("Driver") == "local"))

    def to_json(self) -> dict[str, str]:
        return {name: getattr(self, name)() for name in PS_HEADERS if name != "Platform"}


class ImageRow:
    """One (repository, tag) of an entry of ``GET /images/json``."""

    __slots__ = ("data", "digest", "repository", "tag", "trunc")

    def __init__(self, data: dict[str, Any], repository: str, tag: str, digest: str,
                 trunc: bool = True) -> None:
        self.data = data
        self.repository = repository
        self.tag = tag
        self.digest = digest
        self.trunc = trunc

    def Repository(self) -> str:
        return self.repository

    def Tag(self) -> str:
        return self.tag

    def Digest(self) -> str:
        return self.digest

    def ID(self) -> str:
        identifier = str(self.data.get("Id", ""))
        return truncate_id(identifier) if self.trunc else identifier

    def CreatedSince(self) -> str:
        created = float(self.data.get("Created") or 0)
        return since(created) if created > 0 else "N/A"

    def CreatedAt(self) -> str:
        return go_time(float(self.data.get("Created") or 0))

    def Size(self) -> str:
        return human_size(float(self.data.get("Size") or 0))

    def VirtualSize(self) -> str:
        size = float(self.data.get("VirtualSize") or self.data.get("Size") or 0)
        return human_size(size, 4)  # docker: units.HumanSize here, 3 digits elsewhere

    def SharedSize(self) -> str:
        shared = int(self.data.get("SharedSize", -1))
        return "N/A" if shared < 0 else human_size(float(shared))

    def UniqueSize(self) -> str:
        shared = int(self.data.get("SharedSize", -1))
        if shared < 0:
            return "N/A"
        return human_size(float(int(self.data.get("Size") or 0) - shared))

    def Containers(self) -> str:
        count = int(self.data.get("Containers", -1))
        return "N/A" if count < 0 else str(count)

    def to_json(self) -> dict[str, str]:
        return {name: getattr(self, name)() for name in IMAGES_HEADERS}


def image_rows(images: list[dict[str, Any]], trunc: bool = True) -> list[ImageRow]:
    """Docker's expansion: one row per repo:tag, ``<none>`` for untagged or dangling images."""
    rows: list[ImageRow] = []
    for image in images:
        digests = _digests_by_repo(image.get("RepoDigests") or [])
        tags = [tag for tag in image.get("RepoTags") or [] if tag != "<none>:<none>"]
        for ref in tags:
            repository, tag = split_repo_tag(ref)
            rows.append(ImageRow(image, repository, tag, digests.get(repository, "<none>"),
                                 trunc))
        if not tags:
            repository = next(iter(digests), "<none>")
            rows.append(ImageRow(image, repository, "<none>",
                                 digests.get(repository, "<none>"), trunc))
    return rows


def _digests_by_repo(repo_digests: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for entry in repo_digests:
        repository, _, digest = entry.partition("@")
        if digest and repository != "<none>":
            found.setdefault(repository, digest)
    return found
