"""overlayfs snapshotter (Docker's ``overlay2`` layout, simplified).

    <root>/layers/<chain-hex>/diff/      the layer's own files, with overlay whiteouts
    <root>/layers/<chain-hex>/link       short name of the layer in l/
    <root>/layers/<chain-hex>/size       unpacked size (bytes)
    <root>/layers/.tmp-<hex>-<rand>/     a layer being unpacked (garbage after a crash)
    <root>/l/<SHORT> -> ../layers/<chain-hex>/diff
    <root>/containers/<id>/{upper,work,merged}
    <root>/containers/<id>/init/         the init layer (mount targets, /.dockerenv)
    <root>/containers/<id>/lower         "containers/<id>/init:l/<SHORT>:..." top first

The mount options list the lowers as ``<root>/l/<SHORT>``; when even that does not fit the
kernel's one-page limit, the mount runs from ``<root>`` with relative ``l/<SHORT>`` paths.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import threading
from pathlib import Path
from typing import Any, BinaryIO

from wharf.core.errors import NotFound
from wharf.lib import mount as _mount
from wharf.lib.archive import apply_layer, changes_overlay_upper, diff_overlay_upper
from wharf.lib.atomicfile import fsync_dir, write_text_atomic
from wharf.lib.disk_usage import tree_size
from wharf.store.snapshots.initlayer import populate_init_layer

__all__ = ["OverlaySnapshotter", "overlay_supported"]

_TMP_PREFIX = ".tmp-"
_PARAMETERS = Path("/sys/module/overlay/parameters")
# Features that write metadata-only entries (redirects, metacopy) into the upper dir, which a
# layer diff cannot express; turned off explicitly when the kernel knows them.
_FEATURES_OFF = ("index", "redirect_dir", "metacopy")


def _feature_options() -> str:
    return "".join(f",{name}=off" for name in _FEATURES_OFF if (_PARAMETERS / name).exists())


def _hex(chain_id: str) -> str:
    return chain_id.removeprefix("sha256:")


def _short_name() -> str:
    return base64.b32encode(os.urandom(20)).decode()[:26]


def overlay_supported(probe_dir: Path) -> bool:
    """Whether an overlay mount works on ``probe_dir``'s filesystem (tried for real)."""
    probe = probe_dir / f".overlay-probe-{os.getpid()}-{os.urandom(4).hex()}"
    dirs = [probe / name for name in ("lower", "upper", "work", "merged")]
    try:
        for d in dirs:
            d.mkdir(parents=True)
        lower, upper, work, merged = dirs
        _mount.mount(
            "overlay", merged, "overlay", 0, f"lowerdir={lower},upperdir={upper},workdir={work}"
        )
        _mount.unmount(merged)
        return True
    except OSError:
        return False
    finally:
        shutil.rmtree(probe, ignore_errors=True)


