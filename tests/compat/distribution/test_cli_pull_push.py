"""The stock docker CLI pulls and pushes through an engine, against every registry of the harness.

Each test that is about Docker's behaviour runs against both engines (``engine``: Debian's
dockerd, the reference, and wharfd), so the expectations are Docker's own, measured. What
Docker cannot do (keep a pulled manifest byte-identical through push → pull → push) runs
against wharfd only.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from pathlib import Path

import pytest

from tests.compat.distribution.conftest import assert_runs_and_is_current, docker, login
from tests.support.daemons import Daemon, busybox_tar
from tests.support.imagegen import GeneratedImage
from tests.support.registries import Registry, push_with_skopeo

PUSHED = re.compile(r"^(?P<tag>\S+): digest: (?P<digest>sha256:[0-9a-f]{64}) size: (?P<size>\d+)$",
                    re.MULTILINE)


def unique_repo(prefix: str) -> str:
    return f"{prefix}/r{uuid.uuid4().hex[:10]}"


def pushed_digest(output: str) -> str:
    found = PUSHED.search(output)
    assert found, output
    return found["digest"]


def inspect(engine: Daemon, config: Path, ref: str) -> dict[str, object]:
    value = json.loads(docker(engine, config, "image", "inspect", ref).stdout)[0]
    assert isinstance(value, dict)
    return value


def test_pull_from_each_registry_and_run_the_layered_rootfs(
        engine: Daemon, any_registry: Registry, docker_config: Path, tmp_path: Path,
        image: GeneratedImage) -> None:
    repo = unique_repo("pull")
    ref = push_with_skopeo(tmp_path, any_registry, image.oci_ref, repo, "v1")
    login(engine, docker_config, any_registry)
    try:
        out = docker(engine, docker_config, "pull", ref).stdout.decode()
        assert f"v1: Pulling from {repo}" in out
        for digest in image.layer_digests:
            assert f"{digest[7:19]}: Pull complete" in out
        assert f"Digest: {image.manifest_digest}" in out
        assert f"Status: Downloaded newer image for {ref}" in out
        assert out.rstrip().endswith(ref)
        inspected = inspect(engine, docker_config, ref)
        assert inspected["Id"] == image.config_digest
        assert inspected["RepoTags"] == [ref]
        assert inspected["RepoDigests"] == [f"{any_registry.host}/{repo}@{image.manifest_digest}"]
        assert inspected["RootFS"] == {"Type": "layers", "Layers": image.diff_ids}
        assert_runs_and_is_current(engine, docker_config, ref, image)
        by_digest = f"{any_registry.host}/{repo}@{image.manifest_digest}"
        out = docker(engine, docker_config, "pull", by_digest).stdout.decode()
        assert f"Digest: {image.manifest_digest}" in out
    finally:
        docker(engine, docker_config, "rmi", "-f", ref, check=False)


def test_push_a_local_image_and_pull_it_back(engine: Daemon, any_registry: Registry,
                                             docker_config: Path) -> None:
    repo = unique_repo("push")
    ref = f"{any_registry.host}/{repo}:v2"
    elsewhere = f"{any_registry.host}/{unique_repo('again')}:v2"
    login(engine, docker_config, any_registry)
    docker(engine, docker_config, "import", "-c", 'CMD ["sh"]', "-", ref, stdin=busybox_tar())
    try:
        image_id = inspect(engine, docker_config, ref)["Id"]
        out = docker(engine, docker_config, "push", ref).stdout.decode()
        assert f"The push refers to repository [{any_registry.host}/{repo}]" in out
        assert re.search(r"^[0-9a-f]{12}: Pushed$", out, re.MULTILINE), out
        digest = pushed_digest(out)
        assert PUSHED.search(out)["tag"] == "v2"  # type: ignore[index]
        registry_digest, manifest = any_registry.manifest(repo, "v2")
        assert registry_digest == digest
        assert f"size: {len(manifest)}" in out
        again = docker(engine, docker_config, "push", ref).stdout.decode()
        assert re.search(r"^[0-9a-f]{12}: Layer already exists$", again, re.MULTILINE), again
        assert pushed_digest(again) == digest
        docker(engine, docker_config, "rmi", ref)
        docker(engine, docker_config, "pull", ref)
        pulled = inspect(engine, docker_config, ref)
        assert pulled["Id"] == image_id
        assert pulled["RepoDigests"] == [f"{any_registry.host}/{repo}@{digest}"]
        docker(engine, docker_config, "tag", ref, elsewhere)
        out = docker(engine, docker_config, "push", elsewhere).stdout.decode()
        assert pushed_digest(out) == digest  # push -> pull -> push: the same manifest
    finally:
        docker(engine, docker_config, "rmi", "-f", ref, elsewhere, check=False)


def test_push_to_another_repository_mounts_the_layers(engine: Daemon, cncf: Registry,
                                                      docker_config: Path, tmp_path: Path,
                                                      image: GeneratedImage) -> None:
    source = unique_repo("mount")
    ref = push_with_skopeo(tmp_path, cncf, image.oci_ref, source, "v1")
    target = f"{cncf.host}/{unique_repo('mounted')}:v1"
    try:
        docker(engine, docker_config, "pull", ref)
        docker(engine, docker_config, "tag", ref, target)
        out = docker(engine, docker_config, "push", target).stdout.decode()
        mounted = re.findall(rf"^([0-9a-f]{{12}}): Mounted from {source}$", out, re.MULTILINE)
        # push names a layer by its diff id (pull by its blob digest), as dockerd does
        assert sorted(mounted) == sorted(d[7:19] for d in image.diff_ids), out
    finally:
        docker(engine, docker_config, "rmi", "-f", ref, target, check=False)


def test_push_pull_push_keeps_the_manifest_byte_identical(
        wharfd: Daemon, any_registry: Registry, docker_config: Path, tmp_path: Path,
        image: GeneratedImage) -> None:
    """wharf keeps a pulled image's manifest and blobs as they were (dockerd rewrites them)."""
    first = push_with_skopeo(tmp_path, any_registry, image.oci_ref, unique_repo("bytes"), "v1")
    login(wharfd, docker_config, any_registry)
    second_repo, third_repo = unique_repo("bytes2"), unique_repo("bytes3")
    second = f"{any_registry.host}/{second_repo}:v1"
    third = f"{any_registry.host}/{third_repo}:v1"
    try:
        docker(wharfd, docker_config, "pull", first)
        docker(wharfd, docker_config, "tag", first, second)
        assert pushed_digest(docker(wharfd, docker_config, "push", second).stdout.decode()) \
            == image.manifest_digest
        assert any_registry.manifest(second_repo, "v1") == (image.manifest_digest,
                                                            image.manifest)
        docker(wharfd, docker_config, "rmi", first, second)
        docker(wharfd, docker_config, "pull", second)
        assert inspect(wharfd, docker_config, second)["RepoDigests"] == [
            f"{any_registry.host}/{second_repo}@{image.manifest_digest}"]
        docker(wharfd, docker_config, "tag", second, third)
        assert pushed_digest(docker(wharfd, docker_config, "push", third).stdout.decode()) \
            == image.manifest_digest
        assert any_registry.manifest(third_repo, "v1") == (image.manifest_digest,
                                                           image.manifest)
    finally:
        docker(wharfd, docker_config, "rmi", "-f", first, second, third, check=False)


