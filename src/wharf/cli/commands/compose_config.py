"""``wharf compose config``: the normalised model (:mod:`wharf.compose.render`) as YAML or
JSON, or only the service / volume names; ``-q`` only checks. A field wharf does not support
is an error naming it, from the loader."""

from __future__ import annotations

from dataclasses import replace

from wharf.cli.command import Command, CommandFailed, Context
from wharf.cli.flags import BOOL, STRING, Flag, Parsed


def config(ctx: Context, opts: Parsed) -> int:
    import json

    import yaml

    from wharf.cli.commands.compose_common import active_profiles, load_for_engine
    from wharf.compose.profiles import active_services
    from wharf.compose.render import to_config

    fmt = str(opts["format"]) or "yaml"
    if fmt not in ("yaml", "json"):
        raise CommandFailed(1, f"unsupported format {fmt!r}: yaml or json")
    project, _meta = load_for_engine(ctx)
    active = set(active_services(project.services, active_profiles(ctx)))
    project = replace(project, services={n: s for n, s in project.services.items()
                                         if n in active})
    if opts["quiet"]:
        return 0
    if opts["services"] or opts["volumes"]:
        names = sorted(project.services) if opts["services"] else []
        names += sorted(project.volumes) if opts["volumes"] else []
        for name in names:
            ctx.out(name)
        return 0
    data = to_config(project)
    if fmt == "json":
        ctx.out(json.dumps(data, indent=4))
    else:
        ctx.out(yaml.safe_dump(data, sort_keys=False, default_flow_style=False,
                               allow_unicode=True), end="")
    return 0


CONFIG = Command("[OPTIONS]", "Parse, resolve and render compose file in canonical "
                                           "format", config, (
    Flag("format", "", STRING, 'Format the output. Values: [yaml | json]'),
    Flag("quiet", "q", BOOL, "Only validate the configuration, don't print anything"),
    Flag("services", "", BOOL, "Print the service names, one per line"),
    Flag("volumes", "", BOOL, "Print the volume names, one per line"),
), max_args=0)
