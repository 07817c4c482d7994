"""``wharf commit``: a new image from a container's changes (docker's flags and output)."""

from __future__ import annotations

from wharf.cli.command import Command, CommandFailed, Context
from wharf.cli.flags import BOOL, LIST, STRING, Flag, Parsed


def split_target(target: str) -> tuple[str, str]:
    """``REPO[:TAG]`` as the API's ``repo`` and ``tag`` (``latest`` when absent, as docker's
    client sends it): a ``:`` after the last ``/`` starts the tag (a registry's port is not
    one). A digest is refused, docker's words."""
    if "@" in target:
        raise CommandFailed(1, "refusing to create a tag with a digest reference")
    slash, colon = target.rfind("/"), target.rfind(":")
    if colon > slash:
        return target[:colon], target[colon + 1:]
    return target, "latest"


def commit(ctx: Context, opts: Parsed) -> int:
    repo, tag = split_target(opts.args[1]) if len(opts.args) > 1 else ("", "")
    result = ctx.client().archive.commit(
        opts.args[0], repo=repo, tag=tag, comment=str(opts["message"]),
        author=str(opts["author"]), pause=bool(opts["pause"]),
        changes=list(opts["change"]))
    ctx.out(str(result.get("Id", "")))
    return 0


COMMIT = Command(
    "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]", "Create a new image from a container's changes",
    commit,
    (Flag("author", "a", STRING,
          "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")"),
     Flag("change", "c", LIST, "Apply Dockerfile instruction to the created image"),
     Flag("message", "m", STRING, "Commit message"),
     Flag("pause", "p", BOOL, "Pause container during commit", default=True)),
    min_args=1, max_args=2)
