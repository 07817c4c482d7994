"""Helpers shared by command modules: per-object loops, filters, common flags."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from wharf.cli.command import Context, describe_error
from wharf.cli.flags import STRING, Flag, UsageError
from wharf.core.errors import WharfError

FORMAT_HELP = ("Format output using a custom template: 'table': Print output in table format "
               "with column headers (default) 'table TEMPLATE': Print output in table format "
               "using the given Go template 'json': Print in JSON format 'TEMPLATE': Print "
               "output using the given Go template.")
FORMAT_FLAG = Flag("format", "", STRING, FORMAT_HELP)


MAX_PARALLEL = 50  # the docker CLI's bound on concurrent per-container requests


def _outcomes(refs: list[str], action: Callable[[str], object],
              parallel: bool) -> list[WharfError | None]:
    def attempt(ref: str) -> WharfError | None:
        try:
            action(ref)
        except WharfError as exc:
            return exc
        return None

    if not parallel or len(refs) < 2:
        return [attempt(ref) for ref in refs]
    from concurrent.futures import ThreadPoolExecutor  # only when fanning out

    with ThreadPoolExecutor(min(len(refs), MAX_PARALLEL)) as pool:
        return list(pool.map(attempt, refs))


def for_each(ctx: Context, refs: list[str], action: Callable[[str], object],
             echo: bool = True, parallel: bool = False) -> int:
    """Apply ``action`` to each ref (concurrently with ``parallel``, as docker does for rm,
    stop and kill), printing each ref on success and each error on stderr, in ``refs`` order."""
    failed = False
    for ref, error in zip(refs, _outcomes(refs, action, parallel), strict=True):
        if error is not None:
            failed = True
            ctx.err(describe_error(error))
        elif echo:
            ctx.out(ref)
    return 1 if failed else 0


def parse_filters(values: list[str], spelled: str = "-f, --filter") -> dict[str, list[str]]:
    """``--filter key=value`` flags into the API's filter map; a value without ``=`` is a
    flag error (docker checks it while parsing flags: usage shown, status 125)."""
    filters: dict[str, list[str]] = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep:
            raise UsageError(f"invalid argument \"{value}\" for \"{spelled}\" flag: "
                             f"bad format of filter (expected name=value)")
        filters.setdefault(key.strip().lower(), []).append(text)
    return filters


def print_prune_report(ctx: Context, heading: str, deleted: Iterable[object],
                       report: Mapping[str, object] | None) -> None:
    """docker's prune output: ``Deleted <heading>:``, one line each and a blank line (when
    anything went), then the space reclaimed (not for networks: ``report`` None)."""
    from wharf.cli.formatting import human_size

    lines = [str(entry) for entry in deleted]
    if lines:
        ctx.out(f"Deleted {heading}:")
        for line in lines:
            ctx.out(line)
        ctx.out()
    if report is not None:
        reclaimed = human_size(float(str(report.get("SpaceReclaimed") or 0)), 4)
        ctx.out(f"Total reclaimed space: {reclaimed}")
