"""Optional HTTP basic authentication against an htpasswd file of bcrypt hashes.

Only bcrypt entries (``user:$2y$...``, ``$2a$``, ``$2b$``) are accepted, as CNCF distribution
does; any other line makes the file refused at start. bcrypt is slow on purpose, so a check runs
in a worker thread and the credentials that passed are remembered (as a sha256, in a bounded
table) for the life of the process.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
from collections import OrderedDict
from pathlib import Path

import bcrypt

__all__ = ["Htpasswd", "HtpasswdError", "basic_credentials"]

REALM = "wharf-registry"
_REMEMBERED_MAX = 1024
_BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")


class HtpasswdError(ValueError):
    """The htpasswd file cannot be used."""


class Htpasswd:
    """Users and their bcrypt hashes, checked against Basic credentials."""

    def __init__(self, entries: dict[str, bytes]) -> None:
        self._entries = entries
        self._passed: OrderedDict[bytes, None] = OrderedDict()

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
        hashed = self._entries.get(user)
        if hashed is None:
            return False
        key = hashlib.sha256(b"%s\0%s\0%s" % (user.encode(), password.encode(), hashed)).digest()
        if key in self._passed:
            return True
        ok = await asyncio.to_thread(_bcrypt_matches, password.encode(), hashed)
        if ok:
            self._passed[key] = None
            while len(self._passed) > _REMEMBERED_MAX:
                self._passed.popitem(last=False)
        return ok


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
