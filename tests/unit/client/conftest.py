from __future__ import annotations

from tests.support.engine_fixtures import engine, fake

__all__ = ["engine", "fake"]
