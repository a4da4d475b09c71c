"""Chunks of a download handed to a worker thread: write, verify or unpack beside the receive.

A flow receives a body chunk by chunk (``read`` effects); what it does with the
bytes (write them and check CRC-32s, inflate members into staged files) is
blocking disk and CPU work. :class:`ChunkPipe` runs that work, a ``consume``
function over an iterator of chunks, in a thread of its own, so receiving and
consuming overlap on two cores (CRC-32, zlib and file writes release the GIL).
At most :data:`DEPTH` chunks wait between them, so memory stays flat; when the
queue is full the flow waits through an ``offload`` effect (inline when
blocking, in a worker thread under asyncio: the event loop never blocks).

A failure of the consumer (a full disk, corrupt data) is raised by the next
:meth:`ChunkPipe.put` or by :meth:`ChunkPipe.finish`. When the flow fails for
another reason, :meth:`ChunkPipe.close` ends the consumer: after the chunks
already received (a dropped connection keeps them), or at once (an
interruption: its iterator raises :class:`Aborted` so its own cleanup runs).
Either way it waits for the thread: nothing is written after the flow has
moved on.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from .._http._flow import Flow, offload

__all__ = ["DEPTH", "Aborted", "ChunkPipe"]

T = TypeVar("T")

DEPTH = 3
"""Most chunks (of up to 1 MiB) waiting for the consumer."""


class Aborted(Exception):
    """Raised inside the consumer when the flow gave up on the body."""


class ChunkPipe(Generic[T]):
    """Hands chunks to ``consume`` (run in a worker thread named ``name``)."""

    def __init__(self, consume: Callable[[Iterator[bytes]], T], name: str) -> None:
        self._consume = consume
        self._queue: queue.Queue[bytes | None] = queue.Queue(DEPTH)
        self._error: BaseException | None = None
        self._result: T | None = None
        self._aborted = False
        self._ended = False
        self.put_bytes = 0
        """Bytes handed over so far."""
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _chunks(self) -> Iterator[bytes]:
        while (chunk := self._queue.get()) is not None:
            if self._aborted:
                break
            yield chunk
        self._ended = True
        if self._aborted:
            raise Aborted

    def _run(self) -> None:
        try:
            self._result = self._consume(self._chunks())
        except BaseException as exc:
            self._error = exc
        while not self._ended:  # keep draining so put() never waits forever
            self._ended = self._queue.get() is None

    def _raise(self) -> None:
        if self._error is not None and not isinstance(self._error, Aborted):
            raise self._error

    def put(self, chunk: bytes) -> Flow[None]:
        """Hand ``chunk`` over (raises the consumer's failure, if it already failed)."""
        self._raise()
        try:
            self._queue.put_nowait(chunk)
        except queue.Full:
            yield from offload(lambda: self._queue.put(chunk))
        self.put_bytes += len(chunk)

    def finish(self) -> Flow[T]:
        """Wait until every chunk is consumed; the consumer's result, or its failure."""
        yield from offload(lambda: self._queue.put(None))
        yield from offload(self._thread.join)
        self._raise()
        return self._result  # type: ignore[return-value]  # set when no failure

    def close(self, *, keep: bool) -> Flow[None]:
        """End the consumer without raising its failure (the flow fails for another reason).

        ``keep``: after the chunks already handed over (a dropped connection keeps
        what it received); else at once (:meth:`abort`: an interruption).
        """
        if keep:
            yield from offload(lambda: self._queue.put(None))
            yield from offload(self._thread.join)
        else:
            yield from self.abort()

    def abort(self) -> Flow[None]:
        """Stop the consumer (its iterator raises :class:`Aborted`) and wait for its thread."""
        self._aborted = True
        while True:  # make room for the end mark without waiting on the consumer
            try:
                self._queue.put_nowait(None)
                break
            except queue.Full:
                with contextlib.suppress(queue.Empty):
                    self._queue.get_nowait()
        yield from offload(self._thread.join)
