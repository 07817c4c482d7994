"""The compiled-seccomp cache: written atomically and durably, verified before use; a torn,
corrupt, edited, misplaced or foreign file is never loaded but compiled again and replaced."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wharf.runtime.oci import seccomp_bpf
from wharf.runtime.oci.seccomp_bpf import SeccompCache, cache_entry, seccomp_key

SECTION: dict[str, Any] = {
    "defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [{"names": ["keyctl"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}],
}
OTHER: dict[str, Any] = {**SECTION, "syscalls": [{"names": ["ptrace"],
                                                  "action": "SCMP_ACT_ERRNO"}]}


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every section compiled (the real compiler still runs)."""
    calls: list[dict[str, Any]] = []
    real = seccomp_bpf.compile_seccomp

    def counting(section: dict[str, Any]) -> bytes:
        calls.append(section)
        return real(section)
    monkeypatch.setattr(seccomp_bpf, "compile_seccomp", counting)
    return calls


def cache_file(directory: Path, section: dict[str, Any]) -> Path:
    return directory / f"{seccomp_key(section)}.bpf"


def test_valid_entry_is_used(tmp_path: Path, compiles: list[dict[str, Any]]) -> None:
    cache = SeccompCache(tmp_path / "cache")
    first = cache.program(SECTION)
    assert cache.program(SECTION) == first
    assert len(compiles) == 1
    assert cache_file(cache.directory, SECTION).read_bytes() == \
        cache_entry(seccomp_key(SECTION), first)
    assert cache_file(cache.directory, SECTION).stat().st_mode & 0o777 == 0o600


Damage = Callable[[Path, Path], None]


def _truncate(path: Path, _: Path) -> None:
    path.write_bytes(path.read_bytes()[:-5])


def _flip_program_byte(path: Path, _: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF
    path.write_bytes(bytes(data))


def _raw_program(path: Path, _: Path) -> None:  # the old format: bare BPF bytes
    path.write_bytes(seccomp_bpf.compile_seccomp(OTHER))


def _other_sections_entry(path: Path, directory: Path) -> None:
    SeccompCache(directory).program(OTHER)
    os.replace(cache_file(directory, OTHER), path)


def _empty(path: Path, _: Path) -> None:
    path.write_bytes(b"")


def _group_writable(path: Path, _: Path) -> None:
    path.chmod(0o620)


def _symlink(path: Path, directory: Path) -> None:
    real = directory.parent / "elsewhere.bpf"
    os.replace(path, real)
    path.symlink_to(real)


@pytest.mark.parametrize("damage", [_truncate, _flip_program_byte, _raw_program,
                                    _other_sections_entry, _empty, _group_writable, _symlink])
def test_damaged_entry_is_recompiled_never_loaded(tmp_path: Path, damage: Damage,
                                                  compiles: list[dict[str, Any]]) -> None:
    cache = SeccompCache(tmp_path / "cache")
    good = cache.program(SECTION)
    path = cache_file(cache.directory, SECTION)
    damage(path, cache.directory)
    compiles.clear()
    assert cache.program(SECTION) == good
    assert compiles == [SECTION]
    if not path.is_symlink() and path.stat().st_mode & 0o022 == 0:
        assert path.read_bytes() == cache_entry(seccomp_key(SECTION), good)  # repaired


def test_entries_are_written_atomically_and_durably(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    writes: list[tuple[Path, int, bool]] = []

    def recording(path: Path, data: bytes, mode: int = 0o644, *, durable: bool = True) -> None:
        writes.append((path, mode, durable))
    monkeypatch.setattr(seccomp_bpf, "write_atomic", recording)
    SeccompCache(tmp_path / "cache").program(SECTION)
    assert writes == [(cache_file(tmp_path / "cache", SECTION), 0o600, True)]


def test_a_directory_others_can_write_is_not_trusted(tmp_path: Path,
                                                     compiles: list[dict[str, Any]]) -> None:
    cache = SeccompCache(tmp_path / "cache")
    cache.program(SECTION)
    cache.directory.chmod(0o777)
    compiles.clear()
    cache.program(SECTION)
    assert compiles == [SECTION]
