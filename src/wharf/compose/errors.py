"""The one error type of compose loading, so the CLI reports every problem the same way."""

from __future__ import annotations


class ComposeError(ValueError):
    """A compose file problem; ``str()`` names the file, service and field where known."""


def where(file: str | None, path: str) -> str:
    """``file: services.web.ports`` prefix, file omitted when unknown (merged model)."""
    parts = [p for p in (file, path) if p]
    return ": ".join(parts)
