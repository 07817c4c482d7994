"""The ``local`` volume driver: ``<data-root>/volumes/<name>/_data``, plus ``opts.json`` when
the volume was made with ``--opt``; such a volume's filesystem is mounted on ``_data`` when a
container first uses it and unmounted when the last one stops (the volume service counts the
users and calls :meth:`LocalVolumes.mount` / :meth:`LocalVolumes.unmount`).

Blocking calls (mount syscalls, tree walks): the service runs them in worker threads.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from wharf.core.errors import Conflict, InvalidParameter, WharfError
from wharf.lib.atomicfile import write_atomic
from wharf.lib.disk_usage import tree_size
from wharf.lib.mount import is_mountpoint, mount, remove_tree, unmount
from wharf.volumes.options import (
    MS_BIND,
    MS_RDONLY,
    MS_REMOUNT,
    MountRequest,
    mount_request,
    validate_options,
)

__all__ = ["LocalVolumes"]

_OPTS_FILE = "opts.json"


class LocalVolumes:
    """The volumes under ``root`` (``<data-root>/volumes``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True, mode=0o701)

    def path(self, name: str) -> Path:
        """The volume's mount point (``Mountpoint`` in inspect)."""
        return self.root / name / "_data"

    def create(self, name: str, options: Mapping[str, str]) -> Path:
        """The volume's directory (kept if it exists: creating twice is not an error)."""
        validate_options(options)
        data = self.path(name)
        data.mkdir(parents=True, exist_ok=True, mode=0o755)
        if options:
            write_atomic(self.root / name / _OPTS_FILE, json.dumps(dict(options)).encode(),
                         0o600)
        return data

    def options(self, name: str) -> dict[str, str]:
        try:
            loaded = json.loads((self.root / name / _OPTS_FILE).read_text())
        except FileNotFoundError:
            return {}
        return {str(k): str(v) for k, v in loaded.items()}

    def needs_mount(self, name: str) -> bool:
        return mount_request(self.options(name)) is not None

    def mount(self, name: str) -> Path:
        """Mount the volume's filesystem on ``_data`` when its options ask for one and it is
        not mounted yet; the path either way."""
        data = self.path(name)
        request = mount_request(self.options(name))
        if request is not None and not is_mountpoint(data):
            _mount(request, data)
        return data

    def unmount(self, name: str) -> None:
        data = self.path(name)
        if self.needs_mount(name) and is_mountpoint(data):
            unmount(data)

    def mounted(self, name: str) -> bool:
        return self.needs_mount(name) and is_mountpoint(self.path(name))

    def remove(self, name: str) -> None:
        """Delete the volume's files; refused while its filesystem is mounted (a removal
        would delete what the mounted filesystem holds)."""
        if self.mounted(name):
            raise Conflict(f"remove {name}: volume is in use")
        directory = self.root / name
        if directory.is_symlink() or directory.parent != self.root:
            raise InvalidParameter(f"remove {name}: invalid volume name")
        try:
            remove_tree(directory)  # never reaches into a filesystem still mounted below
        except OSError as err:
            raise WharfError(f"remove {name}: {err}") from err

    def size(self, name: str) -> int:
        """Bytes the volume holds (``UsageData.Size``; a mounted tmpfs's too)."""
        return tree_size(self.path(name))

    def is_empty(self, name: str) -> bool:
        try:
            with os.scandir(self.path(name)) as entries:
                return next(entries, None) is None
        except FileNotFoundError:
            return True

    def names(self) -> list[str]:
        """The volume directories on disk (a record may have none after a crash)."""
        return sorted(entry.name for entry in self.root.iterdir() if entry.is_dir())


def _mount(request: MountRequest, target: Path) -> None:
    source = request.source
    if request.flags & MS_BIND and not os.path.isabs(source):
        raise InvalidParameter(f"invalid bind device for volume: {source!r} is not absolute")
    try:
        mount(source, target, request.fstype, request.flags, request.data)
        if request.flags & MS_BIND and request.flags & MS_RDONLY:  # a bind ignores ro at first
            mount("", target, "", request.flags | MS_REMOUNT)
    except OSError as err:
        raise WharfError(f"error while mounting volume '{target}': failed to mount "
                         f"local volume: mount {source}:{target}, flags: {request.flags:#x},"
                         f" data: {request.data}: {os.strerror(err.errno or 0)}") from err
