"""A JSON message stream for a long async job (a build): Docker's one-message-per-line answer.

The response starts with the first message, so a failure before it is still a plain HTTP error
(dockerd writes nothing until its output is first flushed); after it, the route ends the stream
with an ``errorDetail`` message. With ``hold`` the messages are kept back instead (a quiet
build: dockerd sends them only if the build fails). A client that goes away cancels the job:
aiohttp does not cancel handlers on a disconnect, so the stream looks at its transport while
it waits (every ``poll`` seconds) and whenever a write fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

from aiohttp import web

from wharf.core.errors import WharfError
from wharf.services.progress import Message, ProgressSink

__all__ = ["CANCEL_GRACE", "ClientGone", "JobCancelled", "MessageStream", "encode_message"]

_T = TypeVar("_T")
_CONTENT_TYPE = "application/json"  # no charset: the docker CLI compares it verbatim
CANCEL_GRACE = 30.0  # seconds a cancelled job gets to clean up before the handler returns


class ClientGone(ConnectionResetError):
    """The client closed the connection while its job was running."""


class JobCancelled(WharfError):
    """The job was cancelled by :meth:`MessageStream.cancel` (Go's context error text)."""


class _Done:
    pass


_DONE = _Done()


def encode_message(message: Message) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\r\n"


class MessageStream:
    def __init__(self, request: web.Request, *, hold: bool = False, poll: float = 0.5) -> None:
        self._request = request
        self._hold = hold
        self._poll = poll
        self._held: list[Message] = []
        self._response: web.StreamResponse | None = None
        self._job: asyncio.Future[object] | None = None

    @property
    def started(self) -> bool:
        """Whether a message went out (or, held, would go out with an error)."""
        return self._response is not None or bool(self._held)

    async def run(self, work: Callable[[ProgressSink], Awaitable[_T]]) -> _T:
        """Run ``work(sink)`` and stream what it sends to ``sink`` (callable from any thread)
        until it ends; return its result or raise its error. The job is cancelled if the
        client goes away (:class:`ClientGone`) or this coroutine is cancelled; a job stopped
        by :meth:`cancel` ends in :class:`JobCancelled`."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Message | _Done] = asyncio.Queue()

        def sink(message: Message) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, message)

        task = asyncio.ensure_future(work(sink))
        self._job = cast("asyncio.Future[object]", task)
        task.add_done_callback(lambda _: loop.call_soon(queue.put_nowait, _DONE))
        try:
            done = False
            while not done:
                batch = [await self._next(queue)]
                while not queue.empty():  # what is already waiting goes out in one write
                    batch.append(queue.get_nowait())
                done = isinstance(batch[-1], _Done)  # the job's end comes last
                messages = [m for m in batch if not isinstance(m, _Done)]
                if messages:
                    await self.send(*messages)
        except BaseException:
            await _cancel(task)
            raise
        if task.cancelled():
            raise JobCancelled("context canceled")
        return task.result()

    def cancel(self) -> None:
        """Stop the job (``POST /build/cancel``); the stream ends with its error."""
        if self._job is not None:
            self._job.cancel()

    async def _next(self, queue: asyncio.Queue[Message | _Done]) -> Message | _Done:
        while True:
            try:
                return await asyncio.wait_for(queue.get(), self._poll)
            except TimeoutError:
                if self._client_gone():
                    raise ClientGone("the client closed the connection") from None

    def _client_gone(self) -> bool:
        transport = self._request.transport
        return transport is None or transport.is_closing()

    async def send(self, *messages: Message) -> None:
        if self._hold:
            self._held.extend(messages)
            return
        response = await self._prepared()
        try:
            await response.write(b"".join(encode_message(m) for m in messages))
        except ConnectionError as exc:
            raise ClientGone(str(exc) or "the client closed the connection") from exc

    async def send_instead_of_held(self, message: Message) -> None:
        """Drop what was held back and send ``message`` (a quiet build that succeeded)."""
        self._held, self._hold = [], False
        await self.send(message)

    async def release_held(self) -> None:
        """Send what was held back (a quiet build that failed)."""
        held, self._held, self._hold = self._held, [], False
        if held:
            await self.send(*held)

    async def finish(self) -> web.StreamResponse:
        response = await self._prepared()
        with contextlib.suppress(ConnectionError):
            await response.write_eof()
        return response

    async def _prepared(self) -> web.StreamResponse:
        if self._response is None:
            self._response = web.StreamResponse(headers={"Content-Type": _CONTENT_TYPE})
            await self._response.prepare(self._request)
        return self._response


async def _cancel(task: asyncio.Future[_T]) -> None:
    """Cancel the job and give it a bounded time to clean up after itself."""
    if task.done():
        return
    task.cancel()
    with contextlib.suppress(BaseException):
        await asyncio.wait_for(asyncio.shield(task), CANCEL_GRACE)
