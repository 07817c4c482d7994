"""The sealed memfd copy (the fallback where overlayfs cannot be mounted) and the re-exec
guard; the overlay path and the container probes are in the integration tests."""

from __future__ import annotations

import errno
import fcntl
import os
import subprocess
import sys

import pytest

from wharf.runtime.oci import sealedexe
from wharf.runtime.oci.sealedexe import SEALED_ENV, SealError, is_sealed, memfd_interpreter


def test_memfd_copy_is_sealed_against_writes() -> None:
    fd = memfd_interpreter(sealedexe.interpreter_path())
    try:
        seals = fcntl.fcntl(fd, fcntl.F_GET_SEALS)
        assert seals & sealedexe.SEALS == sealedexe.SEALS
        assert is_sealed(f"/proc/self/fd/{fd}")
        writer = os.open(f"/proc/self/fd/{fd}", os.O_WRONLY)
        try:
            with pytest.raises(OSError) as caught:
                os.write(writer, b"\x7fELF")
            assert caught.value.errno == errno.EPERM
        finally:
            os.close(writer)
        with pytest.raises(PermissionError):  # F_SEAL_SEAL: the seals cannot be taken back
            fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_WRITE)
    finally:
        os.close(fd)


def test_memfd_copy_runs_the_venv() -> None:
    fd = memfd_interpreter(sealedexe.interpreter_path())
    code = ("import os, sys\n"
            "from wharf.runtime.oci.sealedexe import is_sealed\n"
            "print(is_sealed(), sys.prefix, os.readlink('/proc/self/exe'))\n")
    try:
        out = subprocess.run([sys.executable, "-c", code], executable=f"/proc/self/fd/{fd}",
                             pass_fds=(fd,), capture_output=True, text=True, check=True,
                             timeout=30).stdout.split(maxsplit=2)
    finally:
        os.close(fd)
    assert out[0] == "True"
    assert out[1] == sys.prefix
    assert out[2].startswith("/memfd:wharf-python")


def test_a_reexec_that_did_not_seal_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SEALED_ENV, "1")  # as if we had been re-executed already
    with pytest.raises(SealError, match="still writable"):
        sealedexe.reexec_sealed()  # pytest runs the host interpreter: never loops
    assert SEALED_ENV not in os.environ
