"""Detach keys: the key sequence that ends an attached TTY session while the container (or
exec process) keeps running. Docker's spec: comma-separated keys, each a single character or
``ctrl-<value>`` with ``<value>`` a letter or one of ``@ [ \\ ] ^ _``; the default is
``ctrl-p,ctrl-q``.

``EscapeDetector`` watches what the user types: bytes that may start the sequence are held
back; a complete sequence means "detach" (it is never forwarded); held bytes that turn out not
to be the sequence are forwarded, in order, with what followed them.
"""

from __future__ import annotations

DEFAULT_DETACH_KEYS = "ctrl-p,ctrl-q"

_CTRL_SYMBOLS = {"@": 0, "[": 27, "\\": 28, "]": 29, "^": 30, "_": 31}


def parse_detach_keys(spec: str) -> bytes:
    """The bytes of a detach-key spec; ``ValueError`` naming the bad key."""
    keys = bytearray()
    for key in spec.split(","):
        if len(key) == 1:
            if not key.isascii():
                raise ValueError(f"Unknown character: '{key}'")
            keys.append(ord(key))
            continue
        lowered = key.lower()
        if not lowered.startswith("ctrl-") or len(lowered) != 6:
            raise ValueError(f"Unknown character: '{key}'")
        value = lowered[5]
        if "a" <= value <= "z":
            keys.append(ord(value) - ord("a") + 1)
        elif value in _CTRL_SYMBOLS:
            keys.append(_CTRL_SYMBOLS[value])
        else:
            raise ValueError(f"Unknown character: '{key}'")
    return bytes(keys)


class EscapeDetector:
    """Filters one input stream for the detach sequence ``keys``."""

    def __init__(self, keys: bytes) -> None:
        if not keys:
            raise ValueError("an empty detach sequence")
        self._keys = keys
        self._held = b""
        self.detached = False

    def feed(self, data: bytes) -> bytes:
        """What to forward of ``data``; sets ``detached`` (and forwards nothing after the
        sequence) when the sequence is complete."""
        if self.detached:
            return b""
        out = bytearray()
        pending = self._held + data
        start = 0
        while start < len(pending):
            hit = pending.find(self._keys[0], start)
            if hit < 0:
                out += pending[start:]
                self._held = b""
                return bytes(out)
            out += pending[start:hit]
            matched = _common_prefix(pending[hit:], self._keys)
            if matched == len(self._keys):
                self.detached = True
                self._held = b""
                return bytes(out)
            if hit + matched == len(pending):  # the input ended inside the sequence: hold it
                self._held = pending[hit:]
                return bytes(out)
            out += pending[hit:hit + 1]  # not the sequence: this byte goes, look again after it
            start = hit + 1
        self._held = b""
        return bytes(out)

    def flush(self) -> bytes:
        """The held bytes, when the input ends."""
        held, self._held = self._held, b""
        return held


def _common_prefix(data: bytes, keys: bytes) -> int:
    count = 0
    for have, want in zip(data, keys, strict=False):
        if have != want:
            break
        count += 1
    return count
