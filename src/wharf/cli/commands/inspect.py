"""``inspect``, ``container inspect`` and ``image inspect``: raw JSON or a Go template."""

from __future__ import annotations

from collections.abc import Callable

from wharf.cli.command import Command, CommandFailed, Context, describe_error
from wharf.cli.flags import BOOL, STRING, Flag, Parsed
from wharf.core.errors import NotFound, WharfError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from wharf.cli.template import Template

FORMAT = Flag("format", "f", STRING, "Format output using a custom template: 'json': Print in "
                                     "JSON format 'TEMPLATE': Print output using the given Go "
                                     "template.")
KINDS = ("container", "image", "network", "volume")


def _dump_json(objects: list[Any]) -> str:
    import json

    if not objects:
        return "[]"
    return json.dumps(objects, indent=4, ensure_ascii=False)


def _compile(format_text: str) -> Template | None:
    """The ``--format`` template, parsed before any request as docker does."""
    from wharf.cli.template import Template, TemplateError

    if not format_text:
        return None
    if format_text == "json":
        format_text = "{{json .}}"
    try:
        return Template(format_text.replace("\\t", "\t").replace("\\n", "\n"))
    except TemplateError as exc:
        raise CommandFailed(1, f"template parsing error: {exc}") from exc


def _emit(ctx: Context, objects: list[Any], template: Template | None) -> None:
    from wharf.cli.template import TemplateError

    if template is None:
        ctx.out(_dump_json(objects))
        return
    if not objects:
        ctx.out()  # docker's template inspector prints an empty line when nothing matched
        return
    try:
        for item in objects:
            ctx.out(template.execute(item))
    except TemplateError as exc:
        raise CommandFailed(1, str(exc)) from exc


def _inspect_all(ctx: Context, refs: list[str], fetch: Callable[[str], Any],
                 format_text: str, not_found: Callable[[str, WharfError], str]) -> int:
    template = _compile(format_text)
    found: list[Any] = []
    errors: list[str] = []
    for ref in refs:
        try:
            found.append(fetch(ref))
        except NotFound as exc:
            errors.append(not_found(ref, exc))
    _emit(ctx, found, template)
    for message in errors:
        ctx.err(message)
    return 1 if errors else 0


def inspect_with(ctx: Context, refs: list[str], fetch: Callable[[str], Any],
                 format_text: str) -> int:
    """``<resource> inspect``: the objects ``fetch`` finds, the daemon's message for others."""
    return _inspect_all(ctx, refs, fetch, format_text, lambda ref, exc: describe_error(exc))


def inspect_any(ctx: Context, opts: Parsed) -> int:
    kind = str(opts["type"])
    if kind and kind not in KINDS:
        raise CommandFailed(1, f'"{kind}" is not a valid value for --type')
    client = ctx.client()
    size = bool(opts["size"])

    fetchers: dict[str, Callable[[str], Any]] = {
        "container": lambda ref: client.containers.inspect(ref, size=size),
        "image": client.images.inspect,
        "network": client.networks.inspect,
        "volume": client.volumes.inspect,
    }

    def fetch(ref: str) -> Any:
        """The first object named ``ref`` in docker's order of kinds (or of ``--type``)."""
        for name in (kind,) if kind else KINDS:
            try:
                return fetchers[name](ref)
            except NotFound:
                if kind or name == KINDS[-1]:
                    raise
        raise AssertionError("unreachable")

    def not_found(ref: str, exc: WharfError) -> str:
        return describe_error(exc) if kind else f"Error: No such object: {ref}"

    return _inspect_all(ctx, opts.args, fetch, str(opts["format"]), not_found)


def inspect_container(ctx: Context, opts: Parsed) -> int:
    containers = ctx.client().containers
    size = bool(opts["size"])
    return _inspect_all(ctx, opts.args, lambda ref: containers.inspect(ref, size=size),
                        str(opts["format"]), lambda ref, exc: describe_error(exc))


def inspect_image(ctx: Context, opts: Parsed) -> int:
    return _inspect_all(ctx, opts.args, ctx.client().images.inspect, str(opts["format"]),
                        lambda ref, exc: describe_error(exc))


SIZE = Flag("size", "s", BOOL, "Display total file sizes if the type is container")
INSPECT = Command("[OPTIONS] NAME|ID [NAME|ID...]",
                  "Return low-level information on wharf objects", inspect_any,
                  (FORMAT, SIZE, Flag("type", "", STRING, "Only inspect objects of the given "
                                                          "type")), min_args=1)
CONTAINER_INSPECT = Command("[OPTIONS] CONTAINER [CONTAINER...]",
                            "Display detailed information on one or more containers",
                            inspect_container,
                            (FORMAT, Flag("size", "s", BOOL, "Display total file sizes")),
                            min_args=1)
IMAGE_INSPECT = Command("[OPTIONS] IMAGE [IMAGE...]",
                        "Display detailed information on one or more images", inspect_image,
                        (FORMAT, Flag("platform", "", STRING, "Inspect a specific platform of "
                                                              "the multi-platform image.")),
                        min_args=1)
