"""Snapshotters: overlayfs when the kernel and filesystem allow it, full copies otherwise."""

from __future__ import annotations

from pathlib import Path

from wharf.core.errors import InvalidParameter
from wharf.store.snapshots.native import NativeSnapshotter
from wharf.store.snapshots.overlay import OverlaySnapshotter, overlay_supported

__all__ = ["NativeSnapshotter", "OverlaySnapshotter", "open_snapshotter"]


def open_snapshotter(
    data_root: Path, driver: str | None = None
) -> OverlaySnapshotter | NativeSnapshotter:
    """The snapshotter for ``data_root``: ``driver`` (overlay2|native) or the best available.

    A data root that already holds native layers keeps using them (like Docker's prior driver).
    """
    if driver in (None, ""):
        if (data_root / "native" / "layers").is_dir() and not (data_root / "overlay").is_dir():
            driver = "native"
        else:
            data_root.mkdir(parents=True, exist_ok=True)
            driver = "overlay2" if overlay_supported(data_root) else "native"
    if driver in ("overlay2", "overlay"):
        snapshotter: OverlaySnapshotter | NativeSnapshotter = OverlaySnapshotter(
            data_root / "overlay"
        )
    elif driver in ("native", "vfs"):
        snapshotter = NativeSnapshotter(data_root / "native")
    else:
        raise InvalidParameter(f"unknown storage driver: {driver}")
    snapshotter.cleanup()
    return snapshotter
