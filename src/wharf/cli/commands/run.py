"""``run``, ``create``, ``start`` and ``attach``: docker's sequence, step by step.

``run``: create (pull when the image is missing), then unless ``-d``: attach *before* start,
request ``wait?condition=next-exit`` (``removed`` with ``--rm``) *before* start, start, copy the
streams until the container's output ends, and exit with the container's status. Start
failures exit 126 (cannot invoke), 127 (not found) or 125, like docker.
"""

from __future__ import annotations

from wharf.cli.clientconfig import detach_keys_setting
from wharf.cli.command import Command, CommandFailed, Context, describe_error
from wharf.cli.flags import BOOL, STRING, Flag, Parsed
from wharf.cli.references import split_repo_tag
from wharf.cli.runconfig import CREATE_FLAGS, RUN_ONLY_FLAGS, attach_streams, build_create_body
from wharf.cli.session import (
    DETACHED_MESSAGE,
    StreamSession,
    follow_terminal_size,
    is_terminal,
    proxy_signals,
    raw_terminal,
)
from wharf.client.api import Client
from wharf.client.transport import Transport
from wharf.core.errors import NotFound, WharfError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def exit_code_for_start_error(message: str) -> int:
    """docker's mapping of a failed start: 127 not found, 126 cannot invoke, else 125."""
    lowered = message.lower()
    if "executable file not found" in lowered or "no such file or directory" in lowered:
        return 127
    if "permission denied" in lowered or "is a directory" in lowered:
        return 126
    return 125


def normalized_image(ref: str) -> tuple[str, str]:
    """(name, tag) as docker shows it in ``Unable to find image 'busybox:latest' locally``."""
    if "@" in ref:
        name, _, digest = ref.partition("@")
        return name, digest
    name, tag = split_repo_tag(ref)
    return name, "latest" if tag == "<none>" else tag


def pull_image(ctx: Context, ref: str, platform: str | None, quiet: bool = False) -> None:
    """Pull as docker's ``run`` does: the progress on stderr, stored credentials sent."""
    from wharf.cli.credentials import registry_auth_for
    from wharf.cli.progress import StreamFailed, display_messages, drain_messages
    from wharf.core.reference import parse_reference

    parsed = parse_reference(ref).with_default_tag()
    messages = ctx.client().images.pull(parsed.name, parsed.digest or parsed.tag, platform,
                                        registry_auth_for(ctx, parsed.domain))
    try:
        if quiet:
            drain_messages(messages)
        else:
            display_messages(messages, ctx.stderr, is_terminal(ctx.stderr))
    except StreamFailed as exc:
        if not ctx.path.endswith("run"):
            raise  # create: the bare message, status 1, as docker
        raise CommandFailed(125, f"wharf: {exc.message}\n\nRun 'wharf {ctx.path} --help' "
                                 "for more information") from exc


def create_container(ctx: Context, opts: Parsed, detach: bool) -> str:
    body = build_create_body(opts, ctx.env, detach)
    containers = ctx.client().containers
    name, platform = str(opts["name"]) or None, str(opts["platform"]) or None
    image = opts.args[0]
    quiet = bool(opts["quiet"])
    if opts["pull"] == "always":
        pull_image(ctx, image, platform, quiet)
    try:
        result = containers.create(body, name, platform)
    except NotFound as exc:
        if opts["pull"] == "never" or "no such image" not in exc.message.lower():
            raise
        repo, tag = normalized_image(image)
        separator = "@" if tag.startswith("sha256:") else ":"
        if not quiet:
            ctx.err(f"Unable to find image '{repo}{separator}{tag}' locally")
        pull_image(ctx, image, platform, quiet)
        result = containers.create(body, name, platform)
    for warning in result.get("Warnings") or []:
        ctx.err(f"WARNING: {warning}")
    return str(result["Id"])


def side_client(client: Client) -> Client:
    """A second client on its own connection, for signal handlers running beside the stream."""
    transport = client.transport
    return Client(Transport(transport.endpoint, transport.api_version))


def attach_and_start(ctx: Context, container_id: str, *, stdin: bool, stdout: bool,
                     stderr: bool, tty: bool, auto_remove: bool, sig_proxy: bool,
                     detach_keys: str, start: bool = True) -> int:
    """Attach, wait-request, start, stream; the container's exit status (0 when the user
    detached with the detach keys: the container keeps running, as with docker)."""
    client = ctx.client()
    stream = client.containers.attach(container_id, stdin=stdin, stdout=stdout, stderr=stderr,
                                      detach_keys=detach_keys or None)
    pending = client.containers.wait_request(container_id,
                                             "removed" if auto_remove else "next-exit")
    try:
        with raw_terminal(ctx.stdin, tty and stdin):
            if start:
                client.containers.start(container_id)
            helper = side_client(client)
            with follow_terminal_size(ctx.stdout, _resizer(helper, container_id), tty), \
                    proxy_signals(_killer(helper, container_id), sig_proxy and not tty):
                session = StreamSession(stream, tty, ctx.stdin if stdin else None, ctx.stdout,
                                        ctx.stderr, detach_keys=detach_keys)
                session.run()
    except WharfError:
        stream.close()
        pending.conn.close()
        raise
    stream.close()
    if session.detached:
        pending.conn.close()
        return 0
    return _exit_status(ctx, client.containers.wait_result(pending))


def _resizer(client: Client, container_id: str) -> Any:
    return lambda height, width: client.containers.resize(container_id, height, width)


def _killer(client: Client, container_id: str) -> Any:
    return lambda signal_name: client.containers.kill(container_id, signal_name)


