"""Copying snapshotter for filesystems without overlayfs (Docker's ``vfs``, containerd's native).

    <root>/layers/<chain-hex>/diff/      the full tree of the image up to this layer
    <root>/layers/<chain-hex>/size       unpacked size of this layer alone
    <root>/layers/.tmp-*/                interrupted work (garbage after a crash)
    <root>/containers/<id>/merged/       the container's own full copy (image + init layer)
    <root>/containers/<id>/init/         the init layer, kept out of changes and diffs
    <root>/containers/<id>/base          chain id of the image's top layer ("" for none)

Copies go through wharf's own tar writer and ``apply_layer``, so ownership, modes, xattrs,
hard links and device nodes survive, and nothing is written outside the target.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

from wharf.core.errors import NotFound
from wharf.lib import mount as _mount
from wharf.lib.archive import apply_layer, changes_between, diff_trees, tar_tree
from wharf.lib.atomicfile import fsync_dir, write_text_atomic
from wharf.lib.disk_usage import files_size
from wharf.store.snapshots.initlayer import INIT_PATHS, populate_init_layer

__all__ = ["NativeSnapshotter"]

_TMP_PREFIX = ".tmp-"


def _hex(chain_id: str) -> str:
    return chain_id.removeprefix("sha256:")


def copy_tree(src: Path, dst: Path) -> None:
    """Copy ``src``'s content into the existing directory ``dst`` with all metadata."""
    with tempfile.TemporaryFile(dir=dst.parent) as spool:
        tar_tree(src, spool)
        spool.seek(0)
        apply_layer(spool, dst)


class NativeSnapshotter:
    """Layers and container filesystems under ``root`` (``<data-root>/native``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._layers = root / "layers"
        self._containers = root / "containers"
        root.mkdir(parents=True, exist_ok=True)
        os.chmod(root, 0o700)  # layers keep setuid binaries: host users must not reach them
        for d in (self._layers, self._containers):
            d.mkdir(exist_ok=True)

    @property
    def name(self) -> str:
        return "vfs"

    def _layer_dir(self, chain_id: str) -> Path:
        return self._layers / _hex(chain_id)

    def has_layer(self, chain_id: str) -> bool:
        return (self._layer_dir(chain_id) / "diff").is_dir()

    def layers(self) -> list[str]:
        return sorted(
            f"sha256:{p.name}" for p in self._layers.iterdir() if not p.name.startswith(".")
        )

    def add_layer(self, chain_id: str, parent: str | None, stream: BinaryIO) -> int:
        final = self._layer_dir(chain_id)
        if final.is_dir():
            return int((final / "size").read_text())
        if parent is not None and not self.has_layer(parent):
            raise NotFound(f"parent layer {parent} not found")
        tmp = self._layers / f"{_TMP_PREFIX}{_hex(chain_id)}-{os.urandom(4).hex()}"
        try:
            (tmp / "diff").mkdir(parents=True, mode=0o755)
            if parent is not None:
                copy_tree(self._layer_dir(parent) / "diff", tmp / "diff")
            size = apply_layer(stream, tmp / "diff")
            (tmp / "size").write_text(str(size))
            _mount.syncfs(tmp)
            try:
                os.rename(tmp, final)
            except OSError:
                if not final.is_dir():
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        fsync_dir(self._layers)
        return size

    def remove_layer(self, chain_id: str) -> None:
        final = self._layer_dir(chain_id)
        if final.is_dir():
            doomed = self._layers / f"{_TMP_PREFIX}rm-{_hex(chain_id)}-{os.urandom(4).hex()}"
            os.rename(final, doomed)
            shutil.rmtree(doomed, ignore_errors=True)

    def cleanup(self) -> None:
        for entry in self._layers.iterdir():
            if entry.name.startswith(_TMP_PREFIX):
                shutil.rmtree(entry, ignore_errors=True)

    def _cdir(self, container_id: str) -> Path:
        return self._containers / container_id

    def has_container(self, container_id: str) -> bool:
        return (self._cdir(container_id) / "base").is_file()

    def containers(self) -> list[str]:
        return sorted(entry.name for entry in self._containers.iterdir())

    def create_container(self, container_id: str, chain_ids: list[str]) -> None:
        cdir = self._cdir(container_id)
        merged = cdir / "merged"
        merged.mkdir(parents=True, exist_ok=True, mode=0o755)
        if chain_ids:
            if not self.has_layer(chain_ids[-1]):
                raise NotFound(f"layer {chain_ids[-1]} not found")
            copy_tree(self._layer_dir(chain_ids[-1]) / "diff", merged)
        init = cdir / "init"
        init.mkdir(exist_ok=True)
        populate_init_layer(init)
        copy_tree(init, merged)
        write_text_atomic(cdir / "base", chain_ids[-1] if chain_ids else "")

    def _base_dir(self, container_id: str) -> Path:
        try:
            base = (self._cdir(container_id) / "base").read_text()
        except FileNotFoundError:
            raise NotFound(f"no filesystem for container {container_id}") from None
        if not base:
            empty = self._cdir(container_id) / "empty"
            empty.mkdir(exist_ok=True)
            return empty
        return self._layer_dir(base) / "diff"

    def mount(self, container_id: str) -> Path:
        self._base_dir(container_id)
        return self._cdir(container_id) / "merged"

    def is_mounted(self, container_id: str) -> bool:
        return self.has_container(container_id)

    def unmount(self, container_id: str) -> None:
        """Nothing is mounted: the container owns a plain directory."""

    def remove_container(self, container_id: str) -> None:
        _mount.remove_tree(self._cdir(container_id))

    def changes(self, container_id: str) -> list[tuple[str, int]]:
        base = self._base_dir(container_id)
        merged = self._cdir(container_id) / "merged"
        changes = changes_between(base, merged, ignore=INIT_PATHS)
        return [(path, int(kind)) for path, kind in changes]

    def diff(self, container_id: str, out: BinaryIO) -> None:
        merged = self._cdir(container_id) / "merged"
        diff_trees(self._base_dir(container_id), merged, out, ignore=INIT_PATHS)

    def size(self, container_id: str) -> int:
        """The added and modified entries' bytes (Docker's vfs: the diff against the image)."""
        written = [path for path, kind in self.changes(container_id) if kind != 2]
        return files_size(self._cdir(container_id) / "merged", written)

    def graph_driver(self, container_id: str) -> dict[str, Any]:
        return {"Data": {"Dir": str(self._cdir(container_id) / "merged")}, "Name": self.name}

    def image_graph_driver(self, chain_ids: list[str]) -> dict[str, Any]:
        data = {"Dir": str(self._layer_dir(chain_ids[-1]) / "diff")} if chain_ids else {}
        return {"Data": data, "Name": self.name}
