"""``wharf build`` (docker's classic ``build``).

The context tar is made here (``cli.build_context``: ``.dockerignore`` applied, ``-f``
inside or outside the context, ``-f -``, ``--secret`` files carried), sent to ``POST /build``
with every stored registry credential in ``X-Registry-Config`` (as docker), and the daemon's
messages shown (``cli.build_view``). A failed RUN's exit code is the command's, as docker's.
Flags the daemon's builder does not implement are refused (exit 125), never dropped.
"""

from __future__ import annotations

from wharf.cli.command import Command, CommandFailed, Context
from wharf.cli.flags import BOOL, INT, LIST, STRING, Flag, Parsed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import Any

    from wharf.client.build import BuildParams

_REFUSED = {  # flag → why
    "cgroup-parent": "--cgroup-parent is not supported by wharf's builder yet",
    "cpuset-cpus": "--cpuset-cpus is not supported by wharf's builder yet",
    "cpuset-mems": "--cpuset-mems is not supported by wharf's builder yet",
    "security-opt": "--security-opt: security options are not supported on linux",
    "ulimit": "--ulimit is not supported by wharf's builder yet",
}


def build(ctx: Context, opts: Parsed) -> int:
    from wharf.cli.build_context import make_context
    from wharf.cli.build_secrets import parse_secret

    _refuse_unsupported(opts)
    params = _params(ctx, opts)
    quiet, iidfile = bool(opts["quiet"]), str(opts["iidfile"])
    if iidfile:
        _remove_quietly(iidfile)
    secrets = [parse_secret(spec) for spec in opts["secret"]]
    tar = make_context(opts.args[0], str(opts["file"]), ctx.stdin, secrets, ctx.env,
                       bool(opts["compress"]))
    try:
        params.dockerfile = tar.dockerfile if tar.dockerfile != "Dockerfile" else ""
        params.secrets = tar.secrets
        if not quiet:
            from wharf.core.units import human_size

            ctx.out(f"Sending build context to Docker daemon  {human_size(tar.size, 4)}")
        messages = _with_exit_codes(ctx.client().build.build(tar.chunks(), params))
        image_id = _show(ctx, messages, quiet)
    finally:
        tar.close()
    if iidfile:
        _write_iidfile(iidfile, image_id)
    return 0


def _refuse_unsupported(opts: Parsed) -> None:
    for flag, why in _REFUSED.items():
        if opts[flag]:
            raise CommandFailed(125, why)
    if str(opts["isolation"]).lower() not in ("", "default"):
        raise CommandFailed(125, f'isolation "{opts["isolation"]}" is not supported on linux')
    if not opts["disable-content-trust"]:
        raise CommandFailed(125, "content trust is not supported by wharf: use "
                                 "--disable-content-trust=true")


def _params(ctx: Context, opts: Parsed) -> BuildParams:
    from wharf.cli.extrahosts import parse_extra_host
    from wharf.cli.runconfig import key_value_map, parse_bytes
    from wharf.client.build import BuildParams

    def size(flag: str, shown: str) -> int:
        value = str(opts[flag])
        if flag == "memory-swap" and value == "-1":
            return -1
        return parse_bytes(value, shown) if value else 0

    return BuildParams(
        tags=[_checked_tag(tag) for tag in opts["tag"]],
        build_args=_build_args(opts["build-arg"], ctx.env), labels=key_value_map(opts["label"]),
        quiet=bool(opts["quiet"]), no_cache=bool(opts["no-cache"]), pull=bool(opts["pull"]),
        remove=bool(opts["rm"]), force_remove=bool(opts["force-rm"]),
        target=str(opts["target"]), network_mode=str(opts["network"]),
        extra_hosts=[parse_extra_host(value) for value in opts["add-host"]],
        cache_from=list(opts["cache-from"]),
        platform=str(opts["platform"]).lower(), squash=bool(opts["squash"]),
        memory=size("memory", "-m, --memory"), memory_swap=size("memory-swap", "--memory-swap"),
        shm_size=size("shm-size", "--shm-size"), cpu_shares=int(opts["cpu-shares"]),
        cpu_quota=int(opts["cpu-quota"]), cpu_period=int(opts["cpu-period"]),
        volumes=list(opts["volume"]), registry_config=_registry_config(ctx))


