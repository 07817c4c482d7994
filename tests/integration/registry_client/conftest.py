from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.registry_client.cncf import REGISTRY_BINARY, TokenIssuer, start_registry

from wharf.registry.client import RegistryClient, RegistryConfig


@pytest.fixture(autouse=True)
def _needs_registry() -> None:
    if shutil.which(REGISTRY_BINARY) is None:
        pytest.skip("docker-registry is not installed (scripts/setup.sh test)")


@pytest.fixture
def client() -> Iterator[RegistryClient]:
    made = RegistryClient(RegistryConfig(connect_timeout=5.0, read_timeout=20.0))
    yield made
    made.close()


@pytest.fixture
def plain_registry(tmp_path: Path) -> Iterator[str]:
    with start_registry(tmp_path) as host:
        yield host


@pytest.fixture
def htpasswd_registry(tmp_path: Path) -> Iterator[str]:
    with start_registry(tmp_path, "htpasswd") as host:
        yield host


@pytest.fixture
def token_issuer(tmp_path: Path) -> Iterator[TokenIssuer]:
    with TokenIssuer(tmp_path).serving() as issuer:
        yield issuer


@pytest.fixture
def token_registry(tmp_path: Path, token_issuer: TokenIssuer) -> Iterator[str]:
    with start_registry(tmp_path, "token", token_issuer) as host:
        yield host
