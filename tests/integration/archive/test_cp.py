"""``wharf cp`` against a real wharfd: created (not started), running and stopped containers,
bytes, modes and owners round-trip, symlinks in the container never lead out of it, Docker's
errors."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.archive.helpers import containers, unique, wharf
from tests.support.daemons import Daemon
from tests.support.scratch import scratch_dir


@pytest.fixture
def work() -> Iterator[Path]:
    with scratch_dir("wharf-cp-") as path:
        yield path


def local_tree(work: Path) -> Path:
    tree = work / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "run.sh").write_bytes(b"#!/bin/sh\necho run\n")
    os.chmod(tree / "run.sh", 0o751)
    (tree / "sub" / "data.bin").write_bytes(bytes(range(256)) * 300)
    os.chmod(tree / "sub" / "data.bin", 0o640)
    os.chown(tree / "sub" / "data.bin", 4321, 4322)
    return tree


def test_cp_into_a_created_container_is_there_at_start(wharfd: Daemon, work: Path) -> None:
    with containers(wharfd) as made:
        name = unique("cp-created")
        made.append(name)
        wharf(wharfd, "create", "--name", name, "busybox", "sh", "-c",
              "cat /config/app.conf; stat -c '%a %u:%g' /config/app.conf")
        conf = work / "app.conf"
        conf.write_text("key=value\n")
        os.chmod(conf, 0o600)
        wharf(wharfd, "cp", str(work), f"{name}:/config")
        wharf(wharfd, "cp", str(conf), f"{name}:/config/app.conf")
        out = wharf(wharfd, "start", "-a", name).stdout.decode()
        assert out.splitlines() == ["key=value", "600 0:0"]


@pytest.mark.parametrize("state", ["running", "stopped"])
def test_round_trip_of_bytes_modes_and_owners(wharfd: Daemon, work: Path, state: str) -> None:
    tree = local_tree(work)
    with containers(wharfd) as made:
        name = unique(f"cp-{state}")
        made.append(name)
        wharf(wharfd, "run", "-d", "--name", name, "busybox", "sleep", "300")
        if state == "stopped":
            wharf(wharfd, "stop", "-t", "0", name)
        wharf(wharfd, "cp", "-a", str(tree), f"{name}:/srv")
        back = work / "back"
        wharf(wharfd, "cp", "-a", f"{name}:/srv", str(back))
        assert (back / "run.sh").read_bytes() == b"#!/bin/sh\necho run\n"
        assert (back / "sub" / "data.bin").read_bytes() == bytes(range(256)) * 300
        assert (back / "run.sh").stat().st_mode & 0o7777 == 0o751
        data = (back / "sub" / "data.bin").stat()
        assert data.st_mode & 0o7777 == 0o640
        assert (data.st_uid, data.st_gid) == (4321, 4322)
        plain = work / "plain"
        wharf(wharfd, "cp", f"{name}:/srv/sub/data.bin", str(plain))
        assert plain.stat().st_uid == os.getuid()  # without -a: the local user owns it


def test_contents_with_a_trailing_dot_and_tar_streams(wharfd: Daemon, work: Path) -> None:
    with containers(wharfd) as made:
        name = unique("cp-dot")
        made.append(name)
        wharf(wharfd, "run", "-d", "--name", name, "busybox", "sh", "-c",
              "mkdir -p /d/inner && echo a > /d/a && echo b > /d/inner/b && sleep 300")
        wharf(wharfd, "exec", name, "true")
        dest = work / "dest"
        dest.mkdir()
        wharf(wharfd, "cp", f"{name}:/d/.", str(dest))
        assert sorted(os.listdir(dest)) == ["a", "inner"]
        tar = wharf(wharfd, "cp", f"{name}:/d/a", "-").stdout
        wharf(wharfd, "exec", name, "mkdir", "/in")
        wharf(wharfd, "cp", "-", f"{name}:/in", stdin=tar)
        assert wharf(wharfd, "exec", name, "cat", "/in/a").stdout == b"a\n"


def test_symlinks_in_the_container_resolve_inside_it(wharfd: Daemon, work: Path) -> None:
    host_dir = work / "host-dir"
    host_dir.mkdir()
    marker = unique("marker")
    with containers(wharfd) as made:
        name = unique("cp-escape")
        made.append(name)
        wharf(wharfd, "run", "-d", "--name", name, "busybox", "sh", "-c",
              f"echo {marker} > /etc/marker && ln -s / /escape && ln -s ../../../../.. /up && "
              f"mkdir -p {host_dir} && ln -s {host_dir} /hostlink && sleep 300")
        wharf(wharfd, "exec", name, "true")
        own_passwd = work / "own-passwd"
        wharf(wharfd, "cp", f"{name}:/etc/passwd", str(own_passwd))
        assert own_passwd.read_bytes() != Path("/etc/passwd").read_bytes()
        for state in ("running", "stopped"):
            for via in ("escape", "up"):
                out = work / f"{state}-{via}"
                wharf(wharfd, "cp", f"{name}:/{via}/etc/marker", str(out))
                assert out.read_text() == f"{marker}\n"
                passwd = work / f"{state}-{via}-passwd"
                wharf(wharfd, "cp", f"{name}:/{via}/etc/passwd", str(passwd))
                assert passwd.read_bytes() == own_passwd.read_bytes()
            payload = work / f"payload-{state}"
            payload.write_text(state)
            wharf(wharfd, "cp", str(payload), f"{name}:/hostlink/")
            wharf(wharfd, "cp", str(payload), f"{name}:/escape{host_dir}/")
            assert list(host_dir.iterdir()) == []  # it landed in the container, not here
            if state == "running":
                listed = wharf(wharfd, "exec", name, "ls", str(host_dir)).stdout.decode()
                assert listed.split() == ["payload-running"]
                wharf(wharfd, "stop", "-t", "0", name)
        back = work / "landed"
        wharf(wharfd, "cp", f"{name}:{host_dir}/payload-stopped", str(back))
        assert back.read_text() == "stopped"


def test_dockers_errors(wharfd: Daemon, work: Path) -> None:
    with containers(wharfd) as made:
        name = unique("cp-errors")
        made.append(name)
        wharf(wharfd, "create", "--name", name, "busybox")
        res = wharf(wharfd, "cp", f"{name}:/no/such", str(work / "x"), check=False)
        assert res.returncode == 1
        assert res.stderr.decode() == ("Error response from daemon: Could not find the file "
                                       f"/no/such in container {name}\n")
        (work / "f").write_text("x")
        res = wharf(wharfd, "cp", str(work / "f"), f"{name}:/missing/dir/f", check=False)
        assert res.returncode == 1
        assert res.stderr.decode() == ("Error response from daemon: Could not find the file "
                                       f"/missing/dir in container {name}\n")
        res = wharf(wharfd, "cp", str(work / "f"), str(work / "g"), check=False)
        assert (res.returncode, res.stderr) == (1, b"must specify at least one container "
                                                   b"source\n")
        res = wharf(wharfd, "cp", f"{name}:/etc", str(work / "f"), check=False)
        assert (res.returncode, res.stderr) == (1, b"cannot copy directory\n")


def test_a_running_containers_tmpfs_and_bind_mounts_are_seen(wharfd: Daemon, work: Path) -> None:
    bound = work / "bound"
    bound.mkdir()
    (bound / "from-host").write_text("host side")
    with containers(wharfd) as made:
        name = unique("cp-mounts")
        made.append(name)
        wharf(wharfd, "run", "-d", "--name", name, "--tmpfs", "/scratch", "-v",
              f"{bound}:/bound", "busybox", "sh", "-c", "echo in tmpfs > /scratch/t && sleep 300")
        wharf(wharfd, "exec", name, "true")
        wharf(wharfd, "cp", f"{name}:/scratch/t", str(work / "t"))
        assert (work / "t").read_text() == "in tmpfs\n"
        wharf(wharfd, "cp", f"{name}:/bound/from-host", str(work / "h"))
        assert (work / "h").read_text() == "host side"
        (work / "to-tmpfs").write_text("copied in")
        wharf(wharfd, "cp", str(work / "to-tmpfs"), f"{name}:/scratch/")
        assert wharf(wharfd, "exec", name, "cat", "/scratch/to-tmpfs").stdout == b"copied in"
        wharf(wharfd, "cp", str(work / "to-tmpfs"), f"{name}:/bound/")
        assert (bound / "to-tmpfs").read_text() == "copied in"
        rootfs_view = wharf(wharfd, "diff", name).stdout.decode()
        assert "scratch/to-tmpfs" not in rootfs_view  # on the tmpfs, not the rw layer
