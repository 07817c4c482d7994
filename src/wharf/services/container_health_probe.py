"""The health probe as dockerd runs it: an exec of the container (its ``exec_create``,
``exec_start`` and ``exec_die`` events included), stdout and stderr collected as they come (a
probe cut by its timeout keeps what it wrote); the exec is forgotten once done (inspect's
``ExecIDs`` does not fill up with probes). A probe past its timeout is left to finish: the
shim has no way to signal an exec's process yet (dockerd kills it)."""

from __future__ import annotations

from wharf.services.container_health import Probe
from wharf.services.exec import ExecService, ExecStream

FRAME_STDOUT, FRAME_STDERR, FRAME_EXIT = 1, 2, 3


def exec_probe(execs: ExecService) -> Probe:
    async def probe(container_id: str, argv: list[str], output: bytearray) -> int:
        record = execs.create(container_id, {"Cmd": argv, "AttachStdout": True,
                                             "AttachStderr": True})
        try:
            stream = await execs.start(record.id, detach=False)
            try:
                await _collect(stream, output)
            finally:
                stream.close()
        finally:
            execs.forget(record.id)
        return record.exit_code if record.exit_code is not None else -1

    return probe


async def _collect(stream: ExecStream, output: bytearray) -> None:
    while (frame := await stream.read_frame()) is not None:
        kind, payload = frame
        if kind in (FRAME_STDOUT, FRAME_STDERR):
            output += payload
        elif kind == FRAME_EXIT:
            break
