"""The interop harness proves itself: the peers it starts are real and behave as they should.

skopeo pushes the generated image into the CNCF registry in each auth mode and copies it back
byte for byte; the auth modes refuse what they must; Debian's dockerd pulls the image from
each and its merged root filesystem holds every whiteout, opaque directory, hard link and
symlink as the image spec says; the fault proxy counts, cuts and replaces. Nothing here needs
wharf's pull or push.
"""

from __future__ import annotations

import http.client
import json
import uuid
from pathlib import Path

import pytest

from tests.compat.distribution.conftest import (
    assert_runs_and_is_current,
    assert_skopeo_round_trip,
    docker,
    login,
)
from tests.support.daemons import Daemon
from tests.support.fault_proxy import Fault, FaultProxy
from tests.support.imagegen import GeneratedImage, generate_image
from tests.support.registries import (
    Registry,
    push_with_skopeo,
    skopeo,
)

CNCF_MODES = ["cncf", "cncf_htpasswd", "cncf_token"]


@pytest.fixture(params=CNCF_MODES)
def cncf_any(request: pytest.FixtureRequest) -> Registry:
    registry = request.getfixturevalue(request.param)
    assert isinstance(registry, Registry)
    return registry


def repo_name(prefix: str) -> str:
    return f"{prefix}/img-{uuid.uuid4().hex[:8]}"


def test_generated_image_is_deterministic_and_shares_no_layer(tmp_path: Path,
                                                              image: GeneratedImage) -> None:
    seed = image.layout.joinpath("index.json").read_text()  # the module's image
    again = generate_image(tmp_path / "a", "fixed-seed", 2)
    same = generate_image(tmp_path / "b", "fixed-seed", 2)
    other = generate_image(tmp_path / "c", "other-seed", 2)
    assert again.manifest_digest == same.manifest_digest
    assert again.layer_digests == same.layer_digests
    assert not set(other.layer_digests) & set(again.layer_digests)
    assert not set(image.layer_digests) & set(again.layer_digests), seed
    assert len(image.layer_digests) >= 4
    assert image.total_size > 15 * (1 << 20)


def test_skopeo_pushes_and_copies_back_byte_identical(tmp_path: Path, cncf_any: Registry,
                                                      image: GeneratedImage) -> None:
    repo = repo_name("harness")
    assert_skopeo_round_trip(tmp_path, cncf_any, image, repo, tmp_path / "back")


@pytest.mark.parametrize("mode", ["cncf_htpasswd", "cncf_token"])
def test_auth_modes_refuse_anonymous_and_wrong_passwords(
        request: pytest.FixtureRequest, tmp_path: Path, mode: str,
        image: GeneratedImage) -> None:
    registry = request.getfixturevalue(mode)
    push_with_skopeo(tmp_path, registry, image.oci_ref, "harness/private", "v1")
    status, headers, _ = registry.request("GET", "/v2/harness/private/manifests/v1",
                                            anonymous=True)
    assert status == 401
    challenge = headers["www-authenticate"]
    if mode == "cncf_token":
        assert challenge.startswith("Bearer ")
        assert f'realm="{registry.issuer.realm}"' in challenge  # type: ignore[union-attr]
        assert 'scope="repository:harness/private:pull"' in challenge
    else:
        assert challenge.startswith("Basic ")
    anonymous = skopeo(tmp_path, "inspect", "--tls-verify=false",
                       f"docker://{registry.host}/harness/private:v1", check=False)
    assert anonymous.returncode != 0
    wrong = skopeo(tmp_path, "inspect", "--tls-verify=false", "--creds",
                   f"{registry.username}:wrong", f"docker://{registry.host}/harness/private:v1",
                   check=False)
    assert wrong.returncode != 0
    assert b"401" in wrong.stderr or b"unauthorized" in wrong.stderr.lower()


def test_token_issuer_grants_nothing_to_anonymous_clients(cncf_token: Registry) -> None:
    issuer = cncf_token.issuer
    assert issuer is not None
    answer = issuer.issue("test", None, ["repository:harness/private:pull"], offline=True)
    assert issuer.requests[-1].granted == []
    assert "refresh_token" not in answer
    status, _, _ = cncf_token.request(
        "GET", "/v2/harness/private/tags/list",
        headers={"Authorization": f"Bearer {answer['token']}"})
    assert status == 401
    for_user = issuer.issue("test", cncf_token.username, ["repository:harness/x:pull,push"],
                            offline=True)
    assert issuer.requests[-1].granted == [
        {"type": "repository", "name": "harness/x", "actions": ["pull", "push"]}]
    assert isinstance(for_user["refresh_token"], str)


@pytest.mark.parametrize("mode", CNCF_MODES)
def test_dockerd_pulls_from_each_auth_mode_and_the_rootfs_is_right(
        request: pytest.FixtureRequest, tmp_path: Path, dockerd: Daemon,
        docker_config: Path, image: GeneratedImage, mode: str) -> None:
    registry = request.getfixturevalue(mode)
    repo = repo_name("dockerd")
    ref = push_with_skopeo(tmp_path, registry, image.oci_ref, repo, "v1")
    login(dockerd, docker_config, registry)
    try:
        out = docker(dockerd, docker_config, "pull", ref).stdout.decode()
        assert f"Digest: {image.manifest_digest}" in out
        assert f"Status: Downloaded newer image for {ref}" in out
        inspected = json.loads(docker(dockerd, docker_config, "image", "inspect", ref).stdout)[0]
        assert inspected["Id"] == image.config_digest
        assert inspected["RepoDigests"] == [f"{registry.host}/{repo}@{image.manifest_digest}"]
        assert inspected["RootFS"]["Layers"] == image.diff_ids
        assert_runs_and_is_current(dockerd, docker_config, ref, image)
    finally:
        docker(dockerd, docker_config, "rmi", "-f", ref, check=False)


def test_fault_proxy_counts_ranges_and_cuts(tmp_path: Path, cncf: Registry,
                                            image: GeneratedImage) -> None:
    push_with_skopeo(tmp_path, cncf, image.oci_ref, "harness/proxied", "v1")
    layer = image.layer_digests[0]
    path = f"/v2/harness/proxied/blobs/{layer}"
    with FaultProxy(cncf.host, [Fault(path, "GET", cut_after=1000, times=1)]) as proxy:
        conn = http.client.HTTPConnection(proxy.host, timeout=30)
        conn.request("GET", path)
        resp = conn.getresponse()
        assert int(resp.headers["Content-Length"]) == image.layer_sizes[0]
        with pytest.raises(http.client.IncompleteRead):
            resp.read()
        conn.close()
        conn = http.client.HTTPConnection(proxy.host, timeout=30)
        conn.request("GET", path, headers={"Range": "bytes=1000-"})
        resp = conn.getresponse()
        rest = resp.read()
        conn.close()
        assert resp.status == 206
        assert rest == image.blob(layer).read_bytes()[1000:]
        assert proxy.bytes_served() == image.layer_sizes[0]
        assert [entry.range for entry in proxy.requests_for(layer)] == [None, "bytes=1000-"]
