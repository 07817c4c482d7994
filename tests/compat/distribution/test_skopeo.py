"""skopeo against wharf: it copies images into wharf's registry and out again byte for byte,
an engine loads the docker-archive skopeo writes, and skopeo reads the archive an engine saves.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.compat.distribution.conftest import assert_skopeo_round_trip, docker
from tests.support.daemons import VENV_BIN, Daemon
from tests.support.imagegen import GeneratedImage
from tests.support.registries import (
    Registry,
    push_with_skopeo,
    skopeo,
    skopeo_copy,
    skopeo_inspect,
)


@pytest.mark.parametrize("mode", ["wharf_reg", "wharf_reg_htpasswd"])
def test_skopeo_copies_into_wharfs_registry_and_out(request: pytest.FixtureRequest,
                                                    tmp_path: Path, image: GeneratedImage,
                                                    mode: str) -> None:
    registry: Registry = request.getfixturevalue(mode)
    repo = f"skopeo/img-{uuid.uuid4().hex[:8]}"
    assert_skopeo_round_trip(tmp_path, registry, image, repo, tmp_path / "out")
    by_digest = f"docker://{registry.host}/{repo}@{image.manifest_digest}"
    raw = skopeo_inspect(tmp_path, by_digest, creds=registry.creds, raw=True)
    assert raw == image.manifest


def test_skopeo_copies_from_the_cncf_registry_to_wharfs(tmp_path: Path, cncf: Registry,
                                                        wharf_reg: Registry,
                                                        image: GeneratedImage) -> None:
    repo = f"skopeo/relay-{uuid.uuid4().hex[:8]}"
    source = push_with_skopeo(tmp_path, cncf, image.oci_ref, repo, "v1")
    skopeo_copy(tmp_path, f"docker://{source}", f"docker://{wharf_reg.host}/{repo}:v1")
    assert wharf_reg.manifest(repo, "v1") == (image.manifest_digest, image.manifest)


def test_engine_loads_the_docker_archive_skopeo_wrote(engine: Daemon, docker_config: Path,
                                                      tmp_path: Path,
                                                      image: GeneratedImage) -> None:
    ref = f"skopeo/archived-{uuid.uuid4().hex[:8]}:v1"
    archive = tmp_path / "image.tar"
    skopeo_copy(tmp_path, image.oci_ref, f"docker-archive:{archive}:{ref}")
    try:
        out = docker(engine, docker_config, "load", "-i", str(archive)).stdout.decode()
        assert f"Loaded image: {ref}" in out
        inspected = json.loads(docker(engine, docker_config, "image", "inspect", ref).stdout)[0]
        assert inspected["Id"] == image.config_digest
        assert inspected["RootFS"]["Layers"] == image.diff_ids
        checked = docker(engine, docker_config, "run", "--rm", "--network", "none", ref,
                         "sh", "-c", image.check_script())
        assert checked.stdout.decode().strip() == "rootfs ok"
    finally:
        docker(engine, docker_config, "rmi", "-f", ref, check=False)


def check_saved_archive(tmp_path: Path, archive: Path, image: GeneratedImage) -> None:
    config = json.loads(skopeo(tmp_path, "inspect", "--config",
                               f"docker-archive:{archive}").stdout)
    assert config["rootfs"]["diff_ids"] == image.diff_ids
    seed = json.loads(image.blob(image.config_digest).read_bytes())["config"]["Labels"]
    assert config["config"]["Labels"] == seed
    inspected = json.loads(skopeo(tmp_path, "inspect", f"docker-archive:{archive}").stdout)
    assert len(inspected["Layers"]) == len(image.diff_ids)
    skopeo_copy(tmp_path, f"docker-archive:{archive}", f"oci:{tmp_path / 'resaved'}:v1")


def test_skopeo_reads_the_archive_the_engine_saved(engine: Daemon, docker_config: Path,
                                                   tmp_path: Path, cncf: Registry,
                                                   image: GeneratedImage) -> None:
    ref = push_with_skopeo(tmp_path, cncf, image.oci_ref, f"skopeo/s-{uuid.uuid4().hex[:8]}")
    archive = tmp_path / "saved.tar"
    try:
        docker(engine, docker_config, "pull", ref)
        docker(engine, docker_config, "save", "-o", str(archive), ref)
        check_saved_archive(tmp_path, archive, image)
    finally:
        docker(engine, docker_config, "rmi", "-f", ref, check=False)


def test_skopeo_reads_what_wharf_save_wrote(wharfd: Daemon, docker_config: Path,
                                            tmp_path: Path, image: GeneratedImage) -> None:
    """The same through wharf's own CLI: ``wharf load -i`` and ``wharf save -o``."""
    ref = f"skopeo/wharf-cli-{uuid.uuid4().hex[:8]}:v1"
    skopeo_copy(tmp_path, image.oci_ref, f"docker-archive:{tmp_path / 'in.tar'}:{ref}")
    wharf = [str(VENV_BIN / "wharf")]
    env = wharfd.docker_env()
    try:
        subprocess.run([*wharf, "load", "-i", str(tmp_path / "in.tar")], env=env, check=True,
                       capture_output=True, timeout=300)
        subprocess.run([*wharf, "save", "-o", str(tmp_path / "out.tar"), ref], env=env,
                       check=True, capture_output=True, timeout=300)
        check_saved_archive(tmp_path, tmp_path / "out.tar", image)
    finally:
        docker(wharfd, docker_config, "rmi", "-f", ref, check=False)
