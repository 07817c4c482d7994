"""Image commands against a real wharfd, driven by the stock docker CLI and skopeo: save/load in
Docker's archive and OCI layout both ways, images filters and --digests, history, inspect, rmi
messages, image prune."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.daemons import Daemon
from tests.support.oci_layout import layer_tar
from tests.support.scratch import scratch_dir

SKOPEO = shutil.which("skopeo")
needs_skopeo = pytest.mark.skipif(SKOPEO is None, reason="skopeo is not installed")


@pytest.fixture
def work() -> Iterator[Path]:
    with scratch_dir("wharf-imgcmd-") as path:
        yield path


@pytest.fixture
def repo(wharfd: Daemon) -> Iterator[str]:
    """A unique repository name; every image tagged into it is removed after the test."""
    name = f"imgcmd-{uuid.uuid4().hex[:8]}"
    try:
        yield name
    finally:
        for _ in range(3):  # children before parents
            for line in wharfd.docker("images", "-a", "--format", "{{.Repository}}:{{.Tag}}",
                                      check=False).stdout.decode().split():
                if line.startswith(name) or "/" + name in line:
                    wharfd.docker("rmi", "-f", line, check=False)
        wharfd.docker("image", "prune", "-f", check=False)


def skopeo(*args: str) -> str:
    assert SKOPEO is not None
    res = subprocess.run([SKOPEO, "--insecure-policy", *args], capture_output=True, timeout=180)
    assert res.returncode == 0, res.stderr.decode()
    return res.stdout.decode()


def image_id(wharfd: Daemon, ref: str) -> str:
    return wharfd.docker("image", "inspect", "--format", "{{.Id}}", ref).stdout.decode().strip()


@needs_skopeo
def test_docker_save_is_read_by_skopeo_and_skopeo_archives_load(
    wharfd: Daemon, repo: str, work: Path
) -> None:
    wharfd.docker("tag", "busybox:latest", f"{repo}:saved")
    saved = work / "saved.tar"
    wharfd.docker("save", "-o", str(saved), f"{repo}:saved")
    with tarfile.open(saved) as tar:
        names = set(tar.getnames())
    assert {"manifest.json", "index.json", "oci-layout", "repositories"} <= names
    inspected = json.loads(skopeo("inspect", f"docker-archive:{saved}"))
    diff_ids = json.loads(wharfd.docker("image", "inspect", f"{repo}:saved").stdout)[0][
        "RootFS"]["Layers"]
    assert inspected["Layers"] == diff_ids
    original = image_id(wharfd, f"{repo}:saved")

    as_docker, as_oci = work / "skopeo-docker.tar", work / "skopeo-oci.tar"
    skopeo("copy", f"docker-archive:{saved}", f"docker-archive:{as_docker}:{repo}:from-skopeo")
    skopeo("copy", f"docker-archive:{saved}", f"oci-archive:{as_oci}:{repo}:from-oci")
    out = wharfd.docker("load", "-i", str(as_docker)).stdout.decode()
    assert f"Loaded image: {repo}:from-skopeo" in out
    out = wharfd.docker("load", "-i", str(as_oci)).stdout.decode()
    assert f"Loaded image: {repo}:from-oci" in out
    assert image_id(wharfd, f"{repo}:from-skopeo") == original
    # converting to OCI, skopeo rewrites the config (an OCI config has no "comment"): a new
    # image id over the same layers
    from_oci = json.loads(wharfd.docker("image", "inspect", f"{repo}:from-oci").stdout)[0]
    assert from_oci["RootFS"]["Layers"] == diff_ids and from_oci["Config"]["Cmd"] == ["sh"]


def test_load_replaces_a_tag_and_says_so(wharfd: Daemon, repo: str, work: Path) -> None:
    wharfd.docker("tag", "busybox:latest", f"{repo}:x")
    saved = work / "x.tar"
    wharfd.docker("save", "-o", str(saved), f"{repo}:x")
    wharfd.docker("rmi", f"{repo}:x")
    other = wharfd.docker("import", "-c", "LABEL other=1", str(saved), f"{repo}:x")
    other_id = other.stdout.decode().strip()
    out = wharfd.docker("load", stdin=saved.read_bytes()).stdout.decode()
    assert out.splitlines() == [
        f"The image {repo}:x already exists, renaming the old one with ID {other_id} "
        "to empty string",
        f"Loaded image: {repo}:x",
    ]
    assert image_id(wharfd, f"{repo}:x") == image_id(wharfd, "busybox:latest")
    wharfd.docker("rmi", other_id)


def test_load_errors_are_clear_and_commit_nothing(wharfd: Daemon, work: Path) -> None:
    before = wharfd.docker("images", "-aq").stdout
    bad = work / "bad.tar"
    with tarfile.open(bad, "w") as tar:
        tar.add(__file__, arcname="index.json")
    res = wharfd.docker("load", "-i", str(bad), check=False)
    assert res.returncode != 0 and b"invalid image archive: index.json" in res.stderr
    assert wharfd.docker("images", "-aq").stdout == before
    assert wharfd.request("GET", "/_ping")[0] == 200


def test_images_filters_digests_and_history(wharfd: Daemon, repo: str) -> None:
    wharfd.docker("tag", "busybox:latest", f"{repo}:one")
    wharfd.docker("tag", "busybox:latest", f"localhost:5000/{repo}:two")
    listed = wharfd.docker("images", "--filter", f"reference={repo}", "--format",
                           "{{.Repository}}:{{.Tag}}").stdout.decode().split()
    assert listed == [f"{repo}:one"]  # only the matching reference is shown
    listed = wharfd.docker("images", "--filter", f"reference=*/{repo}:*", "--format",
                           "{{.Repository}}:{{.Tag}}").stdout.decode().split()
    assert listed == [f"localhost:5000/{repo}:two"]
    res = wharfd.docker("images", "--filter", "reference=[", check=False)
    assert res.returncode != 0 and b"syntax error in pattern" in res.stderr
    header = wharfd.docker("images", "--digests").stdout.decode().splitlines()[0]
    assert header.split()[:4] == ["REPOSITORY", "TAG", "DIGEST", "IMAGE"]
    history = wharfd.docker("history", "--no-trunc", "--format", "{{.ID}}|{{.Comment}}",
                            f"{repo}:one").stdout.decode().splitlines()
    assert history[0].split("|")[0] == image_id(wharfd, "busybox:latest")
    assert history[0].split("|")[1] == "Imported from -"
    doc = json.loads(wharfd.docker("image", "inspect", f"{repo}:one").stdout)[0]
    assert doc["Config"] is not None and doc["RootFS"]["Type"] == "layers"
    assert f"{repo}:one" in doc["RepoTags"] and doc["Size"] > 0 and doc["Created"]


def test_rmi_messages_and_prune(wharfd: Daemon, repo: str, work: Path) -> None:
    wharfd.docker("tag", "busybox:latest", f"{repo}:a")
    wharfd.docker("tag", "busybox:latest", f"{repo}:b")
    res = wharfd.docker("rmi", image_id(wharfd, f"{repo}:a")[7:19], check=False)
    assert res.returncode != 0
    assert b"(must be forced) - image is referenced in multiple repositories" in res.stderr
    assert wharfd.docker("rmi", f"{repo}:b").stdout.decode() == f"Untagged: {repo}:b\n"

    saved = work / "a.tar"
    wharfd.docker("save", "-o", str(saved), f"{repo}:a")
    imported = wharfd.docker("import", "-c", "LABEL wharf.test=prune", "-c", 'CMD ["sh"]',
                             str(saved), f"{repo}:p")
    new_id = imported.stdout.decode().strip()
    created = wharfd.docker("create", f"{repo}:p").stdout.decode().strip()
    try:
        res = wharfd.docker("rmi", f"{repo}:p", check=False)
        assert res.stderr.decode().strip().endswith(
            f'conflict: unable to remove repository reference "{repo}:p" (must force) - '
            f"container {created[:12]} is using its referenced image {new_id[7:19]}"
        )
        out = wharfd.docker("image", "prune", "-a", "-f", "--filter", "label=wharf.test=prune")
        assert new_id not in out.stdout.decode()  # a container uses it
    finally:
        wharfd.docker("rm", "-f", created)
    out = wharfd.docker("image", "prune", "-a", "-f", "--filter", "label=wharf.test=prune")
    text = out.stdout.decode()
    assert f"untagged: {repo}:p" in text and f"deleted: {new_id}" in text
    assert "Total reclaimed space:" in text


def test_load_streams_progress_then_an_error_and_keeps_nothing(wharfd: Daemon) -> None:
    good = layer_tar({"good": b"g" * 4096})
    bad = layer_tar({"bad": b"b"})
    diff_ids = ["sha256:" + hashlib.sha256(good).hexdigest(), "sha256:" + "1" * 64]
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }).encode()
    manifest = [{"Config": "c.json", "RepoTags": ["half:1"], "Layers": ["1.tar", "2.tar"]}]
    archive = layer_tar({"manifest.json": json.dumps(manifest).encode(), "c.json": config,
                          "1.tar": good, "2.tar": bad})
    layers_before = sorted(p.name for p in (wharfd.data_root).rglob("*") if p.is_dir())
    status, body = wharfd.request("POST", "/images/load", archive,
                                  {"Content-Type": "application/x-tar"})
    assert status == 200
    messages = [json.loads(line) for line in body.decode().splitlines()]
    assert messages[0]["status"] == "Loading layer"
    assert messages[-1]["errorDetail"]["message"].startswith("invalid diffID for layer 1")
    assert wharfd.request("GET", "/images/half:1/json")[0] == 404
    assert sorted(p.name for p in (wharfd.data_root).rglob("*") if p.is_dir()) == layers_before
    status, body = wharfd.request("POST", "/images/load?quiet=1", archive,
                                  {"Content-Type": "application/x-tar"})
    assert status == 400 and b"invalid diffID for layer 1" in body  # quiet: a plain error


def test_docker_py_get_and_load(wharfd: Daemon, repo: str) -> None:
    import docker

    client = docker.DockerClient(base_url=wharfd.host, version="1.47", timeout=60)
    try:
        image = client.images.get("busybox:latest")
        image.tag(repo, "py")
        data = b"".join(client.images.get(f"{repo}:py").save(named=f"{repo}:py"))
        client.images.remove(f"{repo}:py")
        loaded = client.images.load(data)
        assert [i.id for i in loaded] == [image.id]
        assert f"{repo}:py" in client.images.get(image.id).tags
        events = client.api.load_image(data, quiet=False)
        assert any("Loaded image" in str(e.get("stream", "")) for e in events)
    finally:
        client.close()
