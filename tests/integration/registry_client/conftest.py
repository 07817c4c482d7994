from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.registries import REGISTRY_BIN, Registry, cncf_registry
from tests.support.token_issuer import TokenIssuer

from wharf.registry.client import RegistryClient, RegistryConfig


@pytest.fixture(autouse=True)
def _needs_registry() -> None:
    if shutil.which(REGISTRY_BIN) is None:
        pytest.skip("docker-registry is not installed (scripts/setup.sh test)")


@pytest.fixture
def client() -> Iterator[RegistryClient]:
    made = RegistryClient(RegistryConfig(connect_timeout=5.0, read_timeout=20.0))
    yield made
    made.close()


@pytest.fixture
def plain_registry(tmp_path: Path) -> Iterator[str]:
    with cncf_registry(tmp_path) as registry:
        yield registry.host


@pytest.fixture
def htpasswd_registry(tmp_path: Path) -> Iterator[str]:
    with cncf_registry(tmp_path, "htpasswd") as registry:
        yield registry.host


@pytest.fixture
def token_cncf(tmp_path: Path) -> Iterator[Registry]:
    with cncf_registry(tmp_path, "token") as registry:
        yield registry


@pytest.fixture
def token_issuer(token_cncf: Registry) -> TokenIssuer:
    assert token_cncf.issuer is not None
    return token_cncf.issuer


@pytest.fixture
def token_registry(token_cncf: Registry) -> str:
    return token_cncf.host
