"""Helpers shared by command modules: per-object loops, filters, common flags."""

from __future__ import annotations

from collections.abc import Callable

from wharf.cli.command import CommandFailed, Context, describe_error
from wharf.cli.flags import STRING, Flag
from wharf.core.errors import WharfError

FORMAT_HELP = ("Format output using a custom template: 'table': Print output in table format "
               "with column headers (default) 'table TEMPLATE': Print output in table format "
               "using the given Go template 'json': Print in JSON format 'TEMPLATE': Print "
               "output using the given Go template.")
FORMAT_FLAG = Flag("format", "", STRING, FORMAT_HELP)


def for_each(ctx: Context, refs: list[str], action: Callable[[str], object],
             echo: bool = True) -> int:
    """Apply ``action`` to each ref, printing the ref on success and each error on stderr."""
    failed = False
    for ref in refs:
        try:
            action(ref)
        except WharfError as exc:
            failed = True
            ctx.err(describe_error(exc))
            continue
        if echo:
            ctx.out(ref)
    return 1 if failed else 0


def parse_filters(values: list[str]) -> dict[str, list[str]]:
    """``--filter key=value`` flags into the API's filter map."""
    filters: dict[str, list[str]] = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep:
            raise CommandFailed(125, f"invalid argument \"{value}\" for \"-f, --filter\" flag: "
                                     f"bad format of filter (expected name=value)")
        filters.setdefault(key.strip().lower(), []).append(text)
    return filters
