"""Optional HTTP basic authentication against an htpasswd file of bcrypt hashes.

Only bcrypt entries (``user:$2y$...``, ``$2a$``, ``$2b$``) are accepted, as CNCF distribution
does; any other line makes the file refused at start. bcrypt is slow on purpose, so a check runs
in a worker thread and the credentials that passed are remembered (as a sha256, in a bounded
table) for the life of the process.

An unknown user costs the same bcrypt as a known one (against a hash made at load with the
file's highest cost), so the time of a 401 does not tell which users exist. At most
``MAX_CONCURRENT_CHECKS`` bcrypt checks run at once: a flood of wrong passwords queues up
instead of taking every worker thread (uploads hash and fsync in those threads too).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import os
from collections import OrderedDict
from pathlib import Path

import bcrypt

__all__ = ["Htpasswd", "HtpasswdError", "basic_credentials"]

REALM = "wharf-registry"
MAX_CONCURRENT_CHECKS = 4
_REMEMBERED_MAX = 1024
_BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")


class HtpasswdError(ValueError):
    """The htpasswd file cannot be used."""


class Htpasswd:
    """Users and their bcrypt hashes, checked against Basic credentials."""

    def __init__(self, entries: dict[str, bytes]) -> None:
        self._entries = entries
        self._passed: OrderedDict[bytes, None] = OrderedDict()
        self._decoy = bcrypt.hashpw(os.urandom(16).hex().encode(), bcrypt.gensalt(_cost(entries)))
        self._checking = asyncio.Semaphore(MAX_CONCURRENT_CHECKS)

    @classmethod
    def load(cls, path: Path) -> Htpasswd:
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise HtpasswdError(f"cannot read htpasswd file {path}: {exc}") from exc
        entries: dict[str, bytes] = {}
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            user, sep, hashed = line.strip().partition(":")
            if not sep or not user or not hashed.startswith(_BCRYPT_PREFIXES):
                raise HtpasswdError(f"{path}:{number}: not a 'user:bcrypt-hash' entry")
            entries[user] = hashed.encode()
        if not entries:
            raise HtpasswdError(f"{path}: no users")
        return cls(entries)

    async def check(self, user: str, password: str) -> bool:
        known = self._entries.get(user)
        hashed = self._decoy if known is None else known
        key = hashlib.sha256(b"%s\0%s\0%s" % (user.encode(), password.encode(), hashed)).digest()
        if known is not None and key in self._passed:
            return True
        async with self._checking:
            ok = await asyncio.to_thread(_bcrypt_matches, password.encode(), hashed)
        ok = ok and known is not None
        if ok:
            self._passed[key] = None
            while len(self._passed) > _REMEMBERED_MAX:
                self._passed.popitem(last=False)
        return ok


def _cost(entries: dict[str, bytes]) -> int:
    """The highest bcrypt cost among ``entries`` (``$2y$<cost>$...``), within bcrypt's 4..31."""
    costs = [int(h[4:6]) for h in entries.values() if h[4:6].isdigit() and h[6:7] == b"$"]
    return min(max([*costs, 4]), 31)


def _bcrypt_matches(password: bytes, hashed: bytes) -> bool:
    # bcrypt ignores bytes past 72; refuse them instead of matching a prefix.
    if len(password) > 72:
        return False
    try:
        return bcrypt.checkpw(password, hashed)
    except ValueError:
        return False


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """``(user, password)`` from an ``Authorization: Basic`` header, None when absent or bad."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None
