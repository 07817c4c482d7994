"""What every ``wharf compose`` subcommand shares: the compose global flags, loading the
project they name, and finding the project's containers through Compose's labels."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wharf.cli.command import CommandFailed, Context
from wharf.cli.flags import LIST, STRING, Flag, Parsed

if TYPE_CHECKING:
    from wharf.compose.createbody import Meta
    from wharf.compose.model import Project

Container = dict[str, Any]
COMPOSE_FLAGS = (
    Flag("file", "f", LIST, "Compose configuration files"),
    Flag("project-name", "p", STRING, "Project name"),
    Flag("project-directory", "", STRING, "Specify an alternate working directory (default: "
                                          "the path of the, first specified, Compose file)"),
    Flag("profile", "", LIST, "Specify a profile to enable"),
    Flag("env-file", "", LIST, "Specify an alternate environment file"),
    Flag("ansi", "", STRING, 'Control when to print ANSI control characters ("never"|"always"'
                             '|"auto")', default="auto"),
    Flag("progress", "", STRING, 'Set type of progress output ("auto", "tty", "plain", '
                                 '"quiet")', default="auto"),
)


@dataclass(frozen=True)
class ComposeOptions:
    """The compose global flags of one invocation."""

    files: list[str] = field(default_factory=list)
    project_name: str = ""
    project_directory: str = ""
    profiles: list[str] = field(default_factory=list)
    env_files: list[str] = field(default_factory=list)
    ansi: str = "auto"
    progress: str = "auto"


_OPTIONS: dict[int, ComposeOptions] = {}


def remember_options(ctx: Context, opts: Parsed) -> None:
    """Called by the ``compose`` dispatcher before it runs the subcommand."""
    _OPTIONS[id(ctx)] = ComposeOptions(
        files=[str(f) for f in opts["file"]], project_name=str(opts["project-name"]),
        project_directory=str(opts["project-directory"]),
        profiles=[str(p) for p in opts["profile"]],
        env_files=[str(f) for f in opts["env-file"]], ansi=str(opts["ansi"]),
        progress=str(opts["progress"]))


def options(ctx: Context) -> ComposeOptions:
    return _OPTIONS.get(id(ctx)) or ComposeOptions()


def _environ(ctx: Context, opts: ComposeOptions) -> dict[str, str]:
    """The process environment over the ``--env-file`` files (the project's ``.env`` when none
    is named is read by the loader)."""
    from wharf.compose.envfile import load_env_file

    merged: dict[str, str] = {}
    for name in opts.env_files:
        path = Path(name)
        if not path.is_file():
            raise CommandFailed(1, f"couldn't find env file: {path.resolve()}")
        merged.update(load_env_file(path, ctx.env))
    return {**merged, **ctx.env}


def config_files(ctx: Context) -> list[Path]:
    from wharf.compose.discover import default_files
    from wharf.compose.errors import ComposeError

    opts = options(ctx)
    if opts.files:
        return [Path(f) for f in opts.files]
    try:
        return default_files(Path.cwd(), ctx.env)
    except ComposeError as err:
        raise CommandFailed(1, str(err)) from None


def load_project(ctx: Context) -> Project:
    """The project the flags name, its paths absolute; a ``ComposeError`` becomes the message
    and exit status 1, as docker compose prints it (file, service and field named)."""
    return load_for_engine(ctx)[0]


def active_profiles(ctx: Context) -> list[str]:
    from wharf.compose.profiles import parse_profiles_env

    return options(ctx).profiles or parse_profiles_env(ctx.env.get("COMPOSE_PROFILES"))


def explicit_project_name(ctx: Context) -> str:
    """``-p``, else ``COMPOSE_PROJECT_NAME`` ("" when neither is given)."""
    return options(ctx).project_name or ctx.env.get("COMPOSE_PROJECT_NAME", "")


def project_containers(ctx: Context, project: str, services: list[str] | None = None,
                       all_: bool = False, oneoff: bool | None = False) -> list[Container]:
    """The project's containers (of ``services`` when given; ``oneoff=None``: ``run``'s too),
    sorted by service and number. Each is checked against its labels as well: an engine must
    match all the label filters of a list (dockerd does), and the answer is only trusted that
    far."""
    from wharf.compose.labels import project_filters

    found = ctx.client().containers.list(all_=all_, filters=project_filters(project,
                                                                            oneoff=oneoff))
    wanted = set(services or [])
    chosen = [c for c in found if _belongs(c, project, oneoff)
              and (not wanted or service_of(c) in wanted)]
    return sorted(chosen, key=lambda c: (service_of(c), number_of(c)))


def _belongs(container: Container, project: str, oneoff: bool | None) -> bool:
    from wharf.compose.labels import ONEOFF, PROJECT

    labels = container.get("Labels") or {}
    if labels.get(PROJECT) != project:
        return False
    return oneoff is None or labels.get(ONEOFF, "False") == ("True" if oneoff else "False")


def orphans_warning(names: list[str]) -> str:
    """Compose's warning about containers of the project whose service is not in the file."""
    return (f"Found orphan containers ([{' '.join(names)}]) for this project. If you removed "
            "or renamed this service in your compose file, you can run this command with the "
            "--remove-orphans flag to clean it up.")


def name_of(container: Container) -> str:
    """The container's name without the leading ``/``."""
    names = container.get("Names") or [""]
    return str(names[0]).lstrip("/")


def service_of(container: Container) -> str:
    from wharf.compose.labels import SERVICE

    return str((container.get("Labels") or {}).get(SERVICE, ""))


def number_of(container: Container) -> int:
    from wharf.compose.labels import NUMBER

    text = str((container.get("Labels") or {}).get(NUMBER, "0") or "0")
    return int(text) if text.isdigit() else 0


def load_for_engine(ctx: Context) -> tuple[Project, Meta]:
    """The project and what creating its containers needs beyond it (its environment for
    ``environment: [VAR]``, working directory and files for Compose's labels); a
    ``ComposeError`` becomes its message and exit status 1; the loader's warnings are
    compose's ``WARN[0000]`` lines."""
    from wharf.compose.createbody import Meta
    from wharf.compose.errors import ComposeError
    from wharf.compose.loader import load
    from wharf.compose.model import from_loaded

    opts = options(ctx)
    files = config_files(ctx)
    try:
        loaded = load(files, opts.project_name or None, _environ(ctx, opts),
                      lambda text: ctx.err(f"WARN[0000] {text}"))
        if opts.project_directory:
            loaded.project_dir = Path(opts.project_directory)
        project = from_loaded(loaded)
    except ComposeError as err:
        raise CommandFailed(1, str(err)) from None
    meta = Meta(str(loaded.project_dir.resolve()), [str(f.resolve()) for f in files],
                dict(loaded.env))
    return project, meta


def table_or_json(ctx: Context, format_text: str, rows: object, lines: list[str]) -> None:
    """Compose's ``--format`` of ``ls`` and ``images``: ``table`` (the default) as aligned
    ``lines``, ``json`` the ``rows`` on one line; anything else refused."""
    from wharf.cli.formatting import align
    from wharf.lib.jsoncodec import dumps

    if format_text == "json":
        ctx.out(dumps(rows, separators=(",", ":")))
    elif format_text in ("", "table"):
        for line in align(lines, min_width=20):
            ctx.out(line)
    else:
        raise CommandFailed(1, f"format value {format_text!r} could not be parsed: "
                               "Values: [table | json]")
