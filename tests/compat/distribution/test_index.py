"""Pulls of an OCI index (a multi-platform image) and of every tag, through the docker CLI.

The index names the generated linux/amd64 image and a linux/arm64 one (the same layers under a
config that says arm64: nothing runs it, the engines only select and store it). As Docker:
the default platform is the host's, ``--platform`` picks another, RepoDigests name the index
digest the tag resolved to, and ``pull --all-tags`` fetches every tag of a repository.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.compat.distribution.conftest import docker
from tests.support.daemons import Daemon
from tests.support.imagegen import (
    CONFIG_MEDIA_TYPE,
    MANIFEST_MEDIA_TYPE,
    GeneratedImage,
    write_blob,
)
from tests.support.registries import Registry, push_with_skopeo, skopeo_copy

INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json"


@dataclass(frozen=True)
class PlatformIndex:
    layout: Path
    index_digest: str
    configs: dict[str, str]        # architecture -> config digest


def descriptor(media_type: str, data: bytes, digest: str) -> dict[str, object]:
    return {"mediaType": media_type, "digest": digest, "size": len(data)}


def make_index(image: GeneratedImage, dest: Path) -> PlatformIndex:
    """A copy of ``image``'s layout whose ``latest`` is an index of amd64 and arm64."""
    skopeo_copy(dest.parent, image.oci_ref, f"oci:{dest}:single")
    config = json.loads(image.blob(image.config_digest).read_bytes())
    config["architecture"] = "arm64"
    arm_config = json.dumps(config, sort_keys=True).encode()
    arm_config_digest = write_blob(dest, arm_config)
    manifest = json.loads(image.manifest)
    manifest["config"] = descriptor(CONFIG_MEDIA_TYPE, arm_config, arm_config_digest)
    arm_manifest = json.dumps(manifest).encode()
    entries = [
        {**descriptor(MANIFEST_MEDIA_TYPE, image.manifest, image.manifest_digest),
         "platform": {"architecture": "amd64", "os": "linux"}},
        {**descriptor(MANIFEST_MEDIA_TYPE, arm_manifest, write_blob(dest, arm_manifest)),
         "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}},
    ]
    index = json.dumps({"schemaVersion": 2, "mediaType": INDEX_MEDIA_TYPE,
                        "manifests": entries}).encode()
    index_digest = write_blob(dest, index)
    (dest / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [{
        **descriptor(INDEX_MEDIA_TYPE, index, index_digest),
        "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}))
    assert index_digest == "sha256:" + hashlib.sha256(index).hexdigest()
    return PlatformIndex(dest, index_digest, {"amd64": image.config_digest,
                                              "arm64": arm_config_digest})


@pytest.fixture(scope="module")
def indexed(dist_tmp: Path, cncf: Registry, image: GeneratedImage) -> tuple[str, PlatformIndex]:
    platforms = make_index(image, dist_tmp / "index-layout")
    ref = f"{cncf.host}/index/img-{uuid.uuid4().hex[:8]}:multi"
    skopeo_copy(dist_tmp, f"oci:{platforms.layout}:latest", f"docker://{ref}",
                extra=("--all",))  # the index and every manifest it names, as they are
    assert cncf.manifest(ref.split("/", 1)[1].rsplit(":", 1)[0], "multi")[0] == \
        platforms.index_digest
    return ref, platforms


def inspect(engine: Daemon, config: Path, ref: str) -> dict[str, object]:
    value = json.loads(docker(engine, config, "image", "inspect", ref).stdout)[0]
    assert isinstance(value, dict)
    return value


def test_pull_of_an_index_selects_the_hosts_platform(engine: Daemon, docker_config: Path,
                                                     indexed: tuple[str, PlatformIndex]) -> None:
    ref, platforms = indexed
    try:
        out = docker(engine, docker_config, "pull", ref).stdout.decode()
        assert f"Digest: {platforms.index_digest}" in out
        inspected = inspect(engine, docker_config, ref)
        assert inspected["Id"] == platforms.configs["amd64"]
        assert inspected["Architecture"] == "amd64"
        name = ref.rsplit(":", 1)[0]
        assert inspected["RepoDigests"] == [f"{name}@{platforms.index_digest}"]
    finally:
        docker(engine, docker_config, "rmi", "-f", ref, check=False)


def test_pull_platform_picks_another_entry(engine: Daemon, docker_config: Path,
                                           indexed: tuple[str, PlatformIndex]) -> None:
    ref, platforms = indexed
    try:
        docker(engine, docker_config, "pull", "--platform", "linux/arm64", ref)
        inspected = inspect(engine, docker_config, ref)
        assert inspected["Id"] == platforms.configs["arm64"]
        assert inspected["Architecture"] == "arm64"
    finally:
        docker(engine, docker_config, "rmi", "-f", ref, check=False)


def test_pull_all_tags(engine: Daemon, docker_config: Path, tmp_path: Path, cncf: Registry,
                       image: GeneratedImage) -> None:
    repo = f"alltags/img-{uuid.uuid4().hex[:8]}"
    for tag in ("one", "two"):
        push_with_skopeo(tmp_path, cncf, image.oci_ref, repo, tag)
    name = f"{cncf.host}/{repo}"
    try:
        docker(engine, docker_config, "pull", "--all-tags", name)
        tags = docker(engine, docker_config, "images", "--format", "{{.Tag}}",
                      name).stdout.decode().split()
        assert sorted(tags) == ["one", "two"]
    finally:
        docker(engine, docker_config, "rmi", "-f", f"{name}:one", f"{name}:two", check=False)