def _checked_tag(tag: str) -> str:
    from wharf.core.errors import InvalidParameter
    from wharf.core.reference import parse_reference

    try:
        parse_reference(tag)
    except InvalidParameter as exc:
        raise CommandFailed(125, f'invalid argument "{tag}" for "-t, --tag" flag: {exc}')\
            from exc
    return tag


def _build_args(values: Iterable[str], env: Any) -> dict[str, str | None]:
    """``KEY=VALUE``; a bare ``KEY`` takes the environment's value, or null when unset
    (the daemon then warns that it was not consumed, as docker)."""
    args: dict[str, str | None] = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not key:
            raise CommandFailed(125, f'invalid argument "{value}" for "--build-arg" flag: '
                                     f"invalid environment variable: {value}")
        args[key] = text if sep else env.get(key)
    return args


def _registry_config(ctx: Context) -> str:
    """Every stored credential (docker's ``GetAllCredentials``), base64url JSON."""
    import base64
    import json

    from wharf.cli.credentials import ConfigFile

    try:
        config = ConfigFile.load(ctx.env)
        auths = {key: config.get(key).auth_config() for key in list(config.auths())}
    except CommandFailed as exc:  # docker warns about a broken config and goes on
        ctx.err(f"WARNING: Error {exc.message}")
        return ""
    shown = {key: value for key, value in auths.items() if value.get("username")
             or value.get("identitytoken")}
    if not shown:
        return ""
    return base64.urlsafe_b64encode(json.dumps(shown).encode()).decode("ascii")


