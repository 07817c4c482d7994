"""The context tar ``wharf build`` makes: .dockerignore, -f inside/outside, stdin, secrets."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from pathlib import Path

import pytest

from wharf.cli.build_context import ContextTar, is_remote, make_context
from wharf.cli.build_secrets import parse_secret
from wharf.cli.command import CommandFailed


def _members(tar: ContextTar) -> dict[str, tarfile.TarInfo]:
    data = b"".join(tar.chunks())
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
        return {m.name: m for m in archive.getmembers()}


def _content(tar: ContextTar, name: str) -> bytes:
    data = b"".join(tar.chunks())
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
        handle = archive.extractfile(name)
        assert handle is not None
        return handle.read()


def _context(tmp_path: Path) -> Path:
    ctx = tmp_path / "ctx"
    (ctx / "src").mkdir(parents=True)
    (ctx / "Dockerfile").write_text("FROM busybox\nCOPY . /app\n")
    (ctx / "src" / "main.c").write_text("int main(){}\n")
    (ctx / "secret.key").write_text("do not send")
    (ctx / "build").mkdir()
    (ctx / "build" / "big.o").write_bytes(b"\0" * 100)
    (ctx / "link").symlink_to("/etc/passwd")
    return ctx


def make(location: Path | str, dockerfile: str = "", stdin: bytes = b"",
         secrets: list[str] | None = None, env: dict[str, str] | None = None,
         compress: bool = False) -> ContextTar:
    return make_context(str(location), dockerfile, io.BytesIO(stdin),
                        [parse_secret(s) for s in secrets or []], env or {}, compress)


def test_dockerignore_keeps_ignored_files_out_and_build_files_in(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    (ctx / ".dockerignore").write_text("*.key\nbuild\nDockerfile\n.dockerignore\n")
    tar = make(ctx)
    members = _members(tar)
    assert set(members) == {".dockerignore", "Dockerfile", "src", "src/main.c", "link"}
    assert tar.dockerfile == "Dockerfile" and tar.secrets == []
    assert all(m.uid == 0 and m.gid == 0 and m.uname == "" for m in members.values())
    assert members["link"].issym() and members["link"].linkname == "/etc/passwd"
    tar.close()


def test_compress_gzips_the_tar(tmp_path: Path) -> None:
    tar = make(_context(tmp_path), compress=True)
    data = b"".join(tar.chunks())
    assert data[:2] == b"\x1f\x8b" and tar.size == len(data)
    assert b"main.c" in gzip.decompress(data)


def test_dockerfile_inside_the_context_is_named_by_its_path(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    (ctx / "src" / "Build.df").write_text("FROM scratch\n")
    tar = make(ctx, str(ctx / "src" / "Build.df"))
    assert tar.dockerfile == "src/Build.df"
    assert not any(name.startswith(".dockerfile.") for name in _members(tar))


def test_a_dockerfile_outside_the_context_is_added_and_ignored(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    (ctx / ".dockerignore").write_text("*.key")
    outside = tmp_path / "elsewhere.Dockerfile"
    outside.write_text("FROM scratch\n")
    tar = make(ctx, str(outside))
    assert tar.dockerfile.startswith(".dockerfile.") and len(tar.dockerfile) == 32
    members = _members(tar)
    assert members[tar.dockerfile].mode == 0o600
    assert _content(tar, tar.dockerfile) == b"FROM scratch\n"
    assert _content(tar, ".dockerignore") == f"*.key\n{tar.dockerfile}\n".encode()


def test_dockerfile_from_stdin(tmp_path: Path) -> None:
    tar = make(_context(tmp_path), "-", stdin=b"FROM busybox\nRUN true\n")
    assert _content(tar, tar.dockerfile) == b"FROM busybox\nRUN true\n"


def test_a_lowercase_dockerfile_is_found(tmp_path: Path) -> None:
    ctx = tmp_path / "c"
    ctx.mkdir()
    (ctx / "dockerfile").write_text("FROM scratch\n")
    assert make(ctx).dockerfile == "dockerfile"


def test_missing_context_or_dockerfile_are_docker_errors(tmp_path: Path) -> None:
    with pytest.raises(CommandFailed, match=r'unable to prepare context: path ".*nope" not found'):
        make(tmp_path / "nope")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CommandFailed, match="unable to evaluate symlinks in Dockerfile path"):
        make(empty)
    file = tmp_path / "file"
    file.write_text("x")
    with pytest.raises(CommandFailed, match="context must be a directory"):
        make(file)


def test_the_contexts_own_dockerfile_linking_outside_is_refused(tmp_path: Path) -> None:
    ctx = tmp_path / "c"
    ctx.mkdir()
    (tmp_path / "secret").write_text("FROM scratch\n")
    (ctx / "Dockerfile").symlink_to(tmp_path / "secret")
    with pytest.raises(CommandFailed, match="outside the build context"):
        make(ctx)


def test_remote_contexts_are_refused_with_125() -> None:
    assert is_remote("https://github.com/x/y.git") and is_remote("git@github.com:x/y")
    with pytest.raises(CommandFailed) as failed:
        make("https://example.invalid/ctx.tar")
    assert failed.value.status == 125


def test_stdin_context_a_lone_dockerfile_or_an_archive() -> None:
    tar = make("-", stdin=b"FROM busybox\n")
    assert _content(tar, "Dockerfile") == b"FROM busybox\n"
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as out:
        info = tarfile.TarInfo("Df")
        info.size = 4
        out.addfile(info, io.BytesIO(b"FROM"))
    sent = make("-", "Df", stdin=archive.getvalue())
    assert b"".join(sent.chunks()) == archive.getvalue()  # as it came
    assert sent.dockerfile == "Df"
    with pytest.raises(CommandFailed, match="stdin for both"):
        make("-", "-")


def test_secrets_travel_in_the_tar_under_made_up_names(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    token = tmp_path / "token"
    token.write_text("s3cret")
    tar = make(ctx, secrets=[f"id=tok,src={token}", "id=env1,env=MY_VAR"],
               env={"MY_VAR": "from-env"})
    ids = {s["id"]: s["src"] for s in tar.secrets}
    assert set(ids) == {"tok", "env1"}
    assert all(src.startswith(".wharf-secret-") for src in ids.values())
    assert _content(tar, ids["tok"]) == b"s3cret"
    assert _content(tar, ids["env1"]) == b"from-env"
    assert _members(tar)[ids["tok"]].mode == 0o600
    # an archive on stdin is copied with the secret added
    plain = io.BytesIO()
    with tarfile.open(fileobj=plain, mode="w") as out:
        info = tarfile.TarInfo("Dockerfile")
        info.size = 4
        out.addfile(info, io.BytesIO(b"FROM"))
    tar = make("-", stdin=plain.getvalue(), secrets=[f"id=tok,src={token}"])
    assert {"Dockerfile", tar.secrets[0]["src"]} == set(_members(tar))


@pytest.mark.parametrize("spec", ["id=a,bogus=1", "src=", "id=a,type=ssh", "novalue"])
def test_bad_secret_specs_are_refused(spec: str) -> None:
    with pytest.raises(CommandFailed) as failed:
        parse_secret(spec)
    assert failed.value.status == 125


def test_a_missing_secret_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CommandFailed, match="failed to read secret a"):
        make(_context(tmp_path), secrets=[f"id=a,src={tmp_path / 'none'}"])


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_an_error_checking_context(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    (ctx / "secret.key").chmod(0)
    with pytest.raises(CommandFailed, match="no permission to read from"):
        make(ctx)
    (ctx / "secret.key").chmod(0o644)
    (ctx / "src").chmod(0)
    try:
        with pytest.raises(CommandFailed, match=r"no permission to read from '.*src'"):
            make(ctx)
    finally:
        (ctx / "src").chmod(0o755)
