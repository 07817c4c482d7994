"""Image commands: images, rmi, tag, history, import, image prune, image bootstrap."""

from __future__ import annotations

from collections.abc import Iterator

from wharf.cli.command import Command, CommandFailed, Context, describe_error
from wharf.cli.commands.common import FORMAT_FLAG, parse_filters
from wharf.cli.commands.containers import confirm
from wharf.cli.flags import BOOL, LIST, STRING, Flag, Parsed
from wharf.cli.references import split_repo_tag
from wharf.core.errors import WharfError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, BinaryIO

CHUNK = 1 << 16
BOOTSTRAP_IMAGES = {"busybox": ('CMD ["sh"]', False), "hello-world": ('CMD ["/hello"]', True)}


def images(ctx: Context, opts: Parsed) -> int:
    from wharf.cli.formatting import render
    from wharf.cli.rows import IMAGES_DIGEST_TABLE, IMAGES_HEADERS, IMAGES_TABLE, image_rows

    filters = parse_filters(opts["filter"])
    if opts.args:
        filters.setdefault("reference", []).append(opts.args[0])
    listed = ctx.client().images.list(all_=bool(opts["all"]), digests=bool(opts["digests"]),
                                      filters=filters)
    listed.sort(key=lambda image: -int(image.get("Created") or 0))
    rows = image_rows(listed, trunc=not opts["no-trunc"])
    format_text = str(opts["format"])
    table = IMAGES_DIGEST_TABLE if opts["digests"] else IMAGES_TABLE
    if opts["quiet"]:
        format_text = "{{.ID}}"
    for line in render(format_text, table, rows, IMAGES_HEADERS):
        ctx.out(line)
    return 0


def rmi(ctx: Context, opts: Parsed) -> int:
    client = ctx.client()
    failed = False
    for ref in opts.args:
        try:
            report = client.images.remove(ref, bool(opts["force"]), bool(opts["no-prune"]))
        except WharfError as exc:
            ctx.err(describe_error(exc))
            failed = True
            continue
        for entry in report or []:
            if entry.get("Untagged"):
                ctx.out(f"Untagged: {entry['Untagged']}")
            if entry.get("Deleted"):
                ctx.out(f"Deleted: {entry['Deleted']}")
    return 1 if failed else 0


def parse_target(target: str) -> tuple[str, str]:
    repo, tag = split_repo_tag(target)
    return repo, "latest" if tag == "<none>" else tag


def tag(ctx: Context, opts: Parsed) -> int:
    repo, tag_name = parse_target(opts.args[1])
    ctx.client().images.tag(opts.args[0], repo, tag_name)
    return 0


HISTORY_TABLE = ("table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t"
                 "{{.Comment}}")
HISTORY_HEADERS = {"ID": "IMAGE", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT",
                   "CreatedBy": "CREATED BY", "Size": "SIZE", "Comment": "COMMENT"}


def _history_row(entry: dict[str, Any], trunc: bool, human: bool) -> dict[str, str]:
    from wharf.cli.formatting import ellipsis, human_size, since, truncate_id

    identifier = str(entry.get("Id") or "<missing>")
    if trunc and identifier != "<missing>":
        identifier = truncate_id(identifier)
    created_by = str(entry.get("CreatedBy") or "").replace("\t", " ")
    created = float(entry.get("Created") or 0)
    size = int(entry.get("Size") or 0)
    return {"ID": identifier,
            "CreatedSince": since(created) if human else _iso(created),
            "CreatedAt": _iso(created),
            "CreatedBy": ellipsis(created_by, 45) if trunc else created_by,
            "Size": human_size(float(size)) if human else str(size),
            "Comment": str(entry.get("Comment") or "")}


def _iso(timestamp: float) -> str:
    """Go's ``time.RFC3339`` in local time (``Z`` for UTC)."""
    import time

    local = time.localtime(timestamp)
    offset = time.strftime("%z", local)
    zone = "Z" if offset in ("+0000", "-0000") else f"{offset[:3]}:{offset[3:]}"
    return time.strftime("%Y-%m-%dT%H:%M:%S", local) + zone


def history(ctx: Context, opts: Parsed) -> int:
    from wharf.cli.formatting import render

    entries = ctx.client().images.history(opts.args[0])
    rows = [_history_row(entry, not opts["no-trunc"], bool(opts["human"]))
            for entry in entries]
    format_text = "{{.ID}}" if opts["quiet"] else str(opts["format"])
    headers = dict(HISTORY_HEADERS)
    if not opts["human"]:
        headers["CreatedSince"] = "CREATED AT"
    for line in render(format_text, HISTORY_TABLE, rows, headers):
        ctx.out(line)
    return 0


def _file_chunks(handle: BinaryIO) -> Iterator[bytes]:
    while True:
        data = handle.read(CHUNK)
        if not data:
            return
        yield data