def _with_exit_codes(messages: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """An error message with a code (a failed RUN's exit code) ends the command with that
    status, as docker's ``JSONError``."""
    for message in messages:
        detail = message.get("errorDetail") if isinstance(message, dict) else None
        if isinstance(detail, dict):
            code = detail.get("code")
            if isinstance(code, int) and code > 0:
                raise CommandFailed(code, str(detail.get("message") or message.get("error")))
        yield message


def _show(ctx: Context, messages: Iterator[dict[str, Any]], quiet: bool) -> str:
    """Show the stream; the image ID (from ``aux``, or the quiet build's one line)."""
    from wharf.cli.progress import display_messages, drain_messages
    from wharf.cli.session import is_terminal

    found: list[str] = []

    def on_aux(message: dict[str, Any]) -> None:
        aux = message.get("aux")
        if isinstance(aux, dict) and isinstance(aux.get("ID"), str):
            found.append(aux["ID"])

    if quiet:
        lines: list[str] = []
        try:
            drain_messages(_collect_stream(messages, lines), on_aux)
        except CommandFailed:  # docker shows what was held back, on stderr
            ctx.stderr.write("".join(lines).encode())
            raise
        text = "".join(lines)
        ctx.stdout.write(text.encode())
        return text.strip() or (found[-1] if found else "")
    if is_terminal(ctx.stdout):
        _show_compact(ctx, messages, on_aux)
    else:
        display_messages(messages, ctx.stdout, False, on_aux)
    return found[-1] if found else ""


def _collect_stream(messages: Iterable[dict[str, Any]],
                    lines: list[str]) -> Iterator[dict[str, Any]]:
    for message in messages:
        if message.get("stream"):
            lines.append(str(message["stream"]))
        yield message


def _show_compact(ctx: Context, messages: Iterator[dict[str, Any]], on_aux: Any) -> None:
    from wharf.cli.build_rich import CompactBuildView
    from wharf.cli.progress import drain_messages

    view = CompactBuildView(ctx.stdout)

    def shown(stream: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for message in stream:
            if "aux" not in message:
                view.show(message)
            yield message

    try:
        drain_messages(shown(messages), on_aux)
    except BaseException:
        view.fail()
        raise
    finally:
        view.close()


def _remove_quietly(path: str) -> None:
    import os

    try:
        os.remove(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise CommandFailed(1, f"Removing image ID file: {exc}") from exc


def _write_iidfile(path: str, image_id: str) -> None:
    if not image_id:
        raise CommandFailed(1, f"Server did not provide an image ID. Cannot write {path}")
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(image_id)
    except OSError as exc:
        raise CommandFailed(1, f"Cannot write {path}: {exc}") from exc


BUILD = Command(
    "[OPTIONS] PATH | URL | -", "Build an image from a Dockerfile", build,
    (Flag("add-host", "", LIST, "Add a custom host-to-IP mapping (\"host:ip\")"),
     Flag("build-arg", "", LIST, "Set build-time variables"),
     Flag("cache-from", "", LIST, "Images to consider as cache sources", type_name="strings"),
     Flag("cgroup-parent", "", STRING, "Set the parent cgroup for the \"RUN\" instructions "
                                       "during build"),
     Flag("compress", "", BOOL, "Compress the build context using gzip"),
     Flag("cpu-period", "", INT, "Limit the CPU CFS (Completely Fair Scheduler) period"),
     Flag("cpu-quota", "", INT, "Limit the CPU CFS (Completely Fair Scheduler) quota"),
     Flag("cpu-shares", "c", INT, "CPU shares (relative weight)"),
     Flag("cpuset-cpus", "", STRING, "CPUs in which to allow execution (0-3, 0,1)"),
     Flag("cpuset-mems", "", STRING, "MEMs in which to allow execution (0-3, 0,1)"),
     Flag("disable-content-trust", "", BOOL, "Skip image verification", default=True),
     Flag("file", "f", STRING, "Name of the Dockerfile (Default is \"PATH/Dockerfile\")"),
     Flag("force-rm", "", BOOL, "Always remove intermediate containers"),
     Flag("iidfile", "", STRING, "Write the image ID to the file"),
     Flag("isolation", "", STRING, "Container isolation technology"),
     Flag("label", "", LIST, "Set metadata for an image"),
     Flag("memory", "m", STRING, "Memory limit", type_name="bytes"),
     Flag("memory-swap", "", STRING, "Swap limit equal to memory plus swap: -1 to enable "
                                     "unlimited swap", type_name="bytes"),
     Flag("network", "", STRING, "Set the networking mode for the RUN instructions during "
                                 "build", default="default"),
     Flag("no-cache", "", BOOL, "Do not use cache when building the image"),
     Flag("platform", "", STRING, "Set platform if server is multi-platform capable"),
     Flag("pull", "", BOOL, "Always attempt to pull a newer version of the image"),
     Flag("quiet", "q", BOOL, "Suppress the build output and print image ID on success"),
     Flag("rm", "", BOOL, "Remove intermediate containers after a successful build",
          default=True),
     Flag("secret", "", LIST, "Secret to expose to the build (id=mysecret[,src=/local/secret])"
          " for RUN --mount=type=secret", type_name="stringArray"),
     Flag("security-opt", "", LIST, "Security options", type_name="strings"),
     Flag("shm-size", "", STRING, "Size of /dev/shm", type_name="bytes"),
     Flag("squash", "", BOOL, "Squash newly built layers into a single new layer"),
     Flag("tag", "t", LIST, "Name and optionally a tag in the \"name:tag\" format"),
     Flag("target", "", STRING, "Set the target build stage to build."),
     Flag("ulimit", "", LIST, "Ulimit options", type_name="ulimit"),
     Flag("volume", "v", LIST, "Bind mount a host directory into every RUN "
                               "(/host:/container[:ro])")),
    min_args=1, max_args=1)
