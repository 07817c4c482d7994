"""A real wharfd (subprocess, temp data root and socket) with busybox imported."""

from __future__ import annotations

from tests.support.daemon_fixtures import wharfd

__all__ = ["wharfd"]