def test_history_tag_and_rmi_of_a_pulled_image(engine: Daemon, cncf: Registry,
                                               docker_config: Path, tmp_path: Path,
                                               image: GeneratedImage) -> None:
    ref = push_with_skopeo(tmp_path, cncf, image.oci_ref, unique_repo("hist"), "v1")
    alias = f"{cncf.host}/{unique_repo('alias')}:other"
    try:
        docker(engine, docker_config, "pull", ref)
        rows = docker(engine, docker_config, "history", "--no-trunc", "--format",
                      "{{.ID}}|{{.CreatedBy}}", ref).stdout.decode().splitlines()
        config = json.loads(image.blob(image.config_digest).read_bytes())
        assert [r.split("|", 1)[1] for r in rows] == \
            [h["created_by"] for h in reversed(config["history"])]
        assert rows[0].split("|")[0] == image.config_digest
        assert all(r.split("|")[0] == "<missing>" for r in rows[1:])
        docker(engine, docker_config, "tag", ref, alias)
        assert inspect(engine, docker_config, alias)["Id"] == image.config_digest
        untagged = docker(engine, docker_config, "rmi", alias).stdout.decode()
        assert untagged.strip() == f"Untagged: {alias}"
        removed = docker(engine, docker_config, "rmi", ref).stdout.decode().splitlines()
        assert removed[0] == f"Untagged: {ref}"
        assert f"Deleted: {image.config_digest}" in removed
        gone = docker(engine, docker_config, "image", "inspect", ref, check=False)
        assert gone.returncode == 1
    finally:
        docker(engine, docker_config, "rmi", "-f", ref, alias, check=False)


