"""Compile an OCI ``linux.seccomp`` section to a BPF program with libseccomp (through ctypes).

Compilation happens in the runtime's parent process, before any fork, and costs tens of
milliseconds, so programs are cached on disk keyed by a hash of the section
(``SeccompCache``). The child only hands the bytes to ``prctl(PR_SET_SECCOMP)``.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wharf.lib.atomicfile import write_atomic
from wharf.runtime.oci.errors import RuntimeCreateError

SCMP_ACT_KILL_THREAD = 0x00000000
SCMP_ACT_KILL_PROCESS = 0x80000000
SCMP_ACT_TRAP = 0x00030000
SCMP_ACT_ERRNO = 0x00050000
SCMP_ACT_TRACE = 0x7FF00000
SCMP_ACT_LOG = 0x7FFC0000
SCMP_ACT_ALLOW = 0x7FFF0000
COMPARE_OPS = {
    "SCMP_CMP_NE": 1, "SCMP_CMP_LT": 2, "SCMP_CMP_LE": 3, "SCMP_CMP_EQ": 4,
    "SCMP_CMP_GE": 5, "SCMP_CMP_GT": 6, "SCMP_CMP_MASKED_EQ": 7,
}
ARCH_NAMES = {
    "SCMP_ARCH_X86": "x86", "SCMP_ARCH_X86_64": "x86_64", "SCMP_ARCH_X32": "x32",
    "SCMP_ARCH_ARM": "arm", "SCMP_ARCH_AARCH64": "aarch64", "SCMP_ARCH_MIPS": "mips",
    "SCMP_ARCH_MIPS64": "mips64", "SCMP_ARCH_MIPS64N32": "mips64n32",
    "SCMP_ARCH_MIPSEL": "mipsel", "SCMP_ARCH_MIPSEL64": "mipsel64",
    "SCMP_ARCH_MIPSEL64N32": "mipsel64n32", "SCMP_ARCH_PPC": "ppc", "SCMP_ARCH_PPC64": "ppc64",
    "SCMP_ARCH_PPC64LE": "ppc64le", "SCMP_ARCH_S390": "s390", "SCMP_ARCH_S390X": "s390x",
    "SCMP_ARCH_RISCV64": "riscv64",
}
DEFAULT_ERRNO = errno.EPERM


class _ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


def action_code(action: str, errno_ret: int | None) -> int:
    """The libseccomp action for an OCI action name (``SCMP_ACT_ERRNO`` + errnoRet...)."""
    codes = {
        "SCMP_ACT_KILL": SCMP_ACT_KILL_THREAD, "SCMP_ACT_KILL_THREAD": SCMP_ACT_KILL_THREAD,
        "SCMP_ACT_KILL_PROCESS": SCMP_ACT_KILL_PROCESS, "SCMP_ACT_TRAP": SCMP_ACT_TRAP,
        "SCMP_ACT_LOG": SCMP_ACT_LOG, "SCMP_ACT_ALLOW": SCMP_ACT_ALLOW,
    }
    if action in codes:
        return codes[action]
    if action == "SCMP_ACT_ERRNO":
        return SCMP_ACT_ERRNO | ((DEFAULT_ERRNO if errno_ret is None else errno_ret) & 0xFFFF)
    if action == "SCMP_ACT_TRACE":
        return SCMP_ACT_TRACE | ((DEFAULT_ERRNO if errno_ret is None else errno_ret) & 0xFFFF)
    raise RuntimeCreateError(f"seccomp: unsupported action {action}")


def seccomp_key(section: dict[str, Any]) -> str:
    """A stable hash of a seccomp section (the cache key)."""
    canonical = json.dumps(section, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _condition_groups(args: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """runc's rule: conditions on distinct arguments are ANDed in one rule; when an argument
    index repeats, each condition becomes its own rule (ORed)."""
    indexes = [int(a["index"]) for a in args]
    if len(set(indexes)) == len(indexes):
        return [args]
    return [[arg] for arg in args]


class _Libseccomp:
    def __init__(self) -> None:
        try:
            self.lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
        except OSError as exc:
            raise RuntimeCreateError(f"seccomp: cannot load libseccomp.so.2: {exc}") from exc
        self.lib.seccomp_init.restype = ctypes.c_void_p
        self.lib.seccomp_init.argtypes = [ctypes.c_uint32]
        self.lib.seccomp_release.argtypes = [ctypes.c_void_p]
        self.lib.seccomp_arch_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
        self.lib.seccomp_arch_resolve_name.restype = ctypes.c_uint32
        self.lib.seccomp_arch_resolve_name.argtypes = [ctypes.c_char_p]
        self.lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
        self.lib.seccomp_rule_add_array.argtypes = [
            ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p]
        self.lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]

    @contextmanager
    def filter(self, default_action: int) -> Iterator[int]:
        ctx = self.lib.seccomp_init(default_action)
        if not ctx:
            raise RuntimeCreateError("seccomp: seccomp_init failed")
        try:
            yield ctx
        finally:
            self.lib.seccomp_release(ctx)

    def add_arch(self, ctx: int, oci_name: str) -> None:
        name = ARCH_NAMES.get(oci_name)
        if name is None:
            return
        token = self.lib.seccomp_arch_resolve_name(name.encode())
        if token == 0:
            return
        result = self.lib.seccomp_arch_add(ctx, token)
        if result < 0 and -result != errno.EEXIST:
            raise RuntimeCreateError(f"seccomp: adding arch {oci_name}: {os.strerror(-result)}")

    def add_rule(self, ctx: int, action: int, number: int, conditions: list[dict[str, Any]]
                 ) -> None:
        array = (_ArgCmp * max(len(conditions), 1))()
        for slot, cond in zip(array, conditions, strict=False):
            op = COMPARE_OPS.get(cond.get("op", ""))
            if op is None:
                raise RuntimeCreateError(f"seccomp: unknown compare op {cond.get('op')}")
            slot.arg = int(cond["index"])
            slot.op = op
            slot.datum_a = int(cond.get("value", 0))
            slot.datum_b = int(cond.get("valueTwo", 0))
        result = self.lib.seccomp_rule_add_array(ctx, action, number, len(conditions),
                                                 ctypes.addressof(array))
        if result < 0:
            raise RuntimeCreateError(f"seccomp: adding rule for syscall {number}: "
                                     f"{os.strerror(-result)}")

    def export(self, ctx: int) -> bytes:
        fd = os.memfd_create("wharf-seccomp", os.MFD_CLOEXEC)
        try:
            result = self.lib.seccomp_export_bpf(ctx, fd)
            if result < 0:
                raise RuntimeCreateError(f"seccomp: export: {os.strerror(-result)}")
            os.lseek(fd, 0, os.SEEK_SET)
            chunks = []
            while chunk := os.read(fd, 65536):
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)


def compile_seccomp(section: dict[str, Any]) -> bytes:
    """Compile an OCI seccomp section into a BPF program (an array of ``sock_filter``)."""
    lib = _Libseccomp()
    default_errno = section.get("defaultErrnoRet")
    default = action_code(section.get("defaultAction", "SCMP_ACT_ALLOW"), default_errno)
    with lib.filter(default) as ctx:
        for arch in section.get("architectures") or ():
            lib.add_arch(ctx, arch)
        for rule in section.get("syscalls") or ():
            action = action_code(rule["action"], rule.get("errnoRet"))
            if action == default:
                continue
            for name in rule.get("names") or ():
                number = lib.lib.seccomp_syscall_resolve_name(name.encode())
                if number == -1:
                    continue  # unknown to this libseccomp/arch: ignored, as runc does
                for group in _condition_groups(list(rule.get("args") or ())):
                    lib.add_rule(ctx, action, number, group)
        return lib.export(ctx)


CACHE_MAGIC = b"wharf-seccomp-bpf 1\n"
SOCK_FILTER_SIZE = 8


def cache_entry(key: str, program: bytes) -> bytes:
    """The cache file: a magic line, ``<key> <sha256 of the program>``, then the program."""
    digest = hashlib.sha256(program).hexdigest()
    return CACHE_MAGIC + f"{key} {digest}\n".encode() + program


def parse_cache_entry(key: str, data: bytes) -> bytes | None:
    """The program in ``data`` if it is a whole, unchanged entry for ``key``; else None."""
    if not data.startswith(CACHE_MAGIC):
        return None
    header, newline, program = data[len(CACHE_MAGIC):].partition(b"\n")
    if not newline or header != f"{key} {hashlib.sha256(program).hexdigest()}".encode():
        return None
    if not program or len(program) % SOCK_FILTER_SIZE:
        return None
    return program


def _private_to_us(st: os.stat_result) -> bool:
    """Owned by us and writable by nobody else (what a cache we wrote looks like)."""
    return st.st_uid == os.geteuid() and not st.st_mode & 0o022


@dataclass(frozen=True)
class SeccompCache:
    """Compiled programs on disk: ``<directory>/<sha256 of the section>.bpf``.

    Each file carries its key and the program's sha256 and is written atomically and durably;
    one that is torn, corrupt, renamed from another key, edited, or not private to us is
    never loaded: the section is compiled again and the file replaced."""

    directory: Path

    def program(self, section: dict[str, Any]) -> bytes:
        key = seccomp_key(section)
        path = self.directory / f"{key}.bpf"
        cached = self._load(key, path)
        if cached is not None:
            return cached
        program = compile_seccomp(section)
        self._store(path, cache_entry(key, program))
        return program

    def _trusted_directory(self) -> bool:
        try:
            return _private_to_us(os.stat(self.directory, follow_symlinks=False))
        except OSError:
            return False

    def _load(self, key: str, path: Path) -> bytes | None:
        if not self._trusted_directory():
            return None
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            return None
        with os.fdopen(fd, "rb") as cached:
            st = os.fstat(cached.fileno())
            if not stat.S_ISREG(st.st_mode) or not _private_to_us(st):
                return None
            return parse_cache_entry(key, cached.read())

    def _store(self, path: Path, entry: bytes) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            if self._trusted_directory():
                write_atomic(path, entry, 0o600, durable=True)
        except OSError:
            return  # a cache that cannot be written only costs speed
