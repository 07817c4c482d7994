"""The CLI's ``wharf`` fixture (in-process, against the fake engine) for the volume commands."""

from __future__ import annotations

from tests.unit.cli.conftest import engine, fake, wharf

__all__ = ["engine", "fake", "wharf"]