class OverlaySnapshotter:
    """Layers and container filesystems under ``root`` (``<data-root>/overlay``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._layers = root / "layers"
        self._links = root / "l"
        self._containers = root / "containers"
        root.mkdir(parents=True, exist_ok=True)
        os.chmod(root, 0o700)  # layers keep setuid binaries: host users must not reach them
        for d in (self._layers, self._links, self._containers):
            d.mkdir(exist_ok=True)
        self._mount_lock = threading.Lock()

    @property
    def name(self) -> str:
        return "overlay2"

    # ---- layers ----------------------------------------------------------------------------

    def layer_dir(self, chain_id: str) -> Path:
        return self._layers / _hex(chain_id)

    def has_layer(self, chain_id: str) -> bool:
        return (self.layer_dir(chain_id) / "diff").is_dir()

    def layers(self) -> list[str]:
        return sorted(
            f"sha256:{p.name}" for p in self._layers.iterdir() if not p.name.startswith(".")
        )

    def add_layer(self, chain_id: str, parent: str | None, stream: BinaryIO) -> int:
        final = self.layer_dir(chain_id)
        if final.is_dir():
            return self._size(chain_id)
        # a layer's diff is its own files only: it unpacks without its parent (pulls unpack
        # layers concurrently); a container needs the whole chain (create_container checks)
        tmp = self._layers / f"{_TMP_PREFIX}{_hex(chain_id)}-{os.urandom(4).hex()}"
        try:
            (tmp / "diff").mkdir(parents=True, mode=0o755)
            size = apply_layer(stream, tmp / "diff", overlay_whiteouts=True)
            short = _short_name()
            (tmp / "link").write_text(short)
            (tmp / "size").write_text(str(size))
            (tmp / "parent").write_text(parent or "")
            _mount.syncfs(tmp)  # the files must be durable before the layer is published
            try:
                os.rename(tmp, final)
            except OSError:
                if not final.is_dir():
                    raise
                return self._size(chain_id)  # another writer won the race
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        self._link(short, chain_id)
        fsync_dir(self._layers)
        return size

    def _link(self, short: str, chain_id: str) -> None:
        link = self._links / short
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        os.symlink(f"../layers/{_hex(chain_id)}/diff", link)
        fsync_dir(self._links)

    def _short(self, chain_id: str) -> str:
        try:
            return (self.layer_dir(chain_id) / "link").read_text().strip()
        except FileNotFoundError:
            raise NotFound(f"layer {chain_id} not found") from None

    def _size(self, chain_id: str) -> int:
        return int((self.layer_dir(chain_id) / "size").read_text())

    def remove_layer(self, chain_id: str) -> None:
        final = self.layer_dir(chain_id)
        if not final.is_dir():
            return
        with contextlib.suppress(FileNotFoundError):
            (self._links / self._short(chain_id)).unlink()
        doomed = self._layers / f"{_TMP_PREFIX}rm-{_hex(chain_id)}-{os.urandom(4).hex()}"
        os.rename(final, doomed)  # invisible at once, deleted at leisure (or by cleanup)
        shutil.rmtree(doomed, ignore_errors=True)

    def cleanup(self) -> None:
        for entry in self._layers.iterdir():
            if entry.name.startswith(_TMP_PREFIX):
                shutil.rmtree(entry, ignore_errors=True)
        for link in self._links.iterdir():
            if not link.exists():
                link.unlink()

    # ---- containers ------------------------------------------------------------------------

    def _cdir(self, container_id: str) -> Path:
        return self._containers / container_id

    def has_container(self, container_id: str) -> bool:
        return (self._cdir(container_id) / "lower").is_file()

    def containers(self) -> list[str]:
        return sorted(entry.name for entry in self._containers.iterdir())

    def create_container(self, container_id: str, chain_ids: list[str]) -> None:
        cdir = self._cdir(container_id)
        lowers = [f"l/{self._short(c)}" for c in reversed(chain_ids)]
        for name in ("upper", "work", "merged", "init"):
            (cdir / name).mkdir(parents=True, exist_ok=True, mode=0o755)
        populate_init_layer(cdir / "init")
        lowers.insert(0, f"containers/{container_id}/init")
        write_text_atomic(cdir / "lower", ":".join(lowers))

    def _lowers(self, container_id: str) -> list[str]:
        try:
            return (self._cdir(container_id) / "lower").read_text().split(":")
        except FileNotFoundError:
            raise NotFound(f"no filesystem for container {container_id}") from None

    def mount(self, container_id: str) -> Path:
        with self._mount_lock:
            return self._mount(container_id)

    def _mount(self, container_id: str) -> Path:
        cdir = self._cdir(container_id)
        lowers = self._lowers(container_id)
        merged = cdir / "merged"
        if _mount.is_mountpoint(merged):
            return merged
        absolute = ":".join(str(self.root / lower) for lower in lowers)
        features = _feature_options()
        options = f"lowerdir={absolute},upperdir={cdir / 'upper'},workdir={cdir / 'work'}{features}"
        if _mount.option_fits(options) and not any(c in str(self.root) for c in ",:="):
            _mount.mount("overlay", merged, "overlay", 0, options)
        else:
            rel = f"containers/{container_id}"
            options = (
                f"lowerdir={':'.join(lowers)},upperdir={rel}/upper,workdir={rel}/work{features}"
            )
            _mount.mount_in_dir(self.root, "overlay", merged, "overlay", options)
        return merged

    def is_mounted(self, container_id: str) -> bool:
        return _mount.is_mountpoint(self._cdir(container_id) / "merged")

    def unmount(self, container_id: str) -> None:
        merged = self._cdir(container_id) / "merged"
        with self._mount_lock:
            if merged.exists() and _mount.is_mountpoint(merged):
                _mount.unmount(merged)

    def remove_container(self, container_id: str) -> None:
        with self._mount_lock:
            _mount.remove_tree(self._cdir(container_id))

    def _lower_dirs(self, container_id: str) -> list[Path]:
        return [(self.root / lower).resolve() for lower in self._lowers(container_id)]

    def changes(self, container_id: str) -> list[tuple[str, int]]:
        upper = self._cdir(container_id) / "upper"
        return [
            (path, int(kind))
            for path, kind in changes_overlay_upper(upper, self._lower_dirs(container_id))
        ]

    def diff(self, container_id: str, out: BinaryIO) -> None:
        self._lowers(container_id)
        diff_overlay_upper(self._cdir(container_id) / "upper", out)

    def size(self, container_id: str) -> int:
        self._lowers(container_id)
        return tree_size(self._cdir(container_id) / "upper")

    def graph_driver(self, container_id: str) -> dict[str, Any]:
        cdir = self._cdir(container_id)
        lowers = self._lower_dirs(container_id)
        return {  # Docker's order: Data (keys sorted, a Go map) before Name
            "Data": {
                "LowerDir": ":".join(str(p) for p in lowers),
                "MergedDir": str(cdir / "merged"),
                "UpperDir": str(cdir / "upper"),
                "WorkDir": str(cdir / "work"),
            },
            "Name": self.name,
        }

    def image_graph_driver(self, chain_ids: list[str]) -> dict[str, Any]:
        if not chain_ids:
            return {"Data": {}, "Name": self.name}
        dirs = [str(self.layer_dir(c) / "diff") for c in reversed(chain_ids)]
        data = {
            "MergedDir": str(self.layer_dir(chain_ids[-1]) / "merged"),
            "UpperDir": dirs[0],
            "WorkDir": str(self.layer_dir(chain_ids[-1]) / "work"),
        }
        if len(dirs) > 1:
            data["LowerDir"] = ":".join(dirs[1:])
        return {"Data": dict(sorted(data.items())), "Name": self.name}
