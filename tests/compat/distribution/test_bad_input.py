"""A pull that goes wrong ends with a clear error, commits nothing, and the engine keeps serving.

The faults come from a real CNCF registry (unknown tags and repositories, credentials it
refuses) or from the fault proxy in front of it (a blob whose bytes or size are wrong, a body
cut short, a malformed manifest, an unknown media type, a 403, a registry that never answers).
Each case runs against dockerd too where dockerd ends (the expected message is Docker's, as
measured against it); dockerd waits forever on a registry that never answers, so the timeout
case is wharf's alone.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.compat.distribution.conftest import docker
from tests.support.daemons import Daemon, dockerd_running, wharfd_running
from tests.support.fault_proxy import Fault, FaultProxy
from tests.support.imagegen import GeneratedImage, generate_image
from tests.support.net import free_port
from tests.support.registries import Registry, push_with_skopeo

DENIED = json.dumps({"errors": [{"code": "DENIED", "message":
                                 "requested access to the resource is denied"}]}).encode()


# Both engines make one download attempt here: a cut layer then fails at once, rather than
# after five attempts and their back-off (about a minute for dockerd); retries have their
# own tests (test_resume). wharfd gives a silent registry 5 s (--registry-read-timeout).
@pytest.fixture(scope="module")
def dockerd(dist_tmp: Path) -> Iterator[Daemon]:
    if shutil.which("dockerd") is None:
        pytest.skip("dockerd is not installed (apt-get install docker.io)")
    with dockerd_running(dist_tmp / "dockerd", {}, "--max-download-attempts", "1") as daemon:
        yield daemon


@pytest.fixture(scope="module")
def wharfd(dist_tmp: Path) -> Iterator[Daemon]:
    if os.geteuid() != 0:
        pytest.skip("needs root")
    with wharfd_running(dist_tmp / "wharfd", "--max-download-attempts", "1",
                        "--registry-read-timeout", "5") as daemon:
        yield daemon


@pytest.fixture(scope="module")
def pushed(dist_tmp: Path, cncf: Registry, image: GeneratedImage) -> str:
    """The repository on ``cncf`` that holds ``image`` as ``:v1``."""
    repo = f"bad/img-{uuid.uuid4().hex[:8]}"
    push_with_skopeo(dist_tmp, cncf, image.oci_ref, repo, "v1")
    return repo


@pytest.fixture
def fresh(tmp_path: Path, cncf: Registry) -> tuple[str, GeneratedImage]:
    """A small image no engine has seen, pushed to ``cncf`` as ``<repo>:v1``: dockerd caches
    manifests by digest, and an engine may keep the good layers of a failed pull, so a fault
    needs a manifest and blobs the engine never fetched."""
    small = generate_image(tmp_path / "fresh", uuid.uuid4().hex, 1)
    repo = f"bad/fresh-{uuid.uuid4().hex[:8]}"
    push_with_skopeo(tmp_path, cncf, small.oci_ref, repo, "v1")
    return repo, small


@pytest.fixture
def proxy(cncf: Registry) -> Iterator[FaultProxy]:
    with FaultProxy(cncf.host) as running:
        yield running


def failed_pull(engine: Daemon, config: Path, ref: str, timeout: float = 300) -> str:
    """Pull ``ref``, which must fail; returns stderr. The engine must not hold the image after
    and must still answer."""
    res = docker(engine, config, "pull", ref, check=False, timeout=timeout)
    if res.returncode == 0:  # leave nothing for the next case to find
        docker(engine, config, "rmi", "-f", ref, check=False)
    assert res.returncode == 1, (res.stdout, res.stderr)
    assert docker(engine, config, "image", "inspect", ref, check=False).returncode == 1
    assert docker(engine, config, "version", "--format", "{{.Server.Version}}").returncode == 0
    return res.stderr.decode(errors="replace")


def assert_no_blob(engine: Daemon, digest: str) -> None:
    """wharf's content store holds no blob under ``digest`` (dockerd keeps no blobs)."""
    if engine.name == "wharfd":
        assert not (engine.data_root / "content/blobs/sha256" / digest[7:]).exists()


def test_unknown_tag(engine: Daemon, docker_config: Path, cncf: Registry, pushed: str) -> None:
    ref = f"{cncf.host}/{pushed}:nope"
    err = failed_pull(engine, docker_config, ref)
    assert f"manifest for {ref} not found: manifest unknown" in err


def test_unknown_repository(engine: Daemon, docker_config: Path, cncf: Registry) -> None:
    repo = f"{cncf.host}/bad/never-pushed"
    err = failed_pull(engine, docker_config, f"{repo}:v1")
    assert f"repository {repo} not found" in err or "manifest unknown" in err, err


def test_unreachable_registry(engine: Daemon, docker_config: Path) -> None:
    host = f"127.0.0.1:{free_port()}"
    err = failed_pull(engine, docker_config, f"{host}/bad/img:v1")
    assert "connection refused" in err, err
    assert host in err


@pytest.mark.parametrize("mode", ["cncf_htpasswd", "cncf_token"])
def test_no_credentials(request: pytest.FixtureRequest, engine: Daemon, docker_config: Path,
                        tmp_path: Path, image: GeneratedImage, mode: str) -> None:
    registry: Registry = request.getfixturevalue(mode)
    ref = push_with_skopeo(tmp_path, registry, image.oci_ref, "bad/private", "v1")
    err = failed_pull(engine, docker_config, ref)
    if mode == "cncf_htpasswd":
        assert "no basic auth credentials" in err, err
    else:
        assert "pull access denied for" in err and "may require 'docker login'" in err, err


