"""Showing the daemon's JSON progress stream (pull, push, load) the way docker's CLI does.

Messages are Docker's ``JSONMessage``: ``status``, ``id``, ``progressDetail``
(``{"current", "total"}``), ``stream``, ``aux``, ``errorDetail``/``error``. Not on a terminal,
each message becomes a line (``id: status``) and messages carrying byte progress are skipped,
as docker does; on a terminal each ``id`` keeps one line that is updated in place with a bar
(``progress_rich``, importing rich only then). An error message ends the display: it is raised
as ``StreamFailed`` and the command prints it on stderr and exits 1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from wharf.cli.command import CommandFailed

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, BinaryIO

    Message = dict[str, Any]


class StreamFailed(CommandFailed):
    """The stream ended with ``errorDetail``: docker prints the bare message and exits 1."""

    def __init__(self, message: str) -> None:
        super().__init__(1, message)


def error_of(message: Message) -> str | None:
    """The error a message carries, or None."""
    detail = message.get("errorDetail")
    if isinstance(detail, dict) and detail.get("message"):
        return str(detail["message"])
    if message.get("error"):
        return str(message["error"])
    return None


def has_progress(message: Message) -> bool:
    """Whether the message carries byte progress (docker's ``JSONProgress.String() != ""``)."""
    detail = message.get("progressDetail")
    if not isinstance(detail, dict):
        return False
    return int(detail.get("current") or 0) > 0 or int(detail.get("total") or 0) > 0


def plain_line(message: Message) -> str | None:
    """The text docker prints for a message off a terminal (None: nothing)."""
    if has_progress(message):
        return None
    prefix = f"{message['id']}: " if message.get("id") else ""
    if message.get("from"):
        prefix += f"(from {message['from']}) "
    if message.get("progress"):
        return f"{prefix}{message.get('status', '')} {message['progress']}\n"
    if message.get("stream"):
        return prefix + str(message["stream"])
    return f"{prefix}{message.get('status', '')}\n"


class PlainDisplay:
    """Lines, one per message."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out

    def show(self, message: Message) -> None:
        line = plain_line(message)
        if line is not None:
            self.out.write(line.encode("utf-8", "surrogateescape"))
            self.out.flush()

    def close(self) -> None:
        return


def display_messages(messages: Iterable[Message], out: BinaryIO, terminal: bool,
                     on_aux: Callable[[Message], None] | None = None) -> None:
    """Show every message; raise ``StreamFailed`` on an error message."""
    display: Any
    if terminal:
        from wharf.cli.progress_rich import RichDisplay

        display = RichDisplay(out)
    else:
        display = PlainDisplay(out)
    try:
        for message in _checked(messages):
            if "aux" in message:
                if on_aux is not None:
                    on_aux(message)
                continue
            display.show(message)
    finally:
        display.close()


def drain_messages(messages: Iterable[Message],
                   on_aux: Callable[[Message], None] | None = None) -> None:
    """Read the stream without showing it (``-q``); errors are still raised."""
    for message in _checked(messages):
        if "aux" in message and on_aux is not None:
            on_aux(message)


def _checked(messages: Iterable[Message]) -> Iterator[Message]:
    """The stream's messages; its error, or its abrupt end, raised as ``StreamFailed``."""
    from wharf.client.transport import StreamTruncated

    try:
        for message in messages:
            if not isinstance(message, dict):
                continue
            error = error_of(message)
            if error is not None:
                raise StreamFailed(error)
            yield message
    except StreamTruncated as exc:  # docker: "unexpected EOF"
        raise StreamFailed(str(exc)) from exc
