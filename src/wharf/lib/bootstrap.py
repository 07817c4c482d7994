"""Base images built offline from the host's static busybox (Debian's busybox-static).

No registry is reachable, so users and tests get a real base image this way: a root filesystem
with busybox and one symlink per applet (docker.io's busybox image has the same shape), plus the
users and groups a base image is expected to have. ``busybox_rootfs_tar`` streams it as a tar
that ``POST /images/create?fromSrc=-`` (or ``docker import``) turns into an image.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import time
from pathlib import Path
from typing import BinaryIO

from wharf.lib.archive import apply_layer

BUSYBOX_PATHS = ("/bin/busybox", "/usr/bin/busybox")

PASSWD = (
    "root:x:0:0:root:/root:/bin/sh\n"
    "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
    "bin:x:2:2:bin:/bin:/bin/false\n"
    "sys:x:3:3:sys:/dev:/bin/false\n"
    "sync:x:4:100:sync:/bin:/bin/sync\n"
    "mail:x:8:8:mail:/var/spool/mail:/bin/false\n"
    "www-data:x:33:33:www-data:/var/www:/bin/false\n"
    "operator:x:37:37:Operator:/var:/bin/false\n"
    "nobody:x:65534:65534:nobody:/home:/bin/false\n"
)
GROUP = (
    "root:x:0:\n"
    "daemon:x:1:\n"
    "bin:x:2:\n"
    "sys:x:3:\n"
    "adm:x:4:\n"
    "tty:x:5:\n"
    "disk:x:6:\n"
    "wheel:x:10:root\n"
    "mail:x:12:\n"
    "www-data:x:33:\n"
    "users:x:100:\n"
    "nogroup:x:65534:\n"
)
HELLO_SCRIPT = """#!/bin/sh
cat <<'MSG'

Hello from wharf!
This message shows that your installation appears to be working correctly.

To generate this message, wharf took the following steps:
 1. The wharf client contacted the wharf daemon.
 2. The wharf daemon found the "hello-world" image, built offline on this machine.
 3. The wharf daemon created a new container from that image which runs the
    executable that produced the output you are currently reading.
 4. The wharf daemon streamed that output to the wharf client, which sent it
    to your terminal.

To try something more ambitious, you can run a busybox container with:
 $ wharf run -it busybox sh

The stock docker CLI works too:
 $ DOCKER_HOST=unix:///run/wharf/wharf.sock docker run --rm busybox echo hi

MSG
"""
DIRECTORIES = (
    "bin",
    "sbin",
    "usr/bin",
    "usr/sbin",
    "etc",
    "root",
    "tmp",
    "home",
    "var",
    "var/spool/mail",
    "var/www",
    "dev",
    "proc",
    "sys",
)


def find_busybox() -> Path:
    """The host's static busybox; raises FileNotFoundError with a hint when it is missing."""
    for candidate in BUSYBOX_PATHS:
        if os.access(candidate, os.X_OK):
            return Path(candidate)
    raise FileNotFoundError("busybox not found: install Debian's busybox-static")


def applet_paths(busybox: Path) -> list[str]:
    """Every applet's install path relative to /, as ``busybox --list-full`` prints them."""
    out = subprocess.run([str(busybox), "--list-full"], capture_output=True, check=True, text=True)
    return sorted({line.strip() for line in out.stdout.splitlines() if line.strip()})


def _add_dir(tar: tarfile.TarFile, name: str, mode: int, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = mode
    info.mtime = int(mtime)
    tar.addfile(info)


def _add_file(tar: tarfile.TarFile, name: str, data: bytes, mode: int, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.mtime = int(mtime)
    tar.addfile(info, io.BytesIO(data))


def _add_symlink(tar: tarfile.TarFile, name: str, target: str, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    info.mode = 0o777
    info.mtime = int(mtime)
    tar.addfile(info)


def busybox_rootfs_tar(out: BinaryIO, *, hello: bool = False) -> None:
    """Write a busybox root filesystem as an uncompressed tar to ``out``.

    With ``hello`` the tar also holds ``/hello``, the greeting of the hello-world image.
    """
    busybox = find_busybox()
    now = time.time()
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for directory in DIRECTORIES:
            mode = 0o1777 if directory == "tmp" else (0o700 if directory == "root" else 0o755)
            _add_dir(tar, directory, mode, now)
        _add_file(tar, "bin/busybox", busybox.read_bytes(), 0o755, now)
        for applet in applet_paths(busybox):
            if applet != "bin/busybox":
                _add_symlink(tar, applet, "/bin/busybox", now)
        _add_file(tar, "etc/passwd", PASSWD.encode(), 0o644, now)
        _add_file(tar, "etc/group", GROUP.encode(), 0o644, now)
        if hello:
            _add_file(tar, "hello", HELLO_SCRIPT.encode(), 0o755, now)


def build_busybox_rootfs(dest: Path, *, hello: bool = False) -> Path:
    """Unpack the busybox root filesystem into ``dest`` (a fresh directory); returns ``dest``."""
    buf = io.BytesIO()
    busybox_rootfs_tar(buf, hello=hello)
    buf.seek(0)
    dest.mkdir(parents=True, exist_ok=True)
    apply_layer(buf, dest)  # wharf's confined apply: tarfile's filter= needs Python 3.11.4+
    return dest
