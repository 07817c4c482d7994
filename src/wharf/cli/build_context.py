"""The build context ``wharf build`` sends: a tar of the context directory that honours
``.dockerignore`` (ignored files are never read), as the docker CLI makes it.

- Entries are root's (uid/gid 0, no names), modes and mtimes kept, symlinks not followed.
- ``.dockerignore`` and the Dockerfile are always sent, even when a pattern excludes them
  (``keep_build_files``); the daemon needs them, COPY never sees them.
- ``-f`` is relative to the current directory, its symlinks resolved; a Dockerfile outside
  the context (or ``-f -``, read from stdin) goes into the tar as ``.dockerfile.<random>``,
  which is also appended to the tar's ``.dockerignore`` (docker's own trick).
- ``--secret`` files go in as ``.wharf-secret-<random>`` (mode 0600); the daemon takes them
  out of the context before the build sees it.
- A context of ``-`` is stdin: an archive (tar, maybe compressed) sent as it is, or a lone
  Dockerfile wrapped in a tar.

The tar is written to an anonymous temporary file (memory stays flat for a big context), then
streamed from there.
"""

from __future__ import annotations

import io
import os
import secrets
import tarfile
import tempfile

from wharf.cli.build_secrets import SecretSource, secret_entries
from wharf.cli.command import CommandFailed
from wharf.lib.dockerignore import keep_build_files, parse_ignore_file, walk_context

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import BinaryIO

CHUNK = 1 << 20
_COMPRESSED_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd")
_REMOTE_PREFIXES = ("http://", "https://", "git://", "git@", "github.com/")


class ContextTar:
    """The tar to send: its bytes in ``file``, the ``dockerfile`` name inside it, and the
    secrets it carries (``[{"id", "src"}]``)."""

    __slots__ = ("dockerfile", "file", "secrets", "size")

    def __init__(self, file: BinaryIO, dockerfile: str, secrets_: list[dict[str, str]]) -> None:
        self.file = file
        self.dockerfile = dockerfile
        self.secrets = secrets_
        file.seek(0, os.SEEK_END)
        self.size = file.tell()
        file.seek(0)

    def chunks(self) -> Iterator[bytes]:
        self.file.seek(0)
        while chunk := self.file.read(CHUNK):
            yield chunk

    def close(self) -> None:
        self.file.close()


def is_remote(location: str) -> bool:
    return location.startswith(_REMOTE_PREFIXES)


def make_context(location: str, dockerfile: str, stdin: BinaryIO,
                 secret_sources: list[SecretSource], env: Mapping[str, str],
                 compress: bool = False) -> ContextTar:
    """The context tar for ``wharf build [-f dockerfile] location``."""
    if location == "-" and dockerfile == "-":
        raise CommandFailed(1, "invalid argument: can't use stdin for both build context "
                               "and dockerfile")
    context_dir = "" if location == "-" else _context_dir(location)
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the ContextTar owns it
    try:
        extra: dict[str, tuple[bytes, int]] = {}
        carried = secret_entries(secret_sources, env, extra)
        if location == "-":
            name = _from_stdin(stdin, dockerfile, extra, out, compress)
        else:
            name = _from_directory(context_dir, dockerfile, stdin, extra, out, compress)
    except BaseException:
        out.close()
        raise
    return ContextTar(out, name, carried)


def _from_directory(context_dir: str, dockerfile: str, stdin: BinaryIO,
                    extra: dict[str, tuple[bytes, int]], out: BinaryIO, compress: bool) -> str:
    name, outside = _dockerfile_in(context_dir, dockerfile, stdin)
    if outside is not None:
        name = ".dockerfile." + secrets.token_hex(10)
        extra[name] = (outside, 0o600)
    with tarfile.open(fileobj=out, mode="w:gz" if compress else "w") as tar:
        ignore = _read_ignore(context_dir)
        patterns = keep_build_files(parse_ignore_file(ignore),
                                    None if outside is not None else name)
        for rel in _walked(context_dir, patterns):
            if rel == ".dockerignore" and outside is not None:
                continue  # written below, with the added Dockerfile's name in it
            _add_path(tar, context_dir, rel)
        if outside is not None:
            extra[".dockerignore"] = (ignore + f"\n{name}\n".encode(), 0o644)
        for entry, (data, mode) in extra.items():
            _add_bytes(tar, entry, data, mode)
    return name


def _walked(context_dir: str, patterns: list[str]) -> Iterator[str]:
    """The context's paths the patterns keep; an unreadable directory is docker's error."""
    try:
        yield from walk_context(context_dir, patterns)
    except PermissionError as exc:
        raise CommandFailed(1, "error checking context: no permission to read from "
                               f"'{exc.filename}'") from exc
    except OSError as exc:
        raise CommandFailed(1, f"error checking context: {exc}") from exc