def test_forbidden(engine: Daemon, docker_config: Path, proxy: FaultProxy,
                   pushed: str) -> None:
    proxy.faults.append(Fault(r"/manifests/", status=403, body=DENIED,
                              headers={"Content-Type": "application/json"}))
    err = failed_pull(engine, docker_config, f"{proxy.host}/{pushed}:v1")
    assert "denied" in err, err  # dockerd: "Error response from daemon: denied" (measured)


def test_blob_digest_mismatch(engine: Daemon, docker_config: Path, proxy: FaultProxy,
                              fresh: tuple[str, GeneratedImage]) -> None:
    """Same size, other bytes, and the same tar inside: the gzip header's MTIME field differs
    (no decompressor checks it), so only the blob's digest can tell."""
    pushed, image = fresh
    layer = image.layer_digests[1]
    original = image.blob(layer).read_bytes()
    forged = original[:4] + (1_700_000_000).to_bytes(4, "little") + original[8:]
    proxy.faults.append(Fault(f"/blobs/{layer}", "GET", body=forged))
    err = failed_pull(engine, docker_config, f"{proxy.host}/{pushed}:v1")
    if engine.name == "dockerd":
        assert f"filesystem layer verification failed for digest {layer}" in err, err
    else:
        assert layer in err or "digest" in err, err
    assert_no_blob(engine, layer)


def test_corrupt_blob(engine: Daemon, docker_config: Path, proxy: FaultProxy,
                      fresh: tuple[str, GeneratedImage]) -> None:
    pushed, image = fresh
    layer = image.layer_digests[3]
    original = image.blob(layer).read_bytes()
    middle = len(original) // 2
    forged = original[:middle] + bytes([original[middle] ^ 0xFF]) + original[middle + 1:]
    proxy.faults.append(Fault(f"/blobs/{layer}", "GET", body=forged))
    failed_pull(engine, docker_config, f"{proxy.host}/{pushed}:v1")
    assert_no_blob(engine, layer)


def test_blob_longer_than_its_descriptor(engine: Daemon, docker_config: Path,
                                         proxy: FaultProxy,
                                         fresh: tuple[str, GeneratedImage]) -> None:
    pushed, image = fresh
    layer = image.layer_digests[2]
    proxy.faults.append(Fault(f"/blobs/{layer}", "GET",
                              body=image.blob(layer).read_bytes() + b"trailing"))
    failed_pull(engine, docker_config, f"{proxy.host}/{pushed}:v1")
    assert_no_blob(engine, layer)


def test_truncated_blob(engine: Daemon, docker_config: Path, proxy: FaultProxy,
                        fresh: tuple[str, GeneratedImage]) -> None:
    pushed, image = fresh
    layer = image.layer_digests[0]
    proxy.faults.append(Fault(f"/blobs/{layer}", "GET", cut_after=image.layer_sizes[0] // 3))
    err = failed_pull(engine, docker_config, f"{proxy.host}/{pushed}:v1", timeout=400)
    assert "EOF" in err or "truncated" in err or "incomplete" in err.lower(), err
    assert_no_blob(engine, layer)


def test_malformed_manifest(engine: Daemon, docker_config: Path, proxy: FaultProxy,
                            fresh: tuple[str, GeneratedImage]) -> None:
    proxy.faults.append(Fault(r"/manifests/", "GET", body=b'{"schemaVersion": 2, "layers": [',
                              drop_headers=("Docker-Content-Digest",)))
    err = failed_pull(engine, docker_config, f"{proxy.host}/{fresh[0]}:v1")
    if engine.name == "dockerd":
        assert "unexpected end of JSON input" in err, err  # measured
    else:
        assert "Error response from daemon: " in err and "manifest" in err.lower(), err


def test_unknown_manifest_media_type(engine: Daemon, docker_config: Path, proxy: FaultProxy,
                                     fresh: tuple[str, GeneratedImage]) -> None:
    kind = "application/vnd.example.unknown.v1+json"
    pushed, image = fresh
    body = json.loads(image.manifest)
    body["mediaType"] = kind
    proxy.faults.append(Fault(r"/manifests/", body=json.dumps(body).encode(),
                              headers={"Content-Type": kind},
                              drop_headers=("Docker-Content-Digest", "Content-Type")))
    err = failed_pull(engine, docker_config, f"{proxy.host}/{pushed}:v1")
    if engine.name == "dockerd":  # it takes an unknown type for schema 1 (measured)
        assert "missing signature key" in err, err
    else:
        assert kind in err, err


def test_a_registry_that_never_answers_times_out(wharfd: Daemon, docker_config: Path,
                                                 proxy: FaultProxy, pushed: str) -> None:
    """dockerd has no response timeout on a registry (it would wait forever); wharf gives up."""
    proxy.faults.append(Fault(r"/manifests/", delay=600))
    start = time.monotonic()
    err = failed_pull(wharfd, docker_config, f"{proxy.host}/{pushed}:v1", timeout=200)
    assert time.monotonic() - start < 60
    assert "timeout" in err.lower() or "timed out" in err.lower(), err
