"""The local side of ``wharf cp``: docker's ``PrepareArchiveCopy`` cases, and an extraction
that never leaves its destination."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from wharf.cli.command import CommandFailed
from wharf.cli.commands.cp import split_cp_arg
from wharf.cli.commands.cp_local import (
    ChunkReader,
    CopyPlan,
    extract,
    plan_copy,
    split_dir_entry,
    tar_source,
)


@pytest.mark.parametrize(("arg", "parts"), [
    ("c1:/etc/passwd", ("c1", "/etc/passwd")),
    ("./c1:x", ("", "./c1:x")),
    ("/abs:x", ("", "/abs:x")),
    ("plain", ("", "plain")),
    ("-", ("", "-")),
])
def test_split_cp_arg(arg: str, parts: tuple[str, str]) -> None:
    assert split_cp_arg(arg) == parts


@pytest.mark.parametrize(("path", "parts"), [
    ("/etc/passwd", ("/etc", "passwd")),
    ("/etc/", ("/", "etc")),
    ("/etc/.", ("/etc", ".")),
    ("rel", (".", "rel")),
    ("/", ("/", "/")),
])
def test_split_dir_entry(path: str, parts: tuple[str, str]) -> None:
    assert split_dir_entry(path) == parts


def test_into_an_existing_directory_names_stay() -> None:
    plan = plan_copy("/etc/passwd", False, "/out", True, True)
    assert (plan.directory, plan.rename("passwd")) == ("/out", "passwd")


def test_to_a_new_name_the_top_entry_is_renamed() -> None:
    plan = plan_copy("/etc", True, "/out/new", False, False)
    assert plan.directory == "/out"
    assert plan.rename("etc") == "new"
    assert plan.rename("etc/passwd") == "new/passwd"
    assert plan.rename("etcetera") == "etcetera"


def test_dockers_errors() -> None:
    with pytest.raises(CommandFailed, match="cannot copy directory"):
        plan_copy("/etc", True, "/out/file", True, False)
    with pytest.raises(CommandFailed, match="no such directory"):
        plan_copy("/etc/passwd", False, "/out/missing/", False, False)


def test_a_containers_root_is_renamed_from_its_absolute_names() -> None:
    plan = CopyPlan("/out", "/", "rootfs")
    assert plan.rename("/") == "rootfs"
    assert plan.rename("/bin/sh") == "rootfs/bin/sh"


def hostile_tar(*members: tarfile.TarInfo) -> io.BytesIO:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for member in members:
            tar.addfile(member, io.BytesIO(b"x" * member.size) if member.isreg() else None)
    buf.seek(0)
    return buf


def entry(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    info.size = 1 if kind == tarfile.REGTYPE else 0
    return info


def test_nothing_is_written_through_a_symlink_to_the_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    tar = hostile_tar(entry("esc", tarfile.SYMTYPE, str(outside)), entry("esc/pwned"))
    with pytest.raises(CommandFailed):
        extract(tar, CopyPlan(str(dest)), keep_owner=False)
    assert not (outside / "pwned").exists()
    assert os.readlink(dest / "esc") == str(outside)  # the link itself is fine


def test_dotdot_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandFailed):
        extract(hostile_tar(entry("../evil")), CopyPlan(str(tmp_path)), keep_owner=False)
    assert not (tmp_path.parent / "evil").exists()


def test_modes_survive_a_round_trip(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "run.sh").write_text("#!/bin/sh\n")
    os.chmod(source / "run.sh", 0o751)
    os.chmod(source, 0o700)
    reader = ChunkReader(tar_source(str(source), "copy", follow_link=False))
    extract(reader, CopyPlan(str(tmp_path)), keep_owner=False)  # type: ignore[arg-type]
    assert (tmp_path / "copy" / "run.sh").read_text() == "#!/bin/sh\n"
    assert (tmp_path / "copy" / "run.sh").stat().st_mode & 0o7777 == 0o751
    assert (tmp_path / "copy").stat().st_mode & 0o7777 == 0o700
    assert reader.count > 0
