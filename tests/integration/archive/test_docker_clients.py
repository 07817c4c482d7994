"""The stock docker CLI and docker-py against wharfd: ``docker cp`` both ways (created,
running), ``docker commit``; ``put_archive``/``get_archive``/``commit`` of docker-py."""

from __future__ import annotations

import io
import os
import shutil
import tarfile
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from tests.integration.archive.helpers import containers, unique
from tests.support.daemons import DOCKER_CLI, Daemon
from tests.support.scratch import scratch_dir

needs_docker_cli = pytest.mark.skipif(shutil.which(DOCKER_CLI) is None,
                                      reason="the docker CLI is not installed")


@pytest.fixture
def work() -> Iterator[Path]:
    with scratch_dir("wharf-cp-docker-") as path:
        yield path


@needs_docker_cli
def test_docker_cp_and_commit(wharfd: Daemon, work: Path) -> None:
    (work / "in").mkdir()
    (work / "in" / "tool.sh").write_text("#!/bin/sh\necho tool ran\n")
    os.chmod(work / "in" / "tool.sh", 0o755)
    repo = unique("dockercommit")
    with containers(wharfd) as made:
        name = unique("docker-cp")
        made.append(name)
        wharfd.docker("create", "--name", name, "busybox", "/opt/tool.sh")
        wharfd.docker("cp", str(work / "in"), f"{name}:/opt/")  # before the start: /opt is "in"
        assert wharfd.docker("start", "-a", name).stdout == b"tool ran\n"
        wharfd.docker("cp", f"{name}:/opt/tool.sh", str(work / "out.sh"))
        assert (work / "out.sh").read_text() == "#!/bin/sh\necho tool ran\n"
        assert (work / "out.sh").stat().st_mode & 0o777 == 0o755
        missing = wharfd.docker("cp", f"{name}:/nope", str(work / "x"), check=False)
        assert missing.returncode == 1
        assert missing.stderr.decode().strip() == (
            f"Error response from daemon: Could not find the file /nope in container {name}")
        try:
            image_id = wharfd.docker("commit", "-c", "CMD [\"/opt/tool.sh\"]", "-m", "cli",
                                     name, f"{repo}:1").stdout.decode().strip()
            assert image_id.startswith("sha256:")
            assert wharfd.docker("run", "--rm", f"{repo}:1").stdout == b"tool ran\n"
            comment = wharfd.docker("history", "--format", "{{.Comment}}", f"{repo}:1").stdout
            assert comment.decode().splitlines()[0] == "cli"
        finally:
            wharfd.docker("rmi", "-f", f"{repo}:1", check=False)


def test_docker_py_archive_and_commit(wharfd: Daemon) -> None:
    client = docker.DockerClient(base_url=wharfd.host, version="auto")
    repo = unique("pycommit")
    with containers(wharfd) as made:
        container = client.containers.run("busybox", ["sleep", "300"], detach=True,
                                          name=unique("docker-py-cp"))
        made.append(container.name)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            info = tarfile.TarInfo("hello.txt")
            info.size, info.mode = 6, 0o640
            tar.addfile(info, io.BytesIO(b"hello\n"))
        assert container.put_archive("/tmp", buf.getvalue()) is True
        chunks, stat = container.get_archive("/tmp/hello.txt")
        assert stat["name"] == "hello.txt" and stat["size"] == 6
        assert stat["mode"] == 0o640
        with tarfile.open(fileobj=io.BytesIO(b"".join(chunks))) as tar:
            member = tar.getmember("hello.txt")
            data = tar.extractfile(member)
            assert data is not None and data.read() == b"hello\n"
            assert member.mode == 0o640
        with pytest.raises(docker.errors.NotFound, match="Could not find the file"):
            container.get_archive("/nope")
        try:
            image = container.commit(repository=repo, tag="py", message="from docker-py",
                                     changes=["CMD cat /tmp/hello.txt"])
            assert client.containers.run(image.id, remove=True) == b"hello\n"
            assert image.history()[0]["Comment"] == "from docker-py"
        finally:
            client.images.remove(f"{repo}:py", force=True)
    client.close()
