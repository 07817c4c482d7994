"""cgroup v2 has no devices.allow: device rules become an eBPF program
(BPF_PROG_TYPE_CGROUP_DEVICE) attached to the container's cgroup, as runc and crun do.

Rules keep cgroup v1's meaning: the last rule that matches a request decides, nothing
matching means deny. The program checks the rules from last to first and returns at the
first match. Its input (``struct bpf_cgroup_dev_ctx``) is
``{u32 access_type (access << 16 | type); u32 major; u32 minor}``.
"""

from __future__ import annotations

import ctypes
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEV_BLOCK, DEV_CHAR = 1, 2
ACCESS_BITS = {"m": 1, "r": 2, "w": 4}
ALL_ACCESS = 7
# instruction opcodes
LDX_W = 0x61          # dst = *(u32 *)(src + off)
ALU32_AND_K = 0x54    # dst &= imm (32 bit)
ALU32_RSH_K = 0x74    # dst >>= imm (32 bit)
MOV32_REG = 0xBC      # dst = src (32 bit)
MOV32_K = 0xB4        # dst = imm (32 bit)
JNE_K = 0x55          # if dst != imm: pc += off
JEQ_K = 0x15          # if dst == imm: pc += off
EXIT = 0x95
BPF_PROG_LOAD, BPF_PROG_ATTACH = 5, 8
PROG_TYPE_CGROUP_DEVICE = 15
ATTACH_CGROUP_DEVICE = 6
F_ALLOW_MULTI = 2
BPF_SYSCALL = {"x86_64": 321, "aarch64": 280}


@dataclass(frozen=True)
class Insn:
    code: int
    dst: int = 0
    src: int = 0
    off: int = 0
    imm: int = 0

    def encode(self) -> bytes:
        return struct.pack("<BBhi", self.code, (self.src << 4) | self.dst, self.off, self.imm)


def _access_mask(access: str) -> int:
    return sum(ACCESS_BITS[c] for c in set(access) if c in ACCESS_BITS) or ALL_ACCESS


def _checks(rule: dict[str, Any]) -> list[list[Insn]]:
    """One instruction group per condition; each ends with a jump taken when the condition
    fails (its offset is filled in by ``_rule_block``)."""
    checks: list[list[Insn]] = []
    kind = rule.get("type") or "a"
    if kind in ("b", "c"):
        checks.append([Insn(JNE_K, dst=2, imm=DEV_BLOCK if kind == "b" else DEV_CHAR)])
    mask = _access_mask(rule.get("access") or "rwm")
    if mask != ALL_ACCESS:
        if rule.get("allow"):  # allowed when no requested bit is outside the rule
            checks.append([Insn(MOV32_REG, dst=1, src=3),
                           Insn(ALU32_AND_K, dst=1, imm=~mask & ALL_ACCESS),
                           Insn(JNE_K, dst=1, imm=0)])
        else:  # denied when any requested bit is in the rule
            checks.append([Insn(MOV32_REG, dst=1, src=3), Insn(ALU32_AND_K, dst=1, imm=mask),
                           Insn(JEQ_K, dst=1, imm=0)])
    if kind != "a":
        for field, register in (("major", 4), ("minor", 5)):
            value = rule.get(field)
            if value is not None and value >= 0:
                checks.append([Insn(JNE_K, dst=register, imm=int(value))])
    return checks


def _rule_block(rule: dict[str, Any]) -> list[Insn]:
    """Instructions that return the rule's verdict when it matches, else fall through."""
    checks = _checks(rule)
    verdict = [Insn(MOV32_K, dst=0, imm=1 if rule.get("allow") else 0), Insn(EXIT)]
    block: list[Insn] = []
    remaining = sum(len(group) for group in checks) + len(verdict)
    for group in checks:
        remaining -= len(group)
        *setup, jump = group
        block.extend(setup)
        block.append(Insn(jump.code, jump.dst, jump.src, remaining, jump.imm))
    return block + verdict


def build_program(rules: list[dict[str, Any]]) -> bytes:
    """The device filter for OCI ``linux.resources.devices`` rules."""
    prologue = [
        Insn(LDX_W, dst=2, src=1, off=0), Insn(ALU32_AND_K, dst=2, imm=0xFFFF),
        Insn(LDX_W, dst=3, src=1, off=0), Insn(ALU32_RSH_K, dst=3, imm=16),
        Insn(LDX_W, dst=4, src=1, off=4), Insn(LDX_W, dst=5, src=1, off=8),
    ]
    program = list(prologue)
    for rule in reversed(rules):
        program.extend(_rule_block(rule))
        if not _checks(rule):  # matches everything: earlier rules can never decide
            break
    else:
        program.extend([Insn(MOV32_K, dst=0, imm=0), Insn(EXIT)])
    return b"".join(insn.encode() for insn in program)


class _ProgLoadAttr(ctypes.Structure):
    _fields_ = [("prog_type", ctypes.c_uint32), ("insn_cnt", ctypes.c_uint32),
                ("insns", ctypes.c_uint64), ("license", ctypes.c_uint64),
                ("log_level", ctypes.c_uint32), ("log_size", ctypes.c_uint32),
                ("log_buf", ctypes.c_uint64), ("kern_version", ctypes.c_uint32),
                ("prog_flags", ctypes.c_uint32), ("pad", ctypes.c_char * 64)]


class _AttachAttr(ctypes.Structure):
    _fields_ = [("target_fd", ctypes.c_uint32), ("attach_bpf_fd", ctypes.c_uint32),
                ("attach_type", ctypes.c_uint32), ("attach_flags", ctypes.c_uint32),
                ("pad", ctypes.c_char * 64)]


def _bpf(command: int, attr: ctypes.Structure) -> int:
    number = BPF_SYSCALL.get(os.uname().machine)
    if number is None:
        raise OSError(f"bpf: unsupported architecture {os.uname().machine}")
    libc = ctypes.CDLL(None, use_errno=True)  # libc, already loaded: no ldconfig run
    libc.syscall.restype = ctypes.c_long
    result = libc.syscall(number, command, ctypes.byref(attr), ctypes.sizeof(attr))
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"bpf command {command}: {os.strerror(err)}")
    return int(result)


def attach_device_filter(cgroup_dir: Path, rules: list[dict[str, Any]]) -> None:
    """Load the filter for ``rules`` and attach it to ``cgroup_dir`` (it stays attached until
    the cgroup is removed)."""
    program = build_program(rules)
    insns = ctypes.create_string_buffer(program, len(program))
    license_text = ctypes.create_string_buffer(b"Apache")
    log = ctypes.create_string_buffer(65536)
    load = _ProgLoadAttr(prog_type=PROG_TYPE_CGROUP_DEVICE, insn_cnt=len(program) // 8,
                         insns=ctypes.addressof(insns), license=ctypes.addressof(license_text),
                         log_level=1, log_size=len(log), log_buf=ctypes.addressof(log))
    try:
        prog_fd = _bpf(BPF_PROG_LOAD, load)
    except OSError as exc:
        verifier = log.value.decode(errors="replace").strip()
        raise OSError(exc.errno, f"loading the device filter: {exc} {verifier}") from exc
    cgroup_fd = os.open(cgroup_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        _bpf(BPF_PROG_ATTACH, _AttachAttr(target_fd=cgroup_fd, attach_bpf_fd=prog_fd,
                                          attach_type=ATTACH_CGROUP_DEVICE,
                                          attach_flags=F_ALLOW_MULTI))
    finally:
        os.close(cgroup_fd)
        os.close(prog_fd)
