"""Volumes with real containers: named volumes keep data, image content is copied into a new
anonymous volume, ``rm -v`` removes only anonymous ones, a volume in use is not removed,
tmpfs-backed volumes, read-only binds."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from tests.support.daemons import Daemon, busybox_tar

MOUNTS_FILE = "/proc/self/mounts"


def unique(prefix: str) -> str:
    return f"wv-{prefix}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def api(wharfd: Daemon, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    payload = None if body is None else json.dumps(body).encode()
    status, data = wharfd.request(method, path, payload, {"Content-Type": "application/json"})
    return status, (json.loads(data) if data.strip() else None)


@contextlib.contextmanager
def volumes_removed(wharfd: Daemon, *names: str) -> Iterator[None]:
    """Containers first (they hold the volumes), then the named volumes, even on failure."""
    try:
        yield
    finally:
        status, listing = api(wharfd, "GET", "/containers/json?all=1")
        for entry in listing if status == 200 else []:
            wharfd.request("DELETE", f"/containers/{entry['Id']}?force=1&v=1")
        for name in names:
            wharfd.request("DELETE", f"/volumes/{name}?force=1")


def run(wharfd: Daemon, *args: str, check: bool = True) -> str:
    return wharfd.docker("run", *args, check=check).stdout.decode()


def test_a_named_volume_keeps_data_across_containers(wharfd: Daemon) -> None:
    volume = unique("keep")
    with volumes_removed(wharfd, volume):
        run(wharfd, "--rm", "-v", f"{volume}:/data", "busybox",
            "sh", "-c", "echo kept > /data/file")
        assert run(wharfd, "--rm", "-v", f"{volume}:/data:ro", "busybox",
                   "cat", "/data/file") == "kept\n"
        inspected = json.loads(wharfd.docker("volume", "inspect", volume).stdout)[0]
        assert inspected["Name"] == volume and inspected["Driver"] == "local"
        assert inspected["Scope"] == "local"
        assert (Path(inspected["Mountpoint"]) / "file").read_text() == "kept\n"


def test_inspect_mounts_are_dockers(wharfd: Daemon) -> None:
    volume = unique("shape")
    name = unique("c")
    with volumes_removed(wharfd, volume), tempfile.TemporaryDirectory() as host_dir:
        wharfd.docker("create", "--name", name, "-v", f"{volume}:/data",
                      "-v", f"{host_dir}:/host:ro", "--mount", "type=tmpfs,dst=/t", "busybox")
        _, data = api(wharfd, "GET", f"/containers/{name}/json")
        by_dest = {m["Destination"]: m for m in data["Mounts"]}
        assert by_dest["/data"] == {
            "Type": "volume", "Name": volume,
            "Source": str(wharfd.data_root / "volumes" / volume / "_data"),
            "Destination": "/data", "Driver": "local", "Mode": "z", "RW": True,
            "Propagation": ""}
        assert by_dest["/host"] == {"Type": "bind", "Source": host_dir, "Destination": "/host",
                                    "Mode": "ro", "RW": False, "Propagation": "rprivate"}
        assert by_dest["/t"]["Type"] == "tmpfs"


def test_a_read_only_bind_refuses_writes(wharfd: Daemon) -> None:
    with tempfile.TemporaryDirectory() as host_dir, volumes_removed(wharfd):
        res = wharfd.docker("run", "--rm", "-v", f"{host_dir}:/ro:ro", "busybox",
                            "sh", "-c", "touch /ro/x", check=False)
        assert res.returncode != 0
        assert b"Read-only file system" in res.stderr
        assert os.listdir(host_dir) == []


def test_a_missing_bind_source_is_made_by_v_but_refused_by_mount(wharfd: Daemon) -> None:
    parent = Path(tempfile.mkdtemp(prefix="wv-bind-"))
    try:
        missing = parent / "made"
        with volumes_removed(wharfd):
            run(wharfd, "--rm", "-v", f"{missing}:/m", "busybox", "true")
            assert missing.is_dir()
            other = parent / "absent"
            res = wharfd.docker("run", "--rm", "--mount", f"type=bind,src={other},dst=/m",
                                "busybox", "true", check=False)
            assert res.returncode == 125
            assert (f'invalid mount config for type "bind": bind source path does not exist: '
                    f"{other}").encode() in res.stderr
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def import_image_with_volume(wharfd: Daemon, ref: str) -> None:
    """busybox plus ``/data/seed`` (uid 1000, mode 0640, in a 0750 dir) and ``VOLUME /data``."""
    buf = io.BytesIO(busybox_tar())
    with tarfile.open(fileobj=buf, mode="a") as tar:
        directory = tarfile.TarInfo("data")
        directory.type, directory.mode, directory.uid = tarfile.DIRTYPE, 0o750, 1000
        tar.addfile(directory)
        seed = tarfile.TarInfo("data/seed")
        seed.size, seed.mode, seed.uid, seed.gid = 5, 0o640, 1000, 1000
        tar.addfile(seed, io.BytesIO(b"seed\n"))
    repo, tag = ref.rsplit(":", 1)
    changes = "&".join("changes=" + quote(c) for c in ('CMD ["sh"]', "VOLUME /data"))
    status, data = wharfd.request("POST", f"/images/create?fromSrc=-&repo={repo}&tag={tag}&"
                                  f"{changes}", buf.getvalue(),
                                  {"Content-Type": "application/x-tar"})
    assert status == 200, data


def test_image_volume_content_is_copied_into_a_new_anonymous_volume(wharfd: Daemon) -> None:
    """The new anonymous volume starts with the image's /data, owners and modes kept (the
    volume's root too); ``rm -v`` removes it."""
    image = unique("img").lower() + ":v1"
    name = unique("c")
    import_image_with_volume(wharfd, image)
    with volumes_removed(wharfd):
        try:
            out = run(wharfd, "--name", name, image, "sh", "-c",
                      "stat -c '%a %u %g' /data /data/seed && cat /data/seed")
            assert out == "750 1000 0\n640 1000 1000\nseed\n"
            _, data = api(wharfd, "GET", f"/containers/{name}/json")
            [point] = [m for m in data["Mounts"] if m["Destination"] == "/data"]
            assert point["Type"] == "volume" and len(point["Name"]) == 64
            assert point["Mode"] == "" and point["RW"] is True
            _, volume = api(wharfd, "GET", f"/volumes/{point['Name']}")
            assert volume["Labels"] == {"com.docker.volume.anonymous": ""}
            wharfd.docker("rm", "-v", name)
            status, _ = api(wharfd, "GET", f"/volumes/{point['Name']}")
            assert status == 404
        finally:
            wharfd.docker("rmi", "-f", image, check=False)


