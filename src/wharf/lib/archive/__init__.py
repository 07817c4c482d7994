"""Layer tars: apply (with whiteouts, confined to a root), diff, change lists, export."""

from wharf.lib.archive.apply import apply_layer
from wharf.lib.archive.compression import Compression, compressor, decompressed, detect
from wharf.lib.archive.diff import (
    ChangeKind,
    changes_between,
    changes_overlay_upper,
    diff_overlay_upper,
    diff_trees,
    tar_subtree,
    tar_tree,
    walk_tree,
)

__all__ = [
    "ChangeKind",
    "Compression",
    "apply_layer",
    "changes_between",
    "changes_overlay_upper",
    "compressor",
    "decompressed",
    "detect",
    "diff_overlay_upper",
    "diff_trees",
    "tar_subtree",
    "tar_tree",
    "walk_tree",
]
