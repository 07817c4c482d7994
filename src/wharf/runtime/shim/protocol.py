"""What the shim and its clients share: shim.json, file names, the frame format, timestamps.

Frames (shim → client) use Docker's stream header: ``[type, 0, 0, 0, len32be]`` + payload.
Kept free of asyncio and of heavy imports: the shim imports it at start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from wharf.core.shimconfig import ShimConfig
from wharf.lib.atomicfile import write_atomic
from wharf.lib.stdcopy import HEADER_SIZE, MAX_FRAME, FrameDecoder, encode_frame

__all__ = [
    "EXIT_FILE",
    "FRAME_ERROR",
    "FRAME_EXIT",
    "FRAME_STDERR",
    "FRAME_STDOUT",
    "HEADER_SIZE",
    "MAX_FRAME",
    "PID_FILE",
    "SHIM_CONFIG_FILE",
    "SOCKET_FILE",
    "FrameDecoder",
    "ShimConfig",
    "encode_frame",
    "replace_file",
]

SHIM_CONFIG_FILE: Final = "shim.json"
SOCKET_FILE: Final = "shim.sock"
PID_FILE: Final = "shim.pid"
EXIT_FILE: Final = "exit.json"
LOG_FILE: Final = "shim.log"  # the shim's own diagnostics (its stderr)

FRAME_STDOUT: Final = 1
FRAME_STDERR: Final = 2
FRAME_EXIT: Final = 3
FRAME_ERROR: Final = 4


def replace_file(path: Path, data: bytes, mode: int = 0o600, durable: bool = False) -> None:
    """Replace ``path`` atomically (temp file + rename); fsync the data first when ``durable``.

    shim.json and shim.pid describe processes that a power loss ends anyway; what matters is
    that a reader never sees half a file, which the rename guarantees, and a flush per file
    would cost a disk write on every container start. exit.json is written ``durable`` (the
    contract: tmp + fsync + rename), once, when the container has exited.
    """
    write_atomic(path, data, mode, durable=durable)
