"""A read-only byte stream that can only be rewound: what httpx needs of an upload body.

httpx reads an upload body in chunks, asks its length by seeking to the end
(``Content-Length`` is known before the first byte), and a re-sent upload
starts again from the beginning. The input zip (built while it is read) and
the reader that builds it ahead in a thread both offer exactly that; the
protocol is here, once. Subclasses set ``size``, keep ``_pos`` and
``_buffer`` (the bytes produced but not yet read), and produce in
:meth:`_produce_next` (``b""`` at the end).
"""

from __future__ import annotations

import io
import os
from typing import Any

__all__ = ["RewindOnlyReader"]


class RewindOnlyReader(io.RawIOBase):
    """Readable, seekable to its start (produce again) and its end (the length) only."""

    size: int
    _pos: int = 0
    _buffer: memoryview = memoryview(b"")
    _piece: int = 1024 * 1024

    def _rewind(self) -> None:
        """Produce from the start again."""
        raise NotImplementedError

    def _produce_next(self) -> bytes:
        """The next bytes produced (``b""`` once everything was)."""
        raise NotImplementedError

    def _may_stay(self) -> bool:
        """Whether seeking to where it already is may be a no-op."""
        return True

    def readable(self) -> bool:
        """Always readable."""
        return True

    def seekable(self) -> bool:
        """Seekable to the start (to send again) and to the end (to learn the length)."""
        return True

    def tell(self) -> int:
        """Bytes read so far."""
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Only the start (restart) or the end (the length, for Content-Length)."""
        if whence == os.SEEK_END and offset == 0:
            return self.size
        if whence == os.SEEK_SET and offset == self._pos and self._may_stay():
            return self._pos
        if whence == os.SEEK_SET and offset == 0:
            self._rewind()
            return 0
        raise io.UnsupportedOperation("the stream can only be rewound to its start")

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes (the rest when ``size`` is negative)."""
        if self.closed:
            raise ValueError("I/O operation on closed file.")
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(self._piece), b""))
        while not self._buffer and size:
            chunk = self._produce_next()
            if not chunk:
                return b""
            self._buffer = memoryview(chunk)
        data = bytes(self._buffer[:size])
        self._buffer = self._buffer[len(data) :]
        self._pos += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        """Read into ``buffer``."""
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
