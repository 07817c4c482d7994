"""A Debian 12 (bookworm) root filesystem as a tar, made with debootstrap and cached.

``debian_rootfs_tar(variant)`` returns the path of ``debian-12-<variant>.tar`` under the cache
directory (``/var/cache/wharf-tests/``, or ``$WHARF_TEST_CACHE``). The first caller makes it:
``debootstrap --variant=minbase`` from Debian's mirror (a package registry, the one network
place the tests may reach besides loopback), plus the variant's packages (``gcc`` adds gcc
and libc6-dev for a C build), then a tar of the tree without device nodes, apt's downloaded
packages or lists. It is made once, under a file lock (concurrent sessions wait for the
first), and published atomically (written to a temporary name, renamed), so a crashed run never
leaves a half tar that looks whole. A JSON file beside it records how long debootstrap and the
tar took and the tar's size.

``debian_tar_or_skip(variant)`` is the test helper: the mirror unreachable (or debootstrap
missing) skips with the reason instead of failing. ``import_rootfs(daemon, tar, ref)`` imports
the tar into a daemon (``POST /images/create?fromSrc=-``, the body streamed from the file),
the same call for dockerd and wharfd.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.daemons import Daemon, UnixHTTPConnection, sweep_mounts

MIRROR = "http://deb.debian.org/debian"
SUITE = "bookworm"
DEBOOTSTRAP = shutil.which("debootstrap", path="/usr/sbin:/usr/bin:/sbin:/bin")
VARIANTS: dict[str, tuple[str, ...]] = {"minbase": (), "gcc": ("gcc", "libc6-dev")}
DEBOOTSTRAP_TIMEOUT = 600.0  # seconds; a slow mirror fails the fixture, never hangs it
PROBE_TIMEOUT = 10.0
# left out of the tar: device nodes (a container gets its own /dev), apt's caches
EXCLUDED = ("./dev/*", "./proc/*", "./sys/*", "./var/cache/apt/archives/*.deb",
            "./var/lib/apt/lists/*_*", "./var/log/*.log", "./var/cache/ldconfig/aux-cache")


class DebianUnavailable(Exception):
    """The rootfs cannot be made here: no debootstrap, or the mirror does not answer."""


@dataclass(frozen=True)
class RootfsTar:
    path: Path
    variant: str
    debootstrap_seconds: float
    tar_seconds: float
    size: int


def cache_dir() -> Path:
    return Path(os.environ.get("WHARF_TEST_CACHE", "/var/cache/wharf-tests"))


def tar_path(variant: str) -> Path:
    return cache_dir() / f"debian-12-{variant}.tar"


def check_mirror() -> None:
    """Raise ``DebianUnavailable`` unless debootstrap is installed and the mirror answers."""
    if DEBOOTSTRAP is None:
        raise DebianUnavailable("debootstrap is not installed (scripts/setup.sh test installs it)")
    url = f"{MIRROR}/dists/{SUITE}/Release"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"),
                                    timeout=PROBE_TIMEOUT) as resp:
            if resp.status != 200:
                raise DebianUnavailable(f"{url} answered {resp.status}")
    except OSError as err:
        raise DebianUnavailable(f"Debian's mirror is unreachable ({url}: {err})") from err


def run_debootstrap(variant: str, target: Path) -> None:
    assert DEBOOTSTRAP is not None
    args = [DEBOOTSTRAP, "--variant=minbase", "--components=main"]
    if VARIANTS[variant]:
        args.append("--include=" + ",".join(VARIANTS[variant]))
    args += [SUITE, str(target), MIRROR]
    res = subprocess.run(args, capture_output=True, timeout=DEBOOTSTRAP_TIMEOUT,
                         stdin=subprocess.DEVNULL)
    if res.returncode != 0:
        log = target / "debootstrap" / "debootstrap.log"
        detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise DebianUnavailable(f"debootstrap {variant} failed ({res.returncode}): "
                                f"{res.stderr.decode(errors='replace')[-1000:]}\n{detail}")


def write_tar(rootfs: Path, dest: Path) -> None:
    args = ["tar", "--numeric-owner", "--xattrs", "-C", str(rootfs), "-cf", str(dest)]
    args += [f"--exclude={pattern}" for pattern in EXCLUDED]
    subprocess.run([*args, "."], check=True, capture_output=True, timeout=600)


def make_rootfs_tar(variant: str, dest: Path) -> RootfsTar:
    """debootstrap into a temporary directory beside ``dest``, tar it, rename into place."""
    work = Path(tempfile.mkdtemp(prefix=f".debootstrap-{variant}-", dir=dest.parent))
    try:
        started = time.monotonic()
        run_debootstrap(variant, work / "rootfs")
        tarred = time.monotonic()
        partial = work / "rootfs.tar"
        write_tar(work / "rootfs", partial)
        made = RootfsTar(dest, variant, tarred - started, time.monotonic() - tarred,
                         partial.stat().st_size)
        os.rename(partial, dest)
    finally:
        sweep_mounts(work)  # debootstrap mounts /proc inside the tree; a failure may leave it
        shutil.rmtree(work, ignore_errors=True)
    dest.with_suffix(".json").write_text(json.dumps(
        {"variant": variant, "debootstrap_seconds": round(made.debootstrap_seconds, 1),
         "tar_seconds": round(made.tar_seconds, 1), "size": made.size}))
    return made


def cached(variant: str) -> RootfsTar | None:
    path = tar_path(variant)
    if not path.is_file():
        return None
    meta: dict[str, float] = {}
    with contextlib.suppress(OSError, ValueError):
        meta = json.loads(path.with_suffix(".json").read_text())
    return RootfsTar(path, variant, float(meta.get("debootstrap_seconds", 0.0)),
                     float(meta.get("tar_seconds", 0.0)), path.stat().st_size)


@contextlib.contextmanager
def locked(variant: str) -> Iterator[None]:
    cache_dir().mkdir(parents=True, exist_ok=True)
    with open(cache_dir() / f"debian-12-{variant}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a concurrent maker holds it for its whole run
        yield


def remove_leftovers(variant: str) -> None:
    """The work directories of a maker that was killed (only the lock's holder makes one)."""
    for work in cache_dir().glob(f".debootstrap-{variant}-*"):
        sweep_mounts(work)
        shutil.rmtree(work, ignore_errors=True)


def debian_rootfs_tar(variant: str = "minbase") -> RootfsTar:
    """The cached rootfs tar of ``variant``, made first if it is not there yet."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown Debian variant {variant!r}")
    found = cached(variant)
    if found is not None:
        return found
    with locked(variant):
        found = cached(variant)  # made by another process while this one waited
        if found is not None:
            return found
        remove_leftovers(variant)
        check_mirror()
        return make_rootfs_tar(variant, tar_path(variant))


def debian_tar_or_skip(variant: str = "minbase") -> RootfsTar:
    """``debian_rootfs_tar`` for a test: skipped, with the reason, where it cannot be made."""
    try:
        return debian_rootfs_tar(variant)
    except DebianUnavailable as err:
        pytest.skip(str(err))


def import_rootfs(daemon: Daemon, tar: Path, ref: str, cmd: str = '["bash"]') -> str:
    """Import ``tar`` as ``ref`` (with ``CMD cmd``) into ``daemon``; the new image's id."""
    repo, tag = ref.rsplit(":", 1)
    query = urllib.parse.urlencode({"fromSrc": "-", "repo": repo, "tag": tag,
                                    "changes": f"CMD {cmd}"})
    conn = UnixHTTPConnection(str(daemon.socket_path), timeout=600)
    try:
        with tar.open("rb") as body:
            conn.request("POST", f"/images/create?{query}", body=body,
                         headers={"Content-Type": "application/x-tar",
                                  "Content-Length": str(tar.stat().st_size)})
            resp = conn.getresponse()
            data = resp.read()
    finally:
        conn.close()
    if resp.status != 200 or b"errorDetail" in data:
        raise AssertionError(f"import of {tar.name} into {daemon.name} -> {resp.status}: "
                             f"{data[-500:]!r}")
    inspected = daemon.json("GET", f"/images/{ref}/json")
    assert isinstance(inspected, dict)
    return str(inspected["Id"])
