"""Upload sessions: ``<root>/uploads/<id>/{data,repository}``.

The sha256 of the bytes received so far is kept in memory per session (hashlib states cannot be
saved), so finishing an upload does not read it back; after a restart, or for a session evicted
from the bounded table, the file is hashed again at the end.

Sessions are capped (``max_open``, 4096 by default): each one is a directory, and a client
that only ever POSTs would otherwise fill the disk's inodes. At the cap, sessions untouched for
a day are dropped; if none is, the POST is refused with TOOMANYREQUESTS (429).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from wharf.core.digest import Digest, Hasher
from wharf.lib.atomicfile import write_atomic
from wharf.registry.server.errors import RegistryError

__all__ = ["Upload", "UploadStore"]

MAX_TRACKED = 256
MAX_OPEN = 4096
STALE_AT_CAP = 24 * 3600
HASH_CHUNK = 1 << 20
_UPLOAD_ID_RE = re.compile(r"[a-f0-9]{32}")


@dataclass
class Upload:
    """One session: its id, repository, data file, and (when known) the hash of its bytes."""

    id: str
    repository: str
    directory: Path
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    hasher: Hasher | None = None
    hashed: int = 0

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def size(self) -> int:
        return self.data.stat().st_size

    def digest(self) -> Digest:
        """The digest of the bytes written so far (re-reading the file when not tracked)."""
        if self.hasher is None or self.hashed != self.size():
            self.hasher = Digest.hasher()
            self.hashed = 0
            with self.data.open("rb") as file:
                while chunk := file.read(HASH_CHUNK):
                    self.hasher.update(chunk)
                    self.hashed += len(chunk)
        return Digest.from_hasher(self.hasher)


class UploadStore:
    """Creates, finds and removes upload sessions."""

    def __init__(self, root: Path, max_open: int = MAX_OPEN) -> None:
        self._dir = root / "uploads"
        self._dir.mkdir(parents=True, exist_ok=True)
        self._open: OrderedDict[str, Upload] = OrderedDict()
        self._max_open = max_open
        self._count = sum(1 for _ in self._dir.iterdir())

    def start(self, repository: str) -> Upload:
        if self._count >= self._max_open and not self.purge_older_than(STALE_AT_CAP):
            raise RegistryError(
                "TOOMANYREQUESTS", f"too many uploads in progress ({self._max_open})"
            )
        upload_id = uuid.uuid4().hex  # 122 random bits: not guessable
        directory = self._dir / upload_id
        directory.mkdir()
        self._count += 1
        write_atomic(directory / "repository", repository.encode(), durable=False)
        (directory / "data").touch()
        upload = Upload(upload_id, repository, directory, hasher=Digest.hasher())
        self._track(upload)
        return upload

    def get(self, repository: str, upload_id: str) -> Upload:
        """The session ``upload_id`` of ``repository``, or BLOB_UPLOAD_UNKNOWN."""
        if not _UPLOAD_ID_RE.fullmatch(upload_id):
            raise RegistryError("BLOB_UPLOAD_UNKNOWN", detail={"uuid": upload_id[:64]})
        upload = self._open.get(upload_id)
        if upload is None:
            upload = self._load(upload_id)
        if upload is None or upload.repository != repository:
            raise RegistryError("BLOB_UPLOAD_UNKNOWN", detail={"uuid": upload_id[:64]})
        self._open.move_to_end(upload_id)
        return upload

    def check_open(self, upload: Upload) -> None:
        """BLOB_UPLOAD_UNKNOWN when ``upload`` ended (finished or cancelled by a request that
        held its lock first)."""
        if not upload.data.is_file():
            raise RegistryError("BLOB_UPLOAD_UNKNOWN", detail={"uuid": upload.id})

    def remove(self, upload: Upload) -> None:
        self._open.pop(upload.id, None)
        self._rmtree(upload.directory)

    def _rmtree(self, directory: Path) -> None:
        if directory.exists():  # removed once, counted once (a failed publish removes early)
            shutil.rmtree(directory, ignore_errors=True)
            self._count -= 1

    def purge_older_than(self, seconds: float) -> int:
        """Remove sessions untouched for ``seconds`` (abandoned pushes); how many went."""
        limit = time.time() - seconds
        removed = 0
        for directory in self._dir.iterdir():
            with contextlib.suppress(FileNotFoundError):
                touched = max(directory.stat().st_mtime, (directory / "data").stat().st_mtime)
                if touched < limit:
                    self._rmtree(directory)
                    self._open.pop(directory.name, None)
                    removed += 1
        return removed

    def _load(self, upload_id: str) -> Upload | None:
        directory = self._dir / upload_id
        try:
            repository = (directory / "repository").read_text()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not (directory / "data").is_file():
            return None
        upload = Upload(upload_id, repository, directory)
        self._track(upload)
        return upload

    def _track(self, upload: Upload) -> None:
        self._open[upload.id] = upload
        for upload_id in list(self._open):  # oldest first; a session in use stays tracked
            if len(self._open) <= MAX_TRACKED:
                break
            if not self._open[upload_id].lock.locked():
                del self._open[upload_id]
