"""Fixtures of the distribution interop tests: real registries, generated images, and the two
engines a test can drive with the stock docker CLI.

- ``image``: the deterministic multi-layer test image (``tests/support/imagegen.py``), one per
  module, as an OCI layout.
- ``cncf``, ``cncf_htpasswd``, ``cncf_token``, ``wharf_reg``, ``wharf_reg_htpasswd``: one
  registry each per module (``tests/support/registries.py``); ``any_registry`` is parametrized
  over all of them.
- ``dockerd``: Debian's dockerd on its own data root, exec root, socket and bridge (the
  reference for Docker's behaviour); ``wharfd`` comes from ``tests/compat/conftest.py``.
  ``engine`` is parametrized over both, so a behaviour is checked against Docker and wharf
  with the same test.
- ``docker_config``: a private ``DOCKER_CONFIG`` (logins never reach ``~/.docker``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemons import Daemon, dockerd_running
from tests.support.imagegen import GeneratedImage, generate_image
from tests.support.registries import (
    Registry,
    cncf_registry,
    push_with_skopeo,
    skopeo_copy,
    skopeo_inspect,
    wharf_registry,
)
from tests.support.scratch import scratch_dir

REGISTRY_KINDS = ["cncf", "cncf_htpasswd", "cncf_token", "wharf_reg", "wharf_reg_htpasswd"]


@pytest.fixture(scope="module")
def dist_tmp() -> Iterator[Path]:
    with scratch_dir("wharf-dist-") as tmp:
        yield tmp


@pytest.fixture(scope="module")
def image(dist_tmp: Path) -> GeneratedImage:
    return generate_image(dist_tmp / "image", f"interop-{uuid.uuid4().hex[:8]}", 24)


@pytest.fixture(scope="module")
def cncf(dist_tmp: Path) -> Iterator[Registry]:
    with cncf_registry(dist_tmp / "cncf", "none") as registry:
        yield registry


@pytest.fixture(scope="module")
def cncf_htpasswd(dist_tmp: Path) -> Iterator[Registry]:
    with cncf_registry(dist_tmp / "cncf-htpasswd", "htpasswd") as registry:
        yield registry


@pytest.fixture(scope="module")
def cncf_token(dist_tmp: Path) -> Iterator[Registry]:
    with cncf_registry(dist_tmp / "cncf-token", "token") as registry:
        yield registry


@pytest.fixture(scope="module")
def wharf_reg(dist_tmp: Path) -> Iterator[Registry]:
    with wharf_registry(dist_tmp / "wharf-reg") as registry:
        yield registry


@pytest.fixture(scope="module")
def wharf_reg_htpasswd(dist_tmp: Path) -> Iterator[Registry]:
    with wharf_registry(dist_tmp / "wharf-reg-htpasswd", htpasswd=True) as registry:
        yield registry


@pytest.fixture(params=REGISTRY_KINDS)
def any_registry(request: pytest.FixtureRequest) -> Registry:
    registry = request.getfixturevalue(request.param)
    assert isinstance(registry, Registry)
    return registry


@pytest.fixture(scope="module")
def dockerd(dist_tmp: Path) -> Iterator[Daemon]:
    if shutil.which("dockerd") is None:
        pytest.skip("dockerd is not installed (apt-get install docker.io)")
    with dockerd_running(dist_tmp / "dockerd", {}) as daemon:
        yield daemon


@pytest.fixture(params=["dockerd", "wharfd"])
def engine(request: pytest.FixtureRequest) -> Daemon:
    daemon = request.getfixturevalue(request.param)
    assert isinstance(daemon, Daemon)
    return daemon


@pytest.fixture
def docker_config(tmp_path: Path) -> Path:
    config = tmp_path / "docker-config"
    config.mkdir()
    return config


def docker(daemon: Daemon, config: Path, *args: str, check: bool = True,
           timeout: float = 300, stdin: bytes | None = None,
           ) -> subprocess.CompletedProcess[bytes]:
    """The stock docker CLI against ``daemon`` with the private client config ``config``."""
    return daemon.docker("--config", str(config), *args, check=check, timeout=timeout,
                         stdin=stdin)


def login(daemon: Daemon, config: Path, registry: Registry) -> None:
    """``docker login`` when the registry needs credentials (the password on stdin)."""
    if registry.username is None or registry.password is None:
        return
    docker(daemon, config, "login", "-u", registry.username, "--password-stdin",
           registry.host, stdin=registry.password.encode())


def assert_runs_and_is_current(daemon: Daemon, config: Path, ref: str,
                               image: GeneratedImage) -> None:
    """The pulled ``ref`` runs with ``image``'s exact rootfs, and pulling it again finds it
    up to date."""
    checked = docker(daemon, config, "run", "--rm", "--network", "none", ref,
                     "sh", "-c", image.check_script())
    assert checked.stdout.decode().strip() == "rootfs ok"
    again = docker(daemon, config, "pull", ref).stdout.decode()
    assert f"Status: Image is up to date for {ref}" in again


def assert_skopeo_round_trip(tmp: Path, registry: Registry, image: GeneratedImage, repo: str,
                             out: Path) -> str:
    """skopeo pushes ``image`` to ``repo:v1``: the registry holds its exact manifest under that
    one tag, skopeo inspects it, and copies every blob back byte for byte into the OCI layout
    ``out``. The pushed reference."""
    ref = push_with_skopeo(tmp, registry, image.oci_ref, repo, "v1")
    assert registry.manifest(repo, "v1") == (image.manifest_digest, image.manifest)
    assert registry.tags(repo) == ["v1"]
    inspected = json.loads(skopeo_inspect(tmp, f"docker://{ref}", creds=registry.creds))
    assert inspected["Digest"] == image.manifest_digest
    assert inspected["Layers"] == image.layer_digests
    skopeo_copy(tmp, f"docker://{ref}", f"oci:{out}:v1", src_creds=registry.creds)
    for digest in [*image.layer_digests, image.config_digest, image.manifest_digest]:
        copied = out / "blobs/sha256" / digest.removeprefix("sha256:")
        assert copied.read_bytes() == image.blob(digest).read_bytes(), digest
    return ref
