"""``search``: the registry's search results as docker's table (NAME DESCRIPTION STARS OFFICIAL).

The term may name a registry (``127.0.0.1:5000/busy``); its stored credentials are sent. Filters
go to the daemon, which checks them; ``--limit`` is sent only when positive, as docker does.
"""

from __future__ import annotations

from wharf.cli.command import Command, Context
from wharf.cli.commands.common import parse_filters
from wharf.cli.flags import BOOL, INT, LIST, STRING, Flag, Parsed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SEARCH_TABLE = "table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}"
SEARCH_HEADERS = {"Name": "NAME", "Description": "DESCRIPTION", "StarCount": "STARS",
                  "IsOfficial": "OFFICIAL"}
DESCRIPTION_WIDTH = 45


def search_domain(term: str) -> str:
    """The registry a search term names (docker's ``ParseSearchIndexInfo``)."""
    first, sep, _ = term.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


class SearchRow:
    """One result under docker's placeholders (``{{.Name}}``, ``{{.StarCount}}``...)."""

    __slots__ = ("data", "trunc")

    def __init__(self, data: dict[str, Any], trunc: bool) -> None:
        self.data = data
        self.trunc = trunc

    def Name(self) -> str:
        return str(self.data.get("name") or "")

    def Description(self) -> str:
        from wharf.cli.formatting import ellipsis

        text = str(self.data.get("description") or "").replace("\n", " ")
        return ellipsis(text, DESCRIPTION_WIDTH) if self.trunc else text

    def StarCount(self) -> str:
        return str(int(self.data.get("star_count") or 0))

    def IsOfficial(self) -> str:
        return "[OK]" if self.data.get("is_official") else ""

    def to_json(self) -> dict[str, str]:
        """``{{json .}}``: docker writes the booleans as "true"/"false" there."""
        shown = {name: getattr(self, name)() for name in SEARCH_HEADERS}
        shown["IsOfficial"] = "true" if self.data.get("is_official") else "false"
        return shown


def search(ctx: Context, opts: Parsed) -> int:
    from wharf.cli.credentials import registry_auth_for
    from wharf.cli.formatting import render

    term = opts.args[0]
    limit = int(opts["limit"])
    results = ctx.client().images.search(term, limit if limit > 0 else None,
                                         parse_filters(opts["filter"]),
                                         registry_auth_for(ctx, search_domain(term)))
    rows = [SearchRow(result, not opts["no-trunc"]) for result in results or []]
    for line in render(str(opts["format"]), SEARCH_TABLE, rows, SEARCH_HEADERS):
        ctx.out(line)
    return 0


SEARCH = Command(
    "[OPTIONS] TERM", "Search registries for images", search,
    (Flag("filter", "f", LIST, "Filter output based on conditions provided",
          type_name="filter"),
     Flag("format", "", STRING, "Pretty-print search using a Go template"),
     Flag("limit", "", INT, "Max number of search results"),
     Flag("no-trunc", "", BOOL, "Don't truncate output")),
    min_args=1, max_args=1)
