"""Content digests: ``sha256:<64 lowercase hex>`` (OCI image-spec "Digests")."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Protocol

from wharf.core.errors import InvalidParameter

__all__ = ["SHA256", "Digest", "Hasher", "is_digest"]

SHA256 = "sha256"
_DIGEST_RE = re.compile(r"^sha256:[a-f0-9]{64}$")
_ANY_DIGEST_RE = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")


class Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def hexdigest(self) -> str: ...


def is_digest(text: str) -> bool:
    """True when ``text`` is a valid sha256 digest."""
    return bool(_DIGEST_RE.fullmatch(text))


@dataclass(frozen=True, order=True)
class Digest:
    """A validated sha256 digest; ``str(d)`` is ``sha256:<hex>``."""

    algorithm: str
    hex: str

    def __post_init__(self) -> None:
        if self.algorithm != SHA256 or not re.fullmatch(r"[a-f0-9]{64}", self.hex):
            raise InvalidParameter(f"invalid digest: {self.algorithm}:{self.hex}")

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hex}"

    @classmethod
    def parse(cls, text: str) -> Digest:
        """Parse ``sha256:<hex>``; InvalidParameter otherwise (unknown algorithms included)."""
        algorithm, sep, hex_ = text.partition(":")
        if not sep or not _ANY_DIGEST_RE.fullmatch(text):
            raise InvalidParameter(f"invalid digest format: {text!r}")
        if algorithm != SHA256:
            raise InvalidParameter(f"unsupported digest algorithm: {algorithm}")
        return cls(algorithm, hex_)

    @classmethod
    def from_bytes(cls, data: bytes) -> Digest:
        return cls(SHA256, hashlib.sha256(data).hexdigest())

    @classmethod
    def from_hasher(cls, hasher: Hasher) -> Digest:
        return cls(SHA256, hasher.hexdigest())

    @staticmethod
    def hasher() -> Hasher:
        return hashlib.sha256()

    @property
    def short(self) -> str:
        """The 12-hex form Docker shows for ids."""
        return self.hex[:12]
