"""OCI mount options (``ro``, ``nosuid``, ``rbind``, ``rprivate``...) → mount(2) flags."""

from __future__ import annotations

from dataclasses import dataclass

from wharf.runtime.oci import syscalls as sc
from wharf.runtime.oci.errors import RuntimeCreateError

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
IGNORED_OPTIONS = {"defaults", "tmpcopyup", "copy-symlink", "nocopy"}
UNSUPPORTED_OPTIONS = {"idmap", "ridmap"}  # refused: a mount without its id mapping is wrong

# mount_setattr(2) attributes (Linux 5.12+)
MOUNT_ATTR_RDONLY = 0x1
MOUNT_ATTR_NOSUID = 0x2
MOUNT_ATTR_NODEV = 0x4
MOUNT_ATTR_NOEXEC = 0x8
MOUNT_ATTR_ATIME = 0x70  # the mask of the atime mode (RELATIME is 0 in it)
MOUNT_ATTR_RELATIME = 0x0
MOUNT_ATTR_NOATIME = 0x10
MOUNT_ATTR_STRICTATIME = 0x20
MOUNT_ATTR_NODIRATIME = 0x80
MOUNT_ATTR_NOSYMFOLLOW = 0x200000
MS_TO_ATTR = {
    sc.MS_RDONLY: MOUNT_ATTR_RDONLY, sc.MS_NOSUID: MOUNT_ATTR_NOSUID,
    sc.MS_NODEV: MOUNT_ATTR_NODEV, sc.MS_NOEXEC: MOUNT_ATTR_NOEXEC,
    sc.MS_NODIRATIME: MOUNT_ATTR_NODIRATIME, sc.MS_NOSYMFOLLOW: MOUNT_ATTR_NOSYMFOLLOW,
}
ATIME_MODES = ((sc.MS_NOATIME, MOUNT_ATTR_NOATIME), (sc.MS_STRICTATIME, MOUNT_ATTR_STRICTATIME),
               (sc.MS_RELATIME, MOUNT_ATTR_RELATIME))
# the recursive options (OCI runtime spec; AT_RECURSIVE): option → (set, clear)
RECURSIVE_OPTIONS: dict[str, tuple[int, int]] = {
    "rro": (MOUNT_ATTR_RDONLY, 0), "rrw": (0, MOUNT_ATTR_RDONLY),
    "rnosuid": (MOUNT_ATTR_NOSUID, 0), "rsuid": (0, MOUNT_ATTR_NOSUID),
    "rnodev": (MOUNT_ATTR_NODEV, 0), "rdev": (0, MOUNT_ATTR_NODEV),
    "rnoexec": (MOUNT_ATTR_NOEXEC, 0), "rexec": (0, MOUNT_ATTR_NOEXEC),
    "rnodiratime": (MOUNT_ATTR_NODIRATIME, 0), "rdiratime": (0, MOUNT_ATTR_NODIRATIME),
    "rnosymfollow": (MOUNT_ATTR_NOSYMFOLLOW, 0), "rsymfollow": (0, MOUNT_ATTR_NOSYMFOLLOW),
    "rnoatime": (MOUNT_ATTR_NOATIME, MOUNT_ATTR_ATIME),
    "rstrictatime": (MOUNT_ATTR_STRICTATIME, MOUNT_ATTR_ATIME),
    **{name: (MOUNT_ATTR_RELATIME, MOUNT_ATTR_ATIME)
       for name in ("rrelatime", "rnorelatime", "ratime", "rnostrictatime")},
}


@dataclass(frozen=True)
class MountAttributes:
    """What mount_setattr(2) changes: attributes to set, and to clear."""

    set: int = 0
    clear: int = 0

    def __bool__(self) -> bool:
        return bool(self.set or self.clear)

    def then(self, later: MountAttributes) -> MountAttributes:
        """These attributes, then ``later`` applied over them."""
        return MountAttributes((self.set & ~later.clear) | later.set,
                               (self.clear & ~later.set) | later.clear)


@dataclass(frozen=True)
class MountOptions:
    """Parsed options: mount flags, propagation changes to apply after, fs-specific data."""

    flags: int
    propagation: tuple[int, ...]
    data: str
    cleared: int = 0  # flags an option asked to clear (``rw``, ``suid``...)
    recursive: MountAttributes = MountAttributes()

    @property
    def is_bind(self) -> bool:
        return bool(self.flags & sc.MS_BIND)

    def bind_attributes(self) -> MountAttributes:
        """The per-mount flags of a bind as mount_setattr attributes: what was asked is set
        or cleared, everything else keeps the source mount's value (a ``ro`` bind of a nosuid
        mount stays nosuid)."""
        attr_set = sum(attr for flag, attr in MS_TO_ATTR.items() if self.flags & flag)
        attr_clear = sum(attr for flag, attr in MS_TO_ATTR.items() if self.cleared & flag)
        for flag, mode in ATIME_MODES:
            if self.flags & flag:
                attr_set, attr_clear = attr_set | mode, attr_clear | MOUNT_ATTR_ATIME
                break
        else:
            if self.cleared & (sc.MS_NOATIME | sc.MS_STRICTATIME):
                attr_clear |= MOUNT_ATTR_ATIME  # back to the default mode, relatime
        return MountAttributes(attr_set, attr_clear)


def parse_mount_options(options: tuple[str, ...] | list[str]) -> MountOptions:
    flags = cleared = 0
    recursive = MountAttributes()
    propagation: list[int] = []
    data: list[str] = []
    for option in options:
        if option in FLAG_OPTIONS:
            flag, clear = FLAG_OPTIONS[option]
            flags, cleared = (flags & ~flag, cleared | flag) if clear else \
                (flags | flag, cleared & ~flag)
        elif option in RECURSIVE_OPTIONS:
            recursive = recursive.then(MountAttributes(*RECURSIVE_OPTIONS[option]))
        elif option in PROPAGATION_OPTIONS:
            propagation.append(PROPAGATION_OPTIONS[option])
        elif option in UNSUPPORTED_OPTIONS:
            raise RuntimeCreateError(f'mount option "{option}" is not supported by '
                                     "wharf-runtime")
        elif option not in IGNORED_OPTIONS:
            data.append(option)
    return MountOptions(flags=flags, propagation=tuple(propagation), data=",".join(data),
                        cleared=cleared, recursive=recursive)
