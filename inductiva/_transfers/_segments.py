"""Bytes kept from planning an upload for sending, in segments given back when dropped.

Planning the input zip deflates every file and keeps what it can of the
result, so sending needs no second deflate. Kept as one Python object per
file, those bytes fragment the heap: dropping them (the plan's records grow
and take their room) does not give the memory back, and the process's peak
memory counts them twice. :class:`Segments` packs them into anonymous memory
maps of :data:`SEGMENT` bytes (one map per item larger than that), appended
to and dropped from the end only: a dropped segment goes straight back to
the operating system.
"""

from __future__ import annotations

import mmap
from array import array

__all__ = ["SEGMENT", "Segments"]

SEGMENT = 1024 * 1024


class Segments:
    """A stack of byte strings, each read back by the handle :meth:`push` returned."""

    def __init__(self) -> None:
        self._segments: list[mmap.mmap] = []
        self._used: list[int] = []  # bytes used in each segment
        self._where = array("I")  # each item's segment
        self._offsets = array("Q")
        self._lengths = array("Q")
        self.size = 0

    def __len__(self) -> int:
        return len(self._where)

    def push(self, data: bytes) -> int:
        """Keep ``data``; its handle."""
        n = len(data)
        if not self._segments or self._used[-1] + n > len(self._segments[-1]):
            self._segments.append(mmap.mmap(-1, max(SEGMENT, n)))
            self._used.append(0)
        segment, offset = len(self._segments) - 1, self._used[-1]
        self._segments[segment][offset : offset + n] = data
        self._used[-1] = offset + n
        self._where.append(segment)
        self._offsets.append(offset)
        self._lengths.append(n)
        self.size += n
        return len(self._where) - 1

    def pop(self) -> int:
        """Drop the last item kept; its size."""
        segment, offset, n = self._where.pop(), self._offsets.pop(), self._lengths.pop()
        self._used[segment] = offset
        self.size -= n
        if offset == 0:
            self._segments.pop().close()
            self._used.pop()
        return n

    def get(self, handle: int) -> bytes:
        """The bytes kept under ``handle``."""
        segment, offset, n = self._where[handle], self._offsets[handle], self._lengths[handle]
        return self._segments[segment][offset : offset + n]

    def close(self) -> None:
        """Give every segment back."""
        for segment in self._segments:
            segment.close()
        self._segments, self._used, self.size = [], [], 0
        del self._where[:], self._offsets[:], self._lengths[:]
