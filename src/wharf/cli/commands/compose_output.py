"""Compose's progress lines: `` ✔ Container p-web-1  Started`` on a terminal, plain
``Container p-web-1  Started`` lines otherwise (``--progress plain``, pipes), on stderr as
docker compose writes them; ``--progress quiet`` shows nothing."""

from __future__ import annotations

from wharf.cli.command import CommandFailed, Context


class Progress:
    def __init__(self, ctx: Context) -> None:
        from wharf.cli.commands.compose_common import options
        from wharf.cli.session import is_terminal

        opts = options(ctx)
        mode = opts.progress
        if mode not in ("auto", "tty", "plain", "quiet"):
            raise CommandFailed(1, f"unsupported --progress value {mode!r}: "
                                   '"auto", "tty", "plain" or "quiet"')
        self.ctx = ctx
        self.quiet = mode == "quiet"
        auto = mode == "auto" and opts.ansi != "never"
        self.tty = mode == "tty" or opts.ansi == "always" or (auto and is_terminal(ctx.stderr))

    def done(self, kind: str, name: str, status: str, ok: bool = True) -> None:
        """One finished step: ``kind`` (Network, Volume, Container, Image), its name, what
        happened (Created, Started, Removed, ...)."""
        if self.quiet:
            return
        mark = "✔" if ok else "✘"
        self.ctx.err(f" {mark} {kind} {name}  {status}" if self.tty else f"{kind} {name}  {status}")

    def warn(self, text: str) -> None:
        self.ctx.err(f"WARN[0000] {text}")