def _context_dir(location: str) -> str:
    if is_remote(location):
        raise CommandFailed(125, f"unable to prepare context: remote build contexts (git "
                                 f"repositories and URLs) are not supported: {location}: "
                                 "clone or download it and build the directory")
    try:
        real = os.path.realpath(location, strict=True)
    except OSError:
        raise CommandFailed(1, f'unable to prepare context: path "{location}" not found')\
            from None
    if not os.path.isdir(real):
        raise CommandFailed(1, "unable to prepare context: context must be a directory: "
                               + os.path.abspath(location))
    return real


def _dockerfile_in(context_dir: str, given: str, stdin: BinaryIO) -> tuple[str, bytes | None]:
    """The Dockerfile's path inside the context (``/``-separated), or, when it lies outside
    (or comes from stdin), its content to add to the tar."""
    if given == "-":
        return "", read_limited(stdin, "the Dockerfile from stdin")
    path = os.path.abspath(given) if given else os.path.join(context_dir, "Dockerfile")
    if not os.path.lexists(path):
        lower = os.path.join(os.path.dirname(path), os.path.basename(path).lower())
        path = lower if os.path.lexists(lower) else path
    try:
        real = os.path.realpath(path, strict=True)
    except OSError:
        raise CommandFailed(1, "unable to prepare context: unable to evaluate symlinks in "
                               f"Dockerfile path: lstat {path}: no such file or directory")\
            from None
    rel = os.path.relpath(real, context_dir)
    if rel != ".." and not rel.startswith("../"):
        return rel.replace(os.sep, "/"), None
    if not given:  # the context's own Dockerfile links out of it
        raise CommandFailed(1, "unable to prepare context: the Dockerfile is a symlink to "
                               f"{real}, outside the build context")
    try:
        with open(real, "rb") as handle:
            return "", read_limited(handle, real)
    except OSError as exc:
        raise CommandFailed(1, f"unable to open Dockerfile: {exc}") from exc


def read_limited(stream: BinaryIO, what: str, limit: int = 16 << 20) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise CommandFailed(1, f"{what} is larger than {limit >> 20} MiB")
    return data


def _read_ignore(context_dir: str) -> bytes:
    try:
        with open(os.path.join(context_dir, ".dockerignore"), "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return b""
    except OSError as exc:
        raise CommandFailed(1, f"error reading .dockerignore: {exc}") from exc


def _add_path(tar: tarfile.TarFile, context_dir: str, rel: str) -> None:
    full = os.path.join(context_dir, rel)
    try:
        info = tar.gettarinfo(full, arcname=rel)
    except OSError as exc:
        raise CommandFailed(1, f"error checking context: can't stat '{full}': {exc.strerror}")\
            from exc
    if info is None:  # a socket: docker skips them too
        return
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if not info.isreg():
        tar.addfile(info)
        return
    try:
        with open(full, "rb") as handle:
            tar.addfile(info, handle)
    except PermissionError as exc:
        raise CommandFailed(1, f"error checking context: no permission to read from '{full}'")\
            from exc


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mode: int) -> None:
    import time

    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, int(time.time())
    tar.addfile(info, io.BytesIO(data))


def _from_stdin(stdin: BinaryIO, dockerfile: str, extra: dict[str, tuple[bytes, int]],
                out: BinaryIO, compress: bool) -> str:
    head = stdin.read(512)
    if not _is_archive(head):  # a lone Dockerfile
        data = head + read_limited(stdin, "the Dockerfile from stdin")
        with tarfile.open(fileobj=out, mode="w:gz" if compress else "w") as tar:
            for entry, (content, mode) in {"Dockerfile": (data, 0o644), **extra}.items():
                _add_bytes(tar, entry, content, mode)
        return "Dockerfile"
    if extra:
        _retar(head, stdin, out, extra)
    else:  # sent as it came
        out.write(head)
        while chunk := stdin.read(CHUNK):
            out.write(chunk)
    return dockerfile or "Dockerfile"


def _retar(head: bytes, stdin: BinaryIO, out: BinaryIO,
           extra: dict[str, tuple[bytes, int]]) -> None:
    """Copy the archive on stdin into ``out`` with the extra entries (secrets) added."""
    source = _Prefixed(head, stdin)
    try:
        with tarfile.open(fileobj=source, mode="r|*") as src, \
                tarfile.open(fileobj=out, mode="w") as tar:
            for member in src:
                tar.addfile(member, src.extractfile(member) if member.isreg() else None)
            for entry, (content, mode) in extra.items():
                _add_bytes(tar, entry, content, mode)
    except tarfile.TarError as exc:
        raise CommandFailed(1, f"the build context on stdin is not a readable tar: {exc}")\
            from exc


class _Prefixed(io.RawIOBase):
    """``head`` then the rest of ``stream``, as one readable stream."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head = head
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            count = min(len(buffer), len(self._head))
            buffer[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        data = self._stream.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def _is_archive(head: bytes) -> bool:
    return head.startswith(_COMPRESSED_MAGIC) or head[257:262] == b"ustar"