def _exit_status(ctx: Context, result: dict[str, Any]) -> int:
    error = (result.get("Error") or {}).get("Message")
    if error:
        ctx.err(f"wharf: Error response from daemon: {error}")
        return 125
    return int(result.get("StatusCode") or 0)


def run(ctx: Context, opts: Parsed) -> int:
    detach = bool(opts["detach"])
    stdin, stdout, stderr = attach_streams(opts, detach)
    if opts["tty"] and stdin and not is_terminal(ctx.stdin):
        raise CommandFailed(1, "the input device is not a TTY")
    container_id = create_container(ctx, opts, detach)
    if detach:
        _start_or_fail(ctx, container_id)
        ctx.out(container_id)
        return 0
    try:
        return attach_and_start(ctx, container_id, stdin=stdin, stdout=stdout, stderr=stderr,
                                tty=bool(opts["tty"]), auto_remove=bool(opts["rm"]),
                                sig_proxy=bool(opts["sig-proxy"]),
                                detach_keys=detach_keys_setting(str(opts["detach-keys"]),
                                                                ctx.env))
    except WharfError as exc:
        raise _run_failure(ctx, exc) from exc


def _start_or_fail(ctx: Context, container_id: str) -> None:
    try:
        ctx.client().containers.start(container_id)
    except WharfError as exc:
        raise _run_failure(ctx, exc) from exc


def _run_failure(ctx: Context, exc: WharfError) -> CommandFailed:
    return CommandFailed(exit_code_for_start_error(exc.message),
                         f"wharf: {describe_error(exc)}\n\n"
                         f"Run 'wharf {ctx.path} --help' for more information")


def create(ctx: Context, opts: Parsed) -> int:
    ctx.out(create_container(ctx, opts, detach=False))
    return 0


def start(ctx: Context, opts: Parsed) -> int:
    if not (opts["attach"] or opts["interactive"]):
        failed = []
        for ref in opts.args:
            try:
                ctx.client().containers.start(ref)
            except WharfError as exc:
                ctx.err(describe_error(exc))
                failed.append(ref)
                continue
            ctx.out(ref)
        if failed:
            raise CommandFailed(1, f"Error: failed to start containers: {', '.join(failed)}")
        return 0
    if len(opts.args) > 1:
        raise CommandFailed(1, "you cannot start and attach multiple containers at once")
    info = ctx.client().containers.inspect(opts.args[0])
    config = info.get("Config") or {}
    tty = bool(config.get("Tty"))
    stdin = bool(opts["interactive"] and config.get("OpenStdin"))
    return attach_and_start(ctx, str(info["Id"]), stdin=stdin, stdout=True, stderr=True,
                            tty=tty, auto_remove=bool((info.get("HostConfig") or {})
                                                      .get("AutoRemove")),
                            sig_proxy=not tty,
                            detach_keys=detach_keys_setting(str(opts["detach-keys"]), ctx.env))


def attach(ctx: Context, opts: Parsed) -> int:
    client = ctx.client()
    info = client.containers.inspect(opts.args[0])
    state = info.get("State") or {}
    if not state.get("Running"):
        raise CommandFailed(1, "You cannot attach to a stopped container, start it first")
    if state.get("Paused"):
        raise CommandFailed(1, "You cannot attach to a paused container, unpause it first")
    config = info.get("Config") or {}
    tty = bool(config.get("Tty"))
    stdin = bool(config.get("OpenStdin")) and not opts["no-stdin"]
    if tty and stdin and not is_terminal(ctx.stdin):
        raise CommandFailed(1, "the input device is not a TTY")
    container_id = str(info["Id"])
    detach_keys = detach_keys_setting(str(opts["detach-keys"]), ctx.env)
    stream = client.containers.attach(container_id, stdin=stdin, stdout=True, stderr=True,
                                      detach_keys=detach_keys or None)
    helper = side_client(client)
    session = StreamSession(stream, tty, ctx.stdin if stdin else None, ctx.stdout, ctx.stderr,
                            detach_keys=detach_keys)
    with raw_terminal(ctx.stdin, tty and stdin), \
            follow_terminal_size(ctx.stdout, _resizer(helper, container_id), tty), \
            proxy_signals(_killer(helper, container_id), bool(opts["sig-proxy"]) and not tty):
        session.run()
    stream.close()
    if session.detached:
        raise CommandFailed(1, DETACHED_MESSAGE)
    final = client.containers.inspect(container_id).get("State") or {}
    return 0 if final.get("Running") else int(final.get("ExitCode") or 0)


RUN = Command("[OPTIONS] IMAGE [COMMAND] [ARG...]",
              "Create and run a new container from an image", run,
              CREATE_FLAGS + RUN_ONLY_FLAGS, min_args=1, interspersed=False,
              run_style_errors=True)
CREATE = Command("[OPTIONS] IMAGE [COMMAND] [ARG...]", "Create a new container", create,
                 CREATE_FLAGS, min_args=1, interspersed=False)
START = Command(
    "[OPTIONS] CONTAINER [CONTAINER...]", "Start one or more stopped containers", start,
    (Flag("attach", "a", BOOL, "Attach STDOUT/STDERR and forward signals"),
     Flag("detach-keys", "", STRING, "Override the key sequence for detaching a container"),
     Flag("interactive", "i", BOOL, "Attach container's STDIN")),
    min_args=1)
ATTACH = Command(
    "[OPTIONS] CONTAINER", "Attach local standard input, output, and error streams to a "
                           "running container", attach,
    (Flag("detach-keys", "", STRING, "Override the key sequence for detaching a container"),
     Flag("no-stdin", "", BOOL, "Do not attach STDIN"),
     Flag("sig-proxy", "", BOOL, "Proxy all received signals to the process", default=True)),
    min_args=1, max_args=1)
