"""A file object whose bytes a worker thread reads ahead, so an event loop can read it.

httpx's multipart encoder reads a request's file part with plain ``read(64 KiB)``
calls, on the event loop for an async request. The input zip
(:class:`~inductiva._transfers._zipwrite.InputZip`) does CPU work in ``read``:
it deflates the files beyond its cache. :class:`AheadReader` moves that work
off the loop: a daemon thread reads the stream in :data:`CHUNK`-byte pieces
into a queue of at most :data:`DEPTH` pieces, and ``read()`` on the loop takes a
piece already made. Memory stays flat (at most ``DEPTH + 2`` pieces, 2.5 MiB).
While the network is slower than the thread (the usual case), ``read()`` returns
at once. When it is faster (a local server), ``read()`` waits on the queue for
the next piece: the loop then waits for the thread rather than deflating
itself, no longer than one piece takes to make (zlib emits output at least every
few MiB of input: about 0.1 s at worst).

``seek(0)`` (httpx rewinds before sending; a refused upload is sent again)
stops the thread and starts over from the stream's start, unless nothing has
been read yet. An error raised while producing (e.g. the ``TransferError`` of a
file that changed since planning) is raised again by ``read()`` until the next
``seek(0)``. ``close()`` stops the thread, waits for it to end (the piece it is
making) and closes the stream, so no thread and no open file outlive the upload.
"""

from __future__ import annotations

import queue
import threading
from typing import IO

from .. import errors
from ._rewind import RewindOnlyReader

__all__ = ["CHUNK", "DEPTH", "AheadReader"]

CHUNK = 256 * 1024
"""Bytes the thread reads from the stream at a time."""
DEPTH = 8
"""Pieces the queue holds at most."""
_POLL = 0.05  # seconds between checks for a stop request while the queue is full

_Item = bytes | BaseException


def _produce(
    source: IO[bytes], chunk: int, pieces: queue.Queue[_Item], stop: threading.Event
) -> None:
    """Read ``source`` from its start into ``pieces``; end with ``b""`` or the error raised."""

    def put(item: _Item) -> bool:
        while not stop.is_set():
            try:
                pieces.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    try:
        source.seek(0)
        while not stop.is_set():
            data = source.read(chunk)
            if not put(data) or not data:
                return
    except BaseException as exc:  # handed to the reader, which raises it
        put(exc)


class AheadReader(RewindOnlyReader):
    """``source`` (seekable, ``size`` bytes long) read ahead by a worker thread."""

    def __init__(
        self, source: IO[bytes], size: int, *, chunk: int = CHUNK, depth: int = DEPTH
    ) -> None:
        super().__init__()
        self._source = source
        self.size = size
        self._chunk = self._piece = chunk
        self._depth = depth
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._pieces: queue.Queue[_Item] = queue.Queue(depth)
        self._buffer = memoryview(b"")
        self._pos = 0
        self._done = False
        self._failure: BaseException | None = None

    def start(self) -> None:
        """Start reading ahead from the stream's start (nothing if already started)."""
        if self.closed:
            raise ValueError("I/O operation on closed file.")
        if self._thread is not None:
            return
        self._stop = threading.Event()
        self._pieces = queue.Queue(self._depth)
        self._thread = threading.Thread(
            target=_produce,
            args=(self._source, self._chunk, self._pieces, self._stop),
            name="inductiva-upload-reader",
            daemon=True,
        )
        self._thread.start()

    def _halt(self) -> None:
        """Stop the thread, wait for it to end and forget what it read."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            if thread is not threading.current_thread():
                thread.join()
        self._pieces = queue.Queue(self._depth)
        self._buffer = memoryview(b"")
        self._pos = 0
        self._done = False
        self._failure = None

    def _next(self) -> _Item:
        thread = self._thread
        assert thread is not None
        while True:
            try:
                return self._pieces.get(timeout=1.0)
            except queue.Empty:
                if not thread.is_alive() and self._pieces.empty():
                    raise errors.TransferError(
                        "The upload's reader thread ended without a result; upload again."
                    ) from None

    # -- what RewindOnlyReader asks ------------------------------------------
    def _may_stay(self) -> bool:
        return self._failure is None

    def _rewind(self) -> None:
        self._halt()

    def _produce_next(self) -> bytes:
        """The next piece from the thread; an error while producing is raised."""
        if self._failure is not None:
            raise self._failure
        if self._done:
            return b""
        self.start()
        item = self._next()
        if isinstance(item, BaseException):
            self._failure = item
            raise item
        self._done = not item
        return item

    def close(self) -> None:
        """Stop the thread (waiting for it to end) and close the stream."""
        if not self.closed:
            try:
                self._halt()
            finally:
                self._source.close()
        super().close()