@pytest.mark.parametrize("mode", ["cncf_htpasswd", "cncf_token", "wharf_reg_htpasswd"])
def test_login_and_logout(request: pytest.FixtureRequest, engine: Daemon, docker_config: Path,
                          mode: str) -> None:
    registry: Registry = request.getfixturevalue(mode)
    assert registry.username and registry.password
    wrong = docker(engine, docker_config, "login", "-u", registry.username, "--password-stdin",
                   registry.host, stdin=b"not-the-password", check=False)
    assert wrong.returncode == 1
    assert b"unauthorized" in wrong.stderr.lower() or b"401" in wrong.stderr, wrong.stderr
    assert not (docker_config / "config.json").exists() or registry.host not in json.loads(
        (docker_config / "config.json").read_text()).get("auths", {})
    out = docker(engine, docker_config, "login", "-u", registry.username, "--password-stdin",
                 registry.host, stdin=registry.password.encode())
    assert b"Login Succeeded" in out.stdout
    auths = json.loads((docker_config / "config.json").read_text())["auths"]
    assert registry.host in auths
    out = docker(engine, docker_config, "logout", registry.host)
    assert out.stdout.decode().strip() == f"Removing login credentials for {registry.host}"
    assert registry.host not in json.loads(
        (docker_config / "config.json").read_text()).get("auths", {})


def test_login_to_a_token_registry_keeps_an_identity_token(
        engine: Daemon, cncf_token: Registry, docker_config: Path, tmp_path: Path,
        image: GeneratedImage) -> None:
    """A token server that issues refresh tokens: dockerd answers the login with an identity
    token, the CLI keeps it instead of the password, and pulls trade it for access tokens with
    the OAuth2 refresh grant (measured against dockerd 20.10)."""
    issuer = cncf_token.issuer
    assert issuer is not None and cncf_token.username is not None
    ref = push_with_skopeo(tmp_path, cncf_token, image.oci_ref, unique_repo("ident"), "v1")
    login(engine, docker_config, cncf_token)
    saved = json.loads((docker_config / "config.json").read_text())["auths"][cncf_token.host]
    assert saved["identitytoken"] in issuer.refresh_tokens
    assert base64.b64decode(saved["auth"]).decode() == f"{cncf_token.username}:"
    already = len(issuer.requests)
    try:
        docker(engine, docker_config, "pull", ref)
        used = issuer.requests[already:]
        assert any(r.method == "POST" and r.user == cncf_token.username for r in used), used
    finally:
        docker(engine, docker_config, "rmi", "-f", ref, check=False)
