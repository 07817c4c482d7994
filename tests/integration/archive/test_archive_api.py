"""The archive endpoints as clients call them: the stat header (HEAD and GET), Docker's 404,
``noOverwriteDirNonDir``, ``copyUIDGID`` with the container's user, a read-only rootfs."""

from __future__ import annotations

import base64
import io
import json
import tarfile
from urllib.parse import quote

from tests.integration.archive.helpers import containers, unique, wharf
from tests.support.daemons import Daemon, UnixHTTPConnection
from tests.support.scratch import scratch_dir

GO_DIR, GO_SYMLINK, GO_STICKY = 1 << 31, 1 << 27, 1 << 20


def one_file_tar(name: str, data: bytes, uid: int = 0, kind: bytes = tarfile.REGTYPE) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.type, info.uid, info.gid, info.mode = kind, uid, uid, 0o644
        info.size = len(data) if kind == tarfile.REGTYPE else 0
        tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    return buf.getvalue()


def stat_header(daemon: Daemon, name: str, path: str) -> tuple[int, dict[str, object]]:
    conn = UnixHTTPConnection(str(daemon.socket_path))
    try:
        conn.request("HEAD", f"/v1.47/containers/{name}/archive?path={quote(path)}")
        resp = conn.getresponse()
        resp.read()
        raw = resp.getheader("X-Docker-Container-Path-Stat")
        return resp.status, json.loads(base64.b64decode(raw)) if raw else {}
    finally:
        conn.close()


def test_head_reports_go_file_modes_and_link_targets(wharfd: Daemon) -> None:
    with containers(wharfd) as made:
        name = unique("api-stat")
        made.append(name)
        wharf(wharfd, "run", "-d", "--name", name, "busybox", "sh", "-c",
              "ln -s /etc/passwd /pw && sleep 300")
        wharf(wharfd, "exec", name, "true")
        status, tmp = stat_header(wharfd, name, "/tmp")
        assert status == 200
        assert tmp["name"] == "tmp"
        assert int(str(tmp["mode"])) == GO_DIR | GO_STICKY | 0o777
        status, link = stat_header(wharfd, name, "/pw")
        assert status == 200
        assert int(str(link["mode"])) & GO_SYMLINK
        assert link["linkTarget"] == "/etc/passwd"
        status, _ = stat_header(wharfd, name, "/nope")
        assert status == 404
        status, body = wharfd.request("GET", f"/containers/{name}/archive?path=/nope")
        assert status == 404
        assert json.loads(body)["message"] == f"Could not find the file /nope in container {name}"


def test_put_refuses_a_file_over_a_directory_when_asked(wharfd: Daemon) -> None:
    with containers(wharfd) as made:
        name = unique("api-nooverwrite")
        made.append(name)
        wharf(wharfd, "create", "--name", name, "busybox")
        tar = one_file_tar("etc", b"not a dir")
        status, body = wharfd.request(
            "PUT", f"/containers/{name}/archive?path=/&noOverwriteDirNonDir=1", tar)
        assert status >= 400, body
        assert b"cannot overwrite directory" in body
        status, _ = wharfd.request("HEAD", f"/containers/{name}/archive?path=/etc/passwd")
        assert status == 200  # /etc is still the directory it was
        status, body = wharfd.request("PUT", f"/containers/{name}/archive?path=/etc/passwd",
                                      tar)
        assert (status, json.loads(body)["message"]) == (
            400, "extraction point is not a directory")


def test_copy_uid_gid_takes_the_containers_user(wharfd: Daemon) -> None:
    with containers(wharfd) as made:
        name = unique("api-uidgid")
        made.append(name)
        wharf(wharfd, "create", "--name", name, "--user", "nobody", "busybox",
              "stat", "-c", "%u:%g", "/tmp/a", "/tmp/b")
        tar = one_file_tar("a", b"a", uid=777)
        status, body = wharfd.request(
            "PUT", f"/containers/{name}/archive?path=/tmp&copyUIDGID=1", tar)
        assert status == 200, body
        tar = one_file_tar("b", b"b", uid=777)
        status, body = wharfd.request("PUT", f"/containers/{name}/archive?path=/tmp", tar)
        assert status == 200, body
        out = wharf(wharfd, "start", "-a", name).stdout.decode().split()
        assert out == ["65534:65534", "777:777"]


def test_a_read_only_rootfs_refuses_extraction(wharfd: Daemon) -> None:
    with containers(wharfd) as made:
        name = unique("api-readonly")
        made.append(name)
        wharf(wharfd, "create", "--read-only", "--name", name, "busybox")
        status, body = wharfd.request("PUT", f"/containers/{name}/archive?path=/tmp",
                                      one_file_tar("a", b"a"))
        assert json.loads(body)["message"] == "container rootfs is marked read-only"
        assert status == 500  # dockerd's: a system error
        res = wharf(wharfd, "cp", "-", f"{name}:/tmp", stdin=one_file_tar("a", b"a"),
                    check=False)
        assert res.returncode == 1
        assert b"container rootfs is marked read-only" in res.stderr


def test_read_only_mounts_refuse_and_writable_ones_take_copies(wharfd: Daemon) -> None:
    with scratch_dir("wharf-cp-ro-") as host, containers(wharfd) as made:
        (host / "ro").mkdir()
        (host / "rw").mkdir()
        name = unique("api-romount")
        made.append(name)
        wharf(wharfd, "create", "--read-only", "--name", name, "-v", f"{host / 'ro'}:/ro:ro",
              "-v", f"{host / 'rw'}:/rw", "busybox", "sleep", "300")
        wharf(wharfd, "start", name)
        status, body = wharfd.request("PUT", f"/containers/{name}/archive?path=/ro",
                                      one_file_tar("a", b"a"))
        assert (status, json.loads(body)["message"]) == (500,
                                                         "mounted volume is marked read-only")
        status, body = wharfd.request("PUT", f"/containers/{name}/archive?path=/rw",
                                      one_file_tar("a", b"a"))
        assert status == 200, body
        assert (host / "rw" / "a").read_bytes() == b"a"
        assert list((host / "ro").iterdir()) == []


def test_a_stopped_containers_binds_take_and_give_copies(wharfd: Daemon) -> None:
    with scratch_dir("wharf-cp-bind-") as host, containers(wharfd) as made:
        (host / "data").mkdir()
        (host / "data" / "inside").write_text("from the bind")
        (host / "data" / "up").symlink_to("/")  # resolved inside the mount, not on the host
        name = unique("api-stopped-bind")
        made.append(name)
        wharf(wharfd, "create", "--name", name, "-v", f"{host / 'data'}:/data", "busybox",
              "cat", "/data/a")
        status, body = wharfd.request("PUT", f"/containers/{name}/archive?path=/data",
                                      one_file_tar("a", b"put while stopped"))
        assert status == 200, body
        assert (host / "data" / "a").read_bytes() == b"put while stopped"
        status, body = wharfd.request("GET", f"/containers/{name}/archive?path=/data/inside")
        assert status == 200, body
        with tarfile.open(fileobj=io.BytesIO(body)) as tar:
            member = tar.extractfile("inside")
            assert member is not None and member.read() == b"from the bind"
        status, _ = wharfd.request("GET", f"/containers/{name}/archive?path=/data/up/etc/passwd")
        assert status == 404  # "/" of the mount has no etc/passwd: the host's is not reached
        assert wharf(wharfd, "start", "-a", name).stdout == b"put while stopped"
