"""``kill -9`` of wharfd in the middle of a pull: the store stays consistent and the next pull
resumes the interrupted blob with an HTTP Range request (Docker starts over).

The registry is behind the counting proxy, which slows blob bodies down so the kill lands
mid-blob; the proxy counts the bytes served per blob, so "resumed" is measured: the second
pull fetches less of the interrupted layer than its whole size.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.compat.distribution.conftest import docker
from tests.support.daemons import DOCKER_CLI, Daemon, shut_down_wharfd, start_wharfd
from tests.support.fault_proxy import Fault, FaultProxy
from tests.support.imagegen import GeneratedImage
from tests.support.registries import Registry, push_with_skopeo
from tests.support.scratch import scratch_dir


@pytest.fixture
def wharfd_tmp() -> Iterator[Path]:
    with scratch_dir("wharf-resume-") as tmp:
        yield tmp


def test_kill_9_mid_pull_then_the_next_pull_resumes(wharfd_tmp: Path, cncf: Registry,
                                                    docker_config: Path,
                                                    image: GeneratedImage) -> None:
    repo = f"resume/img-{uuid.uuid4().hex[:8]}"
    push_with_skopeo(wharfd_tmp, cncf, image.oci_ref, repo, "v1")
    layer, size = image.layer_digests[0], image.layer_sizes[0]  # the biggest layer
    slow = Fault(r"/blobs/sha256:", "GET", throttle=0.02)      # ~3 MB/s per blob
    with FaultProxy(cncf.host, [slow]) as proxy:
        ref = f"{proxy.host}/{repo}:v1"
        daemon = start_wharfd(wharfd_tmp)
        puller = daemon_pull(daemon, docker_config, ref)
        try:
            proxy.wait_for_bytes(f"/blobs/{layer}", size * 2 // 5, timeout=120)
            daemon.proc.kill()                                  # kill -9, mid-blob
            daemon.proc.wait(timeout=30)
        finally:
            shut_down_wharfd(daemon, wharfd_tmp)
            if puller.poll() is None:
                puller.kill()
            puller.wait(timeout=30)
        first_bytes = proxy.bytes_served(f"/blobs/{layer}")
        assert first_bytes < size, "the kill came after the whole blob was served"
        proxy.faults.clear()
        daemon = start_wharfd(wharfd_tmp)
        try:
            assert docker(daemon, docker_config, "image", "inspect", ref,
                          check=False).returncode == 1
            docker(daemon, docker_config, "images")                 # the store still answers
            requests_before = len(proxy.requests_for(f"/blobs/{layer}"))
            out = docker(daemon, docker_config, "pull", ref).stdout.decode()
            assert f"Digest: {image.manifest_digest}" in out
            second_bytes = proxy.bytes_served(f"/blobs/{layer}") - first_bytes
            assert second_bytes < size, f"fetched {second_bytes} of {size} bytes again"
            resumed = proxy.requests_for(f"/blobs/{layer}")[requests_before:]
            assert any(entry.range and entry.range.startswith("bytes=") and entry.status == 206
                       for entry in resumed), resumed
            checked = docker(daemon, docker_config, "run", "--rm", "--network", "none", ref,
                             "sh", "-c", image.check_script())
            assert checked.stdout.decode().strip() == "rootfs ok"
        finally:
            shut_down_wharfd(daemon, wharfd_tmp)


def daemon_pull(daemon: Daemon, config: Path, ref: str) -> subprocess.Popen[bytes]:
    """``docker pull`` in the background (it ends when the daemon dies)."""
    return subprocess.Popen([DOCKER_CLI, "--config", str(config), "pull", ref],
                            env=daemon.docker_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
