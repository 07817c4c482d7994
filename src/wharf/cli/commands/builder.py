"""``wharf builder prune``: the build cache's records removed (``POST /build/prune``)."""

from __future__ import annotations

from wharf.cli.command import Command, CommandFailed, Context
from wharf.cli.commands.common import print_prune_report
from wharf.cli.flags import BOOL, LIST, STRING, Flag, Parsed


def builder_prune(ctx: Context, opts: Parsed) -> int:

    if opts["keep-storage"]:
        raise CommandFailed(125, "--keep-storage is not supported by wharf's build cache yet")
    if not opts["force"] and not _confirm(ctx, bool(opts["all"])):
        return 0
    filters: dict[str, list[str]] = {}
    for value in opts["filter"]:
        key, _, text = str(value).partition("=")
        filters.setdefault(key, []).append(text)
    report = ctx.client().build.prune(bool(opts["all"]), filters or None)
    print_prune_report(ctx, "build cache objects", report.get("CachesDeleted") or [], report)
    return 0


def _confirm(ctx: Context, everything: bool) -> bool:
    what = "all build cache" if everything else "all dangling build cache"
    ctx.out(f"WARNING! This will remove {what}.\nAre you sure you want to continue? [y/N] ",
            end="")
    ctx.stdout.flush()
    answer = ctx.stdin.readline().decode("utf-8", "replace").strip().lower()
    return answer in ("y", "yes")


PRUNE = Command(
    "[OPTIONS]", "Remove build cache", builder_prune,
    (Flag("all", "a", BOOL, "Remove all unused build cache, not just dangling ones"),
     Flag("filter", "", LIST, "Provide filter values (e.g. \"until=24h\")", type_name="filter"),
     Flag("force", "f", BOOL, "Do not prompt for confirmation"),
     Flag("keep-storage", "", STRING, "Amount of disk space to keep for cache",
          type_name="bytes")),
    max_args=0)