def import_image(ctx: Context, opts: Parsed) -> int:
    source = opts.args[0]
    repo, tag_name = (parse_target(opts.args[1]) if len(opts.args) > 1 else (None, None))
    kwargs: dict[str, Any] = {"repo": repo, "tag": tag_name, "changes": opts["change"],
                              "message": str(opts["message"]) or None,
                              "platform": str(opts["platform"]) or None}
    if source == "-":
        return _print_import(ctx, ctx.client().images.import_tar(_file_chunks(ctx.stdin),
                                                                 **kwargs))
    if "://" in source:
        return _print_import(ctx, ctx.client().images.import_tar(None, from_src=source,
                                                                 **kwargs))
    try:
        handle = open(source, "rb")  # noqa: SIM115 - closed below, streamed lazily
    except OSError as exc:
        raise CommandFailed(1, f"open {source}: {str(exc.strerror or exc).lower()}") from exc
    with handle:
        return _print_import(ctx, ctx.client().images.import_tar(_file_chunks(handle),
                                                                 **kwargs))


def _print_import(ctx: Context, messages: Iterator[dict[str, Any]]) -> int:
    for message in messages:
        if message.get("error") or message.get("errorDetail"):
            detail = message.get("errorDetail") or {}
            raise WharfError(str(message.get("error") or detail.get("message")))
        if message.get("status"):
            ctx.out(str(message["status"]))
    return 0


def prune(ctx: Context, opts: Parsed) -> int:
    from wharf.cli.formatting import human_size

    filters = parse_filters(opts["filter"], "--filter")
    warning = ("WARNING! This will remove all images without at least one container "
               "associated to them." if opts["all"] else
               "WARNING! This will remove all dangling images.")
    if opts["all"]:
        filters["dangling"] = ["false"]
    if not opts["force"] and not confirm(ctx, warning):
        return 0
    report = ctx.client().images.prune(filters)
    deleted = report.get("ImagesDeleted") or []
    if deleted:
        ctx.out("Deleted Images:")
        for entry in deleted:
            if entry.get("Untagged"):
                ctx.out(f"untagged: {entry['Untagged']}")
            if entry.get("Deleted"):
                ctx.out(f"deleted: {entry['Deleted']}")
        ctx.out()
    ctx.out(f"Total reclaimed space: {human_size(float(report.get('SpaceReclaimed') or 0), 4)}")
    return 0


def bootstrap(ctx: Context, opts: Parsed) -> int:
    """Build busybox or hello-world from the host's static busybox and import it."""
    import tempfile

    from wharf.lib.bootstrap import busybox_rootfs_tar

    name = opts.args[0]
    if name not in BOOTSTRAP_IMAGES:
        raise CommandFailed(1, f"unknown base image {name!r}: choose busybox or hello-world")
    change, hello = BOOTSTRAP_IMAGES[name]
    with tempfile.TemporaryFile() as spool:
        try:
            busybox_rootfs_tar(spool, hello=hello)  # type: ignore[arg-type]
        except FileNotFoundError as exc:
            raise CommandFailed(1, f"Error: {exc}") from exc
        spool.seek(0)
        messages = ctx.client().images.import_tar(
            _file_chunks(spool), repo=name, tag="latest", changes=[change],
            message=f"wharf image bootstrap {name}")
        return _print_import(ctx, messages)


FORMAT = FORMAT_FLAG
IMAGES = Command(
    "[OPTIONS] [REPOSITORY[:TAG]]", "List images", images,
    (Flag("all", "a", BOOL, "Show all images (default hides intermediate images)"),
     Flag("digests", "", BOOL, "Show digests"),
     Flag("filter", "f", LIST, "Filter output based on conditions provided",
          type_name="filter"),
     FORMAT, Flag("no-trunc", "", BOOL, "Don't truncate output"),
     Flag("quiet", "q", BOOL, "Only show image IDs")),
    max_args=1)
RMI = Command("[OPTIONS] IMAGE [IMAGE...]", "Remove one or more images", rmi,
              (Flag("force", "f", BOOL, "Force removal of the image"),
               Flag("no-prune", "", BOOL, "Do not delete untagged parents")), min_args=1)
TAG = Command("SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
              "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", tag,
              min_args=2, max_args=2)
HISTORY = Command(
    "[OPTIONS] IMAGE", "Show the history of an image", history,
    (FORMAT, Flag("human", "H", BOOL, "Print sizes and dates in human readable format",
                  default=True),
     Flag("no-trunc", "", BOOL, "Don't truncate output"),
     Flag("quiet", "q", BOOL, "Only show image IDs")),
    min_args=1, max_args=1)
IMPORT = Command(
    "[OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
    "Import the contents from a tarball to create a filesystem image", import_image,
    (Flag("change", "c", LIST, "Apply Dockerfile instruction to the created image"),
     Flag("message", "m", STRING, "Set commit message for imported image"),
     Flag("platform", "", STRING, "Set platform if server is multi-platform capable")),
    min_args=1, max_args=2)
PRUNE = Command(
    "[OPTIONS]", "Remove unused images", prune,
    (Flag("all", "a", BOOL, "Remove all unused images, not just dangling ones"),
     Flag("filter", "", LIST, "Provide filter values (e.g. \"until=<timestamp>\")",
          type_name="filter"),
     Flag("force", "f", BOOL, "Do not prompt for confirmation")),
    max_args=0)
BOOTSTRAP = Command("busybox|hello-world",
                    "Build a base image (busybox, hello-world) offline", bootstrap,
                    min_args=1, max_args=1)
