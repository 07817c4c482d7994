"""Interactive I/O over a hijacked connection: the terminal side of attach, run and exec.

Output is copied in the calling thread (demultiplexed unless the container has a TTY); stdin
is copied by a daemon thread that half-closes the connection when stdin ends, so the
container sees EOF while its remaining output still arrives. Helpers put the terminal in raw
mode, follow its size (SIGWINCH) and forward signals to the container (``--sig-proxy``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator

from wharf.client.streams import STDERR, SYSTEMERR, Demuxer, StreamError
from wharf.client.transport import HijackedStream
from wharf.core.detachkeys import DEFAULT_DETACH_KEYS, EscapeDetector, parse_detach_keys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO

READ_SIZE = 32768
PROXIED_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")
DETACHED_MESSAGE = "read escape sequence"  # docker's words when attach or exec is detached


class StreamSession:
    """One attached session: the hijacked stream and the local stdio it is wired to."""

    def __init__(self, stream: HijackedStream, tty: bool, stdin: BinaryIO | None,
                 stdout: BinaryIO, stderr: BinaryIO, close_stdin_on_eof: bool = True,
                 detach_keys: str = "") -> None:
        self.stream = stream
        self.tty = tty
        self.stdin = stdin  # None: send nothing (and half-close at once)
        self.stdout = stdout
        self.stderr = stderr
        self.close_stdin_on_eof = close_stdin_on_eof
        self.detach_keys = detach_keys  # "": the default sequence
        self.detached = False  # the user typed the detach keys (the process keeps running)

    def run(self) -> None:
        """Copy both ways until the daemon ends the output stream."""
        if self.stdin is not None:
            threading.Thread(target=self._copy_input, name="stdin", daemon=True).start()
        else:
            self.stream.close_write()  # docker half-closes at once when stdin is not attached
        self._copy_output()

    def _copy_input(self) -> None:
        assert self.stdin is not None
        detector = self._detector()
        try:
            for chunk in read_chunks(self.stdin):
                data = detector.feed(chunk) if detector is not None else chunk
                if data:
                    self.stream.send(data)
                if detector is not None and detector.detached:
                    self.detached = True
                    self.stream.shut_down()  # the output loop ends; nothing more is sent
                    return
            if detector is not None and (held := detector.flush()):
                self.stream.send(held)
        except OSError:
            return
        if self.close_stdin_on_eof:
            self.stream.close_write()

    def _detector(self) -> EscapeDetector | None:
        """The detach keys are watched on TTY input, as docker does (other input is
        data). A spec the daemon will refuse anyway is not watched here."""
        if not self.tty:
            return None
        try:
            return EscapeDetector(parse_detach_keys(self.detach_keys or DEFAULT_DETACH_KEYS))
        except ValueError:
            return None

    def _copy_output(self) -> None:
        demuxer = None if self.tty else Demuxer()
        while True:
            try:
                data = self.stream.read_some()
            except OSError:
                break
            if not data:
                break
            if demuxer is None:
                _write(self.stdout, data)
                continue
            for kind, payload in demuxer.feed(data):
                if kind == SYSTEMERR:
                    raise StreamError(payload.decode("utf-8", "replace"))
                _write(self.stderr if kind == STDERR else self.stdout, payload)


def _write(stream: BinaryIO, data: bytes) -> None:
    stream.write(data)
    stream.flush()


def read_chunks(stream: BinaryIO) -> Iterator[bytes]:
    """What the user types or pipes, as it arrives (``os.read`` on real files)."""
    try:
        fd: int | None = stream.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None
    for _ in iter(int, 1):  # until EOF
        data = os.read(fd, READ_SIZE) if fd is not None else stream.read(READ_SIZE)
        if not data:
            return
        yield data


def is_terminal(stream: object) -> bool:
    try:
        return bool(stream.fileno() is not None and os.isatty(stream.fileno()))  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return False


@contextlib.contextmanager
def raw_terminal(stream: BinaryIO, enabled: bool) -> Iterator[None]:
    """Put the terminal in raw mode (like ``docker run -t``) and restore it afterwards."""
    if not enabled or not is_terminal(stream):
        yield
        return
    import termios
    import tty

    fd = stream.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setraw(fd, termios.TCSANOW)  # like moby/term: keep what was typed ahead
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def terminal_size(stream: object) -> tuple[int, int] | None:
    """(height, width) of the terminal behind ``stream``, or None."""
    try:
        size = os.get_terminal_size(stream.fileno())  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return None
    return size.lines, size.columns


@contextlib.contextmanager
def follow_terminal_size(stream: object, resize: Callable[[int, int], None],
                         enabled: bool) -> Iterator[None]:
    """Send the size now and on every SIGWINCH (docker's ``MonitorTtySize``)."""
    if not enabled or terminal_size(stream) is None:
        yield
        return

    def send_size(*_: object) -> None:
        size = terminal_size(stream)
        if size is not None and size != (0, 0):  # docker skips unknown sizes
            with contextlib.suppress(Exception):
                resize(*size)

    send_size()
    previous = signal.signal(signal.SIGWINCH, send_size)
    try:
        yield
    finally:
        signal.signal(signal.SIGWINCH, previous)


@contextlib.contextmanager
def proxy_signals(forward: Callable[[str], None], enabled: bool) -> Iterator[None]:
    """Forward the CLI's signals to the container (each on a short-lived thread)."""
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(number: int, _frame: object) -> None:
        name = signal.Signals(number).name
        threading.Thread(target=_quietly, args=(forward, name), daemon=True).start()

    previous = {}
    for name in PROXIED_SIGNALS:
        number = getattr(signal, name)
        previous[number] = signal.signal(number, handler)
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def _quietly(forward: Callable[[str], None], name: str) -> None:
    with contextlib.suppress(Exception):
        forward(name)