def test_rm_v_keeps_named_volumes_and_nocopy_leaves_them_empty(wharfd: Daemon) -> None:
    named = unique("named")
    image = unique("img").lower() + ":v1"
    name = unique("c")
    import_image_with_volume(wharfd, image)
    with volumes_removed(wharfd, named):
        try:
            out = run(wharfd, "--name", name, "-v", f"{named}:/data:nocopy", "-v", "/anon",
                      image, "ls", "-A", "/data")
            assert out == ""
            _, data = api(wharfd, "GET", f"/containers/{name}/json")
            anonymous = [m["Name"] for m in data["Mounts"] if m["Destination"] == "/anon"]
            assert len(anonymous) == 1
            wharfd.docker("rm", "-v", name)
            assert api(wharfd, "GET", f"/volumes/{named}")[0] == 200
            assert api(wharfd, "GET", f"/volumes/{anonymous[0]}")[0] == 404
        finally:
            wharfd.docker("rmi", "-f", image, check=False)


def test_a_volume_in_use_is_not_removed(wharfd: Daemon) -> None:
    volume = unique("busy")
    name = unique("c")
    with volumes_removed(wharfd, volume):
        wharfd.docker("create", "--name", name, "-v", f"{volume}:/data", "busybox")
        _, data = api(wharfd, "GET", f"/containers/{name}/json")
        status, answer = api(wharfd, "DELETE", f"/volumes/{volume}")
        assert status == 409
        assert answer["message"] == f"remove {volume}: volume is in use - [{data['Id']}]"
        res = wharfd.docker("volume", "rm", "-f", volume, check=False)
        assert res.returncode == 1 and b"volume is in use" in res.stderr
        wharfd.docker("rm", name)
        wharfd.docker("volume", "rm", volume)
        assert api(wharfd, "GET", f"/volumes/{volume}") == (
            404, {"message": f"get {volume}: no such volume"})


