"""A real wharfd per module with busybox imported (``tests.support.daemon_fixtures``)."""

from __future__ import annotations

from tests.support.daemon_fixtures import wharfd

__all__ = ["wharfd"]
