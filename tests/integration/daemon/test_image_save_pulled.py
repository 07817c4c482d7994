"""save/load of an image pulled from a registry (the CNCF registry on loopback): the archive
holds the layers as the plain tars their diff ids name, skopeo reads it, and loading it back
gives the same image."""

from __future__ import annotations

import json
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.daemons import Daemon
from tests.support.oci_layout import assert_container_files, oci_layout, random_files, skopeo_push
from tests.support.scratch import scratch_dir


@pytest.fixture
def tmp() -> Iterator[Path]:
    with scratch_dir("wharf-save-pulled-") as path:
        yield path


def test_a_pulled_image_saves_and_loads_back(wharfd: Daemon, registry: str, tmp: Path) -> None:
    try:
        layers = [random_files(2, 256 << 10, f"s{i}") for i in range(3)]
        layout = oci_layout(tmp / "layout", layers, "1")
        name = f"{registry}/save/pulled"
        skopeo_push(layout, f"{name}:1", "1")
        wharfd.docker("pull", f"{name}:1", timeout=120)
        doc = json.loads(wharfd.docker("image", "inspect", f"{name}:1").stdout)[0]
        assert doc["RepoDigests"]
        saved = tmp / "pulled.tar"
        wharfd.docker("save", "-o", str(saved), f"{name}:1")
        inspected = json.loads(subprocess.run(
            ["skopeo", "--insecure-policy", "inspect", f"docker-archive:{saved}"],
            check=True, capture_output=True, timeout=120).stdout)
        assert inspected["Layers"] == doc["RootFS"]["Layers"]
        with tarfile.open(saved) as tar:
            manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
            assert manifest[0]["RepoTags"] == [f"{name}:1"]
            for path, diff_id in zip(manifest[0]["Layers"], doc["RootFS"]["Layers"], strict=True):
                assert path == f"blobs/sha256/{diff_id[7:]}"
        wharfd.docker("rmi", f"{name}:1")
        out = wharfd.docker("load", "-i", str(saved)).stdout.decode()
        assert out == f"Loaded image: {name}:1\n"
        loaded = json.loads(wharfd.docker("image", "inspect", f"{name}:1").stdout)[0]
        assert loaded["Id"] == doc["Id"] and loaded["RootFS"] == doc["RootFS"]
        assert loaded["RepoDigests"] == []  # an archive carries no registry digest
        assert_container_files(wharfd, f"{name}:1", layers)
    finally:
        wharfd.docker("rmi", f"{registry}/save/pulled:1", check=False)
