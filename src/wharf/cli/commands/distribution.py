"""``pull`` and ``push``: a registry reference, its stored credentials, the progress stream.

As docker's CLI: the reference is normalised (``busybox`` → ``docker.io/library/busybox``),
``latest`` is added (and announced) when neither tag nor digest is given, the credentials of
the reference's registry go in ``X-Registry-Auth``, the daemon's progress is shown on stdout
(bars on a terminal, lines otherwise, nothing with ``-q``), and an error in the stream is
printed on stderr with exit status 1. ``pull`` ends by printing the full reference.
"""

from __future__ import annotations

from wharf.cli.command import Command, CommandFailed, Context
from wharf.cli.flags import BOOL, STRING, Flag, Parsed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import Any

    from wharf.core.reference import Reference

ALL_TAGS_WITH_TAG = "tag can't be used with --all-tags/-a"
NO_TRUST = "content trust is not supported by wharf: use --disable-content-trust=true"


def parse_remote(ctx: Context, text: str, all_tags: bool, quiet: bool) -> Reference:
    """The normalised reference, ``latest`` added when nothing names a version."""
    from wharf.core.errors import InvalidParameter
    from wharf.core.reference import parse_reference

    try:
        ref = parse_reference(text)
    except InvalidParameter as exc:
        raise CommandFailed(1, str(exc)) from exc
    name_only = ref.tag is None and ref.digest is None
    if all_tags and not name_only:
        raise CommandFailed(1, ALL_TAGS_WITH_TAG)
    if not all_tags and name_only:
        ref = ref.with_default_tag()
        if not quiet:
            ctx.out(f"Using default tag: {ref.tag}")
    return ref


def check_trust(opts: Parsed) -> None:
    if not opts["disable-content-trust"]:
        raise CommandFailed(125, NO_TRUST)


def show_progress(ctx: Context, messages: Iterable[dict[str, Any]], quiet: bool) -> None:
    from wharf.cli.progress import display_messages, drain_messages
    from wharf.cli.session import is_terminal

    if quiet:
        drain_messages(messages)
    else:
        display_messages(messages, ctx.stdout, is_terminal(ctx.stdout))


def start_stream(ctx: Context, start: Callable[[str], Iterator[dict[str, Any]]],
                 domain: str, verb: str) -> Iterator[dict[str, Any]]:
    """Start the request with the stored credentials; when the daemon answers 401 and a
    user is at the terminal, ask for credentials once and try again (docker's
    "Login prior to pull:"). The new credentials are not stored, as with docker."""
    import itertools

    from wharf.cli.credentials import Credentials, registry_auth_for, server_key
    from wharf.cli.session import is_terminal
    from wharf.client.auth import encode_registry_auth
    from wharf.core.errors import Unauthorized

    messages = start(registry_auth_for(ctx, domain))
    try:
        first = next(messages, None)
    except Unauthorized:
        if not is_terminal(ctx.stdin):
            raise
        from wharf.cli.commands.login import ask_credentials

        ctx.out(f"\nLogin prior to {verb}:")
        credentials = ask_credentials(ctx, "", Credentials(server_key(domain)))
        messages = start(encode_registry_auth(credentials.auth_config()))
        first = next(messages, None)
    return itertools.chain([] if first is None else [first], messages)


def pull(ctx: Context, opts: Parsed) -> int:
    check_trust(opts)
    all_tags, quiet = bool(opts["all-tags"]), bool(opts["quiet"])
    ref = parse_remote(ctx, opts.args[0], all_tags, quiet)
    api_tag = ref.digest or ref.tag  # None with --all-tags: the daemon pulls every tag
    platform = str(opts["platform"]).lower() or None
    images = ctx.client().images
    messages = start_stream(ctx, lambda auth: images.pull(ref.name, api_tag, platform, auth),
                            ref.domain, "pull")
    show_progress(ctx, messages, quiet)
    ctx.out(str(ref))
    return 0


def push(ctx: Context, opts: Parsed) -> int:
    check_trust(opts)
    all_tags, quiet = bool(opts["all-tags"]), bool(opts["quiet"])
    ref = parse_remote(ctx, opts.args[0], all_tags, quiet)
    if ref.digest is not None:
        raise CommandFailed(1, "cannot push a digest reference")
    platform = None
    if opts["platform"]:
        from wharf.cli.platforms import platform_json

        platform = platform_json(str(opts["platform"]))
    images = ctx.client().images
    messages = start_stream(
        ctx, lambda auth: images.push(ref.familiar_name, ref.tag, auth, platform),
        ref.domain, "push")
    show_progress(ctx, messages, quiet)
    if quiet:
        ctx.out(str(ref))
    return 0


TRUST_FLAG = Flag("disable-content-trust", "", BOOL, "Skip image verification", default=True)
PLATFORM_HELP = ("Set platform if server is multi-platform capable")
PULL = Command(
    "[OPTIONS] NAME[:TAG|@DIGEST]", "Download an image from a registry", pull,
    (Flag("all-tags", "a", BOOL, "Download all tagged images in the repository"),
     TRUST_FLAG,
     Flag("platform", "", STRING, PLATFORM_HELP),
     Flag("quiet", "q", BOOL, "Suppress verbose output")),
    min_args=1, max_args=1)
PUSH = Command(
    "[OPTIONS] NAME[:TAG]", "Upload an image to a registry", push,
    (Flag("all-tags", "a", BOOL, "Push all tags of an image to the repository"),
     TRUST_FLAG,
     Flag("platform", "", STRING, "Push a platform-specific manifest as a single-platform "
                                  "image to the registry. 'os[/arch[/variant]]': Explicit "
                                  "platform (eg. linux/amd64)"),
     Flag("quiet", "q", BOOL, "Suppress verbose output")),
    min_args=1, max_args=1)
