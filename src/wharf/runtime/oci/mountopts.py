"""OCI mount options (``ro``, ``nosuid``, ``rbind``, ``rprivate``...) → mount(2) flags."""

from __future__ import annotations

from dataclasses import dataclass

from wharf.runtime.oci import syscalls as sc

# option: (flag, clear) — ``clear`` options remove the flag (``rw``, ``suid``...)
FLAG_OPTIONS: dict[str, tuple[int, bool]] = {
    "ro": (sc.MS_RDONLY, False), "rw": (sc.MS_RDONLY, True),
    "nosuid": (sc.MS_NOSUID, False), "suid": (sc.MS_NOSUID, True),
    "nodev": (sc.MS_NODEV, False), "dev": (sc.MS_NODEV, True),
    "noexec": (sc.MS_NOEXEC, False), "exec": (sc.MS_NOEXEC, True),
    "sync": (sc.MS_SYNCHRONOUS, False), "async": (sc.MS_SYNCHRONOUS, True),
    "dirsync": (sc.MS_DIRSYNC, False), "remount": (sc.MS_REMOUNT, False),
    "mand": (sc.MS_MANDLOCK, False), "nomand": (sc.MS_MANDLOCK, True),
    "atime": (sc.MS_NOATIME, True), "noatime": (sc.MS_NOATIME, False),
    "diratime": (sc.MS_NODIRATIME, True), "nodiratime": (sc.MS_NODIRATIME, False),
    "relatime": (sc.MS_RELATIME, False), "norelatime": (sc.MS_RELATIME, True),
    "strictatime": (sc.MS_STRICTATIME, False), "nostrictatime": (sc.MS_STRICTATIME, True),
    "lazytime": (sc.MS_LAZYTIME, False), "nosymfollow": (sc.MS_NOSYMFOLLOW, False),
    "bind": (sc.MS_BIND, False), "rbind": (sc.MS_BIND | sc.MS_REC, False),
}
PROPAGATION_OPTIONS = {
    "private": sc.MS_PRIVATE, "rprivate": sc.MS_PRIVATE | sc.MS_REC,
    "shared": sc.MS_SHARED, "rshared": sc.MS_SHARED | sc.MS_REC,
    "slave": sc.MS_SLAVE, "rslave": sc.MS_SLAVE | sc.MS_REC,
    "unbindable": sc.MS_UNBINDABLE, "runbindable": sc.MS_UNBINDABLE | sc.MS_REC,
}
IGNORED_OPTIONS = {"defaults", "tmpcopyup", "idmap", "ridmap", "copy-symlink", "nocopy"}


@dataclass(frozen=True)
class MountOptions:
    """Parsed options: mount flags, propagation changes to apply after, fs-specific data."""

    flags: int
    propagation: tuple[int, ...]
    data: str

    @property
    def is_bind(self) -> bool:
        return bool(self.flags & sc.MS_BIND)


def parse_mount_options(options: tuple[str, ...] | list[str]) -> MountOptions:
    flags = 0
    propagation: list[int] = []
    data: list[str] = []
    for option in options:
        if option in FLAG_OPTIONS:
            flag, clear = FLAG_OPTIONS[option]
            flags = flags & ~flag if clear else flags | flag
        elif option in PROPAGATION_OPTIONS:
            propagation.append(PROPAGATION_OPTIONS[option])
        elif option not in IGNORED_OPTIONS:
            data.append(option)
    return MountOptions(flags=flags, propagation=tuple(propagation), data=",".join(data))