def test_a_tmpfs_volume_is_mounted_while_used(wharfd: Daemon) -> None:
    volume = unique("tmpfs")
    with volumes_removed(wharfd, volume):
        wharfd.docker("volume", "create", "--driver", "local", "--opt", "type=tmpfs",
                      "--opt", "device=tmpfs", "--opt", "o=size=4m,uid=1000", volume)
        out = run(wharfd, "--rm", "-v", f"{volume}:/data", "busybox", "sh", "-c",
                  "grep ' /data ' /proc/mounts; stat -c %u /data; echo x > /data/f")
        assert out.startswith("tmpfs /data tmpfs") and "size=4096k" in out
        assert out.endswith("1000\n")
        mountpoint = str(wharfd.data_root / "volumes" / volume / "_data")
        assert mountpoint not in Path(MOUNTS_FILE).read_text()  # unmounted: no user left
        assert run(wharfd, "--rm", "-v", f"{volume}:/data", "busybox", "ls", "/data") == ""


def test_volumes_from_shares_volumes_read_only(wharfd: Daemon) -> None:
    volume = unique("from")
    source = unique("src")
    with volumes_removed(wharfd, volume):
        run(wharfd, "--name", source, "-v", f"{volume}:/shared", "busybox",
            "sh", "-c", "echo hi > /shared/f")
        out = run(wharfd, "--rm", "--volumes-from", f"{source}:ro", "busybox",
                  "sh", "-c", "cat /shared/f; touch /shared/g 2>&1 || true")
        assert out.startswith("hi\n") and "Read-only file system" in out


def test_a_bind_backed_volume_shows_the_host_directory(wharfd: Daemon) -> None:
    volume, read_only = unique("bound"), unique("bound-ro")
    with tempfile.TemporaryDirectory() as host_dir, volumes_removed(wharfd, volume, read_only):
        wharfd.docker("volume", "create", "--opt", "type=none", "--opt", f"device={host_dir}",
                      "--opt", "o=bind", volume)
        wharfd.docker("volume", "create", "--opt", "type=none", "--opt", f"device={host_dir}",
                      "--opt", "o=bind,ro", read_only)
        run(wharfd, "--rm", "-v", f"{volume}:/data", "busybox", "sh", "-c",
            "echo through > /data/f")
        assert (Path(host_dir) / "f").read_text() == "through\n"
        out = run(wharfd, "--rm", "-v", f"{read_only}:/data", "busybox", "sh", "-c",
                  "cat /data/f; touch /data/g 2>&1 || true")
        assert out.startswith("through\n") and "Read-only file system" in out
        mounts = Path(MOUNTS_FILE).read_text()
        assert str(wharfd.data_root / "volumes" / volume) not in mounts


