"""The health probe as dockerd runs it: an exec of the container (its ``exec_create``,
``exec_start`` and ``exec_die`` events included), stdout and stderr collected; the exec is
forgotten once done (inspect's ``ExecIDs`` does not fill up with probes)."""

from __future__ import annotations

from wharf.services.container_health import Probe, ProbeResult
from wharf.services.exec import ExecService, ExecStream

FRAME_STDOUT, FRAME_STDERR, FRAME_EXIT = 1, 2, 3


def exec_probe(execs: ExecService) -> Probe:
    async def probe(container_id: str, argv: list[str], timeout: float) -> ProbeResult:
        del timeout  # the runner bounds the whole probe
        record = execs.create(container_id, {"Cmd": argv, "AttachStdout": True,
                                             "AttachStderr": True})
        try:
            stream = await execs.start(record.id, detach=False)
            try:
                output = await _collect(stream)
            finally:
                stream.close()
        finally:
            execs.forget(record.id)
        code = record.exit_code if record.exit_code is not None else -1
        return ProbeResult(code, output)

    return probe


async def _collect(stream: ExecStream) -> str:
    chunks: list[bytes] = []
    while (frame := await stream.read_frame()) is not None:
        kind, payload = frame
        if kind in (FRAME_STDOUT, FRAME_STDERR):
            chunks.append(payload)
        elif kind == FRAME_EXIT:
            break
    return b"".join(chunks).decode("utf-8", "replace")
