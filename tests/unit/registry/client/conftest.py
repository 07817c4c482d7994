from __future__ import annotations

from collections.abc import Iterator

import pytest

from wharf.registry.client import RegistryClient, RegistryConfig


@pytest.fixture
def client() -> Iterator[RegistryClient]:
    made = RegistryClient(RegistryConfig(connect_timeout=2.0, read_timeout=2.0))
    yield made
    made.close()