def test_ps_filters_on_volumes(wharfd: Daemon) -> None:
    volume, name = unique("ps"), unique("c")
    with volumes_removed(wharfd, volume):
        wharfd.docker("create", "--name", name, "-v", f"{volume}:/data", "busybox")
        by_name = wharfd.docker("ps", "-a", "-q", "--no-trunc", "--filter", f"volume={volume}")
        by_path = wharfd.docker("ps", "-a", "-q", "--no-trunc", "--filter", "volume=/data")
        _, data = api(wharfd, "GET", f"/containers/{name}/json")
        assert by_name.stdout.decode().split() == [data["Id"]]
        assert data["Id"] in by_path.stdout.decode().split()
        assert wharfd.docker("ps", "-a", "-q", "--filter",
                             f"volume={volume}-none").stdout == b""


def test_docker_py_volumes(wharfd: Daemon) -> None:
    import docker

    volume = unique("py")
    client = docker.DockerClient(base_url=wharfd.host, version="1.47", timeout=60)
    with volumes_removed(wharfd, volume):
        made = client.volumes.create(volume, labels={"via": "docker-py"})
        assert made.name == volume and made.attrs["Labels"] == {"via": "docker-py"}
        assert volume in [v.name for v in client.volumes.list(filters={"label": "via"})]
        out = client.containers.run("busybox", ["sh", "-c", "echo py > /v/f; cat /v/f"],
                                    volumes={volume: {"bind": "/v", "mode": "rw"}},
                                    remove=True)
        assert out == b"py\n"
        client.volumes.get(volume).remove()
        with pytest.raises(docker.errors.NotFound):
            client.volumes.get(volume)
    client.close()


def test_mount_volume_opts_make_a_tmpfs_volume_and_a_bad_device_fails_the_start(
        wharfd: Daemon) -> None:
    volume, broken = unique("mopt"), unique("broken")
    with volumes_removed(wharfd, volume, broken):
        out = run(wharfd, "--rm", "--mount",
                  f"type=volume,src={volume},dst=/v,volume-opt=type=tmpfs,"
                  "volume-opt=device=tmpfs,volume-opt=o=size=2m", "busybox",
                  "sh", "-c", "grep ' /v ' /proc/mounts")
        assert out.startswith("tmpfs /v tmpfs") and "size=2048k" in out
        _, shown = api(wharfd, "GET", f"/volumes/{volume}")
        assert shown["Options"] == {"type": "tmpfs", "device": "tmpfs", "o": "size=2m"}
        wharfd.docker("volume", "create", "--opt", "type=ext4", "--opt",
                      "device=/nonexistent-wharf-device", broken)
        res = wharfd.docker("run", "--rm", "-v", f"{broken}:/b", "busybox", "true",
                            check=False)
        assert res.returncode != 0
        assert b"error while mounting volume" in res.stderr
        assert b"No such file or directory" in res.stderr
        assert run(wharfd, "--rm", "-v", f"{volume}:/v", "busybox", "true") == ""


def test_a_tmpfs_flag_takes_the_place_of_an_image_volume(wharfd: Daemon) -> None:
    image = unique("img").lower() + ":v1"
    import_image_with_volume(wharfd, image)
    with volumes_removed(wharfd):
        try:
            out = run(wharfd, "--rm", "--tmpfs", "/data", image, "sh", "-c",
                      "grep ' /data ' /proc/mounts | cut -d' ' -f1; ls -A /data")
            assert out == "tmpfs\n"
        finally:
            wharfd.docker("rmi", "-f", image, check=False)


def test_cp_reaches_a_stopped_containers_named_volume(wharfd: Daemon) -> None:
    """``docker cp`` into a created container lands in its volume (through the volume's
    source, as dockerd mounts it for the copy), and a later container sees it."""
    volume, name = unique("cp"), unique("c")
    with volumes_removed(wharfd, volume), tempfile.TemporaryDirectory() as work:
        wharfd.docker("create", "--name", name, "-v", f"{volume}:/data", "busybox")
        source = Path(work) / "note"
        source.write_text("copied\n")
        wharfd.docker("cp", str(source), f"{name}:/data/note")
        assert run(wharfd, "--rm", "-v", f"{volume}:/v", "busybox", "cat", "/v/note") == \
            "copied\n"
