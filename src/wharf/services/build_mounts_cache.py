"""``RUN --mount=type=cache`` directories: persistent under ``<root>/build/cache-mounts``,
one per cache id, kept between builds until pruned.

Layout: ``<sha256(id)>/data/`` is what a RUN sees, ``<sha256(id)>/meta.json`` says
``{"id", "target", "created", "last_used", "usage_count"}``; ``<sha256(id)>/private/<hex>/``
are the fresh directories ``sharing=private`` hands out while the cache is in use (dropped
when released). Sharing as BuildKit's: ``shared`` lets any number of RUNs use it at once,
``locked`` waits until nobody else uses it (and keeps others out meanwhile), ``private``
uses it when free and a fresh directory otherwise. Use counts live in this object: one per
daemon, so concurrent builds see each other.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wharf.core.errors import Unavailable
from wharf.core.timefmt import now_rfc3339, seconds_rfc3339
from wharf.lib.atomicfile import write_text_atomic
from wharf.lib.disk_usage import tree_size

__all__ = ["CacheLease", "CacheMounts", "cache_key", "own"]

DEFAULT_WAIT = 1800.0  # seconds a locked cache is waited for, at most


def cache_key(cache_id: str) -> str:
    return hashlib.sha256(cache_id.encode()).hexdigest()


@dataclass(frozen=True)
class CacheLease:
    """A cache directory handed to one RUN; give it back with ``CacheMounts.release``."""

    key: str
    path: Path
    locked: bool = False
    private: bool = False


class CacheMounts:
    """Persistent ``type=cache`` directories under ``<root>/build/cache-mounts``."""

    def __init__(self, root: Path, wait_timeout: float = DEFAULT_WAIT) -> None:
        self.root = root
        self._wait_timeout = wait_timeout
        self._cond = threading.Condition()
        self._users: dict[str, int] = {}
        self._locked: set[str] = set()

    # ---- leases ---------------------------------------------------------------------------
    def acquire(self, cache_id: str, target: str, sharing: str, *, mode: int = 0o755,
                uid: int | None = None, gid: int | None = None) -> CacheLease:
        """The directory for ``cache_id`` (made with ``mode``/``uid``/``gid`` the first
        time; the owner is the daemon's, root, unless given). Blocks while a ``locked``
        user holds it (or, for ``locked``, while anyone does), at most ``wait_timeout``
        seconds: call it from a worker thread."""
        key = cache_key(cache_id)
        with self._cond:
            if sharing == "locked":
                self._wait(cache_id, lambda: self._users.get(key, 0) == 0)
                self._locked.add(key)
            elif sharing == "shared":
                self._wait(cache_id, lambda: key not in self._locked)
            private = sharing == "private" and self._users.get(key, 0) > 0
            if not self._users.get(key):  # nobody has one: private dirs a crash left behind
                shutil.rmtree(self.root / key / "private", ignore_errors=True)
            self._users[key] = self._users.get(key, 0) + 1
        lease = CacheLease(key, self.root / key / "data", locked=sharing == "locked")
        try:
            with self._cond:
                self._ensure(key, cache_id, target, (mode, uid, gid))
            if private:
                lease = CacheLease(key, self.root / key / "private" / secrets.token_hex(8),
                                   private=True)
                lease.path.mkdir(parents=True, mode=0o700)
                own(lease.path, mode, uid, gid)
        except BaseException:
            self.release(lease)
            raise
        return lease

    def release(self, lease: CacheLease) -> None:
        if lease.private:
            shutil.rmtree(lease.path, ignore_errors=True)
        with self._cond:
            remaining = self._users.get(lease.key, 0) - 1
            if remaining > 0:
                self._users[lease.key] = remaining
            else:
                self._users.pop(lease.key, None)
            if lease.locked:
                self._locked.discard(lease.key)
            self._cond.notify_all()

    def _wait(self, cache_id: str, ready: Callable[[], bool]) -> None:
        if not self._cond.wait_for(ready, timeout=self._wait_timeout):
            raise Unavailable(f"timed out after {self._wait_timeout:.0f}s waiting for the "
                              f"cache mount {cache_id!r} another build holds locked")

    def _ensure(self, key: str, cache_id: str, target: str,
                owner: tuple[int, int | None, int | None]) -> None:
        """The cache's data directory, made if missing; its meta updated for this use."""
        data = self.root / key / "data"
        meta = self._read_meta(key)
        if not data.is_dir():
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            (self.root / key).mkdir(exist_ok=True, mode=0o700)
            data.mkdir(mode=0o700)
            own(data, *owner)
            meta = {"id": cache_id, "target": target, "created": now_rfc3339(),
                    "usage_count": 0}
        meta["last_used"] = now_rfc3339()
        meta["usage_count"] = int(meta.get("usage_count") or 0) + 1
        write_text_atomic(self.root / key / "meta.json", json.dumps(meta), 0o600)

    def _read_meta(self, key: str) -> dict[str, Any]:
        try:
            meta = json.loads((self.root / key / "meta.json").read_text())
        except (OSError, ValueError):
            return {}
        return meta if isinstance(meta, dict) else {}

    # ---- system df and prune --------------------------------------------------------------
    def usage(self) -> list[dict[str, Any]]:
        """``system df``'s BuildCache entries for the cache mounts (BuildKit's shape)."""
        entries = []
        for key in self._keys():
            meta = self._read_meta(key)
            target, cache_id = str(meta.get("target") or ""), str(meta.get("id") or "")
            description = f"cached mount {target} from exec"
            if cache_id and cache_id != target:
                description += f" with id {json.dumps(cache_id)}"
            with self._cond:
                in_use = self._users.get(key, 0) > 0
            entries.append({
                "ID": key, "Parents": None, "Type": "exec.cachemount",
                "Description": description, "InUse": in_use, "Shared": False,
                "Size": tree_size(self.root / key / "data")
                + tree_size(self.root / key / "private"),
                "CreatedAt": meta.get("created") or self._made_at(key),
                "LastUsedAt": meta.get("last_used"),
                "UsageCount": int(meta.get("usage_count") or 0),
            })
        return entries

    def _made_at(self, key: str) -> str:
        """For a cache whose meta was lost: when its directory was made (Go clients need a
        time here)."""
        try:
            return seconds_rfc3339(os.stat(self.root / key).st_mtime)
        except OSError:
            return now_rfc3339()

    def prune(self, everything: bool, used_before: float | None = None
              ) -> tuple[list[str], int]:
        """Remove the cache mounts no RUN is using (and, with ``used_before``, changed
        before it: unix seconds); ids removed and bytes reclaimed. With or without
        ``everything`` (BuildKit's plain prune removes cache mounts too)."""
        removed, reclaimed = [], 0
        for key in self._keys():
            trash = self.root / f".trash-{secrets.token_hex(8)}"
            with self._cond:
                if self._users.get(key, 0) > 0:
                    continue
                if used_before is not None and (self.root / key).stat().st_mtime >= used_before:
                    continue
                os.rename(self.root / key, trash)
            reclaimed += tree_size(trash)
            shutil.rmtree(trash, ignore_errors=True)
            removed.append(key)
        for leftover in self.root.glob(".trash-*"):  # a prune cut short by a crash
            shutil.rmtree(leftover, ignore_errors=True)
        return removed, reclaimed

    def _keys(self) -> list[str]:
        try:
            names = sorted(os.listdir(self.root))
        except FileNotFoundError:
            return []
        return [n for n in names if len(n) == 64 and not n.startswith(".")]


def own(path: Path, mode: int, uid: int | None, gid: int | None) -> None:
    """``mode``, and the owner where one is given (else the daemon's stays)."""
    if uid is not None or gid is not None:
        os.chown(path, -1 if uid is None else uid, -1 if gid is None else gid)
    os.chmod(path, mode)
