"""The ranges of an archive being fetched concurrently into its ``.part``: split, writes, checks.

A :class:`RangePlan` holds the archive's ranges (:data:`~._part.Segment`:
``[start, end, have]``), planned from what the ``.part`` already holds (see
:class:`~._part.PartState`: a prefix from one stream, or the ranges of an
earlier call) with the rest split so that about ``connections`` requests run
at once. Workers (the sub-flows of :mod:`._parallel`, threads or asyncio tasks)
take the ranges one by one (:meth:`RangePlan.take`) and write what they
receive in place (``os.pwrite`` of at most 1 MiB).

The plan is shared by every worker and must stay consistent however they end
(a dropped connection, Ctrl-C, an asyncio cancel, a worker abandoned by the
blocking driver after its grace period): a range's progress is counted only
after its bytes were written, under a lock, and saved with it; :meth:`close`
waits for writes under way, then refuses every later one (:class:`Closed`),
so the sidecar it saves last describes exactly what the ``.part`` holds.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from .. import errors
from .._http._flow import Request
from . import _limits, _part, _remote_zip
from ._output import output_request
from ._part import PartState, Segment

__all__ = ["Changed", "Closed", "RangePlan"]

logger = logging.getLogger("inductiva")

SAVE_EVERY = 8 * 1024 * 1024
"""Bytes received between two saves of the sidecar."""
_WRITE_BYTES = 1024 * 1024
"""Most bytes one ``os.pwrite`` writes (short enough to run on an event loop)."""


class Changed(Exception):
    """The archive is not the one the ranges were planned for (its ETag changed)."""


class Closed(Exception):
    """A write arrived after the plan was closed (its worker was cancelled or abandoned)."""


def _merged(segments: list[Segment]) -> list[Segment]:
    """``segments`` with each complete range folded into the next (one prefix held)."""
    result: list[Segment] = []
    for start, end, have in segments:
        if result and result[-1][2] == result[-1][1] - result[-1][0]:
            first = result.pop()
            start, have = first[0], first[2] + have
        result.append([start, end, have])
    return result


def _split(segments: list[Segment], connections: int) -> list[Segment]:
    """``segments`` with their missing bytes split so about ``connections`` ranges remain."""
    segments = _merged(segments)
    missing = sum(e - s - h for s, e, h in segments)
    if not missing:
        return segments
    step = max(1, -(-missing // connections))
    result: list[Segment] = []
    for start, end, have in segments:
        first = start + have
        if end - first <= step:
            result.append([start, end, have])
            continue
        result.append([start, first + step, have])
        result += [[a, min(a + step, end), 0] for a in range(first + step, end, step)]
    return result


class RangePlan:
    """The ranges of one archive version (``size`` bytes, ``etag``) into ``part``."""

    def __init__(self, task_id: str, part: Path, state: PartState, connections: int) -> None:
        assert state.size is not None and state.etag
        self.task_id, self.part = task_id, part
        self.etag, self.size = state.etag, state.size
        # well under the sidecar's plausible maximum, whatever download_connections says
        self.segments = _split(state.as_segments(), min(connections, _part.MAX_SEGMENTS // 4))
        self._queue = [s for s in self.segments if not self.complete(s)]
        self.fd = -1
        self.closed = False
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._writing = 0
        self._dirty = 0

    # -- the ranges -------------------------------------------------------------------
    @property
    def held(self) -> int:
        """Bytes already in ``part``."""
        return sum(s[2] for s in self.segments)

    def todo(self) -> int:
        """How many ranges are not complete yet."""
        return sum(1 for s in self.segments if not self.complete(s))

    def take(self, position: int | None = None) -> Segment | None:
        """The next range for a worker (the one continuing at ``position`` if given), or None."""
        with self._lock:
            for seg in self._queue:
                if position is None or seg[0] + seg[2] == position:
                    self._queue.remove(seg)
                    return seg
        return None

    @staticmethod
    def complete(seg: Segment) -> bool:
        """Whether ``seg`` holds all its bytes."""
        return seg[2] >= seg[1] - seg[0]

    def state(self) -> PartState:
        """The sidecar's view of the plan now."""
        segments = tuple((s, e, h) for s, e, h in self.segments)
        if all(self.complete(s) for s in self.segments):  # whole: the plain form
            return PartState(self.task_id, self.etag, self.size, None, self.size)
        return PartState(self.task_id, self.etag, self.size, segments)

    # -- the file ---------------------------------------------------------------------
    def open(self) -> None:
        """Check the free space, open ``part`` at its full size, record the sidecar."""
        _limits.check_free_space(self.part.parent, self.size - self.held, "Downloading the archive")
        self.part.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(self.part, os.O_RDWR | os.O_CREAT, 0o600)
        if os.fstat(self.fd).st_size != self.size:
            os.ftruncate(self.fd, self.size)
        _part.save(self.part, self.state())

    def close(self) -> None:
        """Wait for writes under way, refuse any later one, close ``part``, save the sidecar."""
        with self._lock:
            self.closed = True
            while self._writing:
                self._idle.wait()
            if self.fd >= 0:
                os.close(self.fd)
                self.fd = -1
                if self.part.exists():
                    _part.save(self.part, self.state())

    def write(self, seg: Segment, chunk: bytes, update: Callable[[int], object]) -> None:
        """Write ``chunk`` after what ``seg`` holds; :class:`Closed` once the plan is closed."""
        start, end, have = seg
        if len(chunk) > end - start - have:
            raise errors.IntegrityError(
                f"The server sent more than the {end - start} bytes of a range asked for."
            )
        with self._lock:
            if self.closed:
                raise Closed
            self._writing += 1
        written = False
        try:
            view = memoryview(chunk)
            for offset in range(0, len(chunk), _WRITE_BYTES):
                os.pwrite(self.fd, view[offset : offset + _WRITE_BYTES], start + have + offset)
            written = True
        finally:
            with self._lock:  # counted before close() can save: the sidecar never lags behind
                self._writing -= 1
                if written:
                    self._count(seg, len(chunk), update)
                self._idle.notify_all()

    def _count(self, seg: Segment, size: int, update: Callable[[int], object]) -> None:
        seg[2] += size
        self._dirty += size
        update(size)
        if self._dirty >= SAVE_EVERY and not self.closed:
            self._dirty = 0
            _part.save(self.part, self.state())

    # -- requests ---------------------------------------------------------------------
    def request(self, seg: Segment) -> Request:
        """The request for the rest of ``seg``, of this archive version only."""
        byte_range = f"bytes={seg[0] + seg[2]}-{seg[1] - 1}"
        return output_request(self.task_id, byte_range=byte_range, if_range=self.etag)

    def check_answer(self, seg: Segment, status: int, content_range: str | None) -> None:
        """:class:`Changed` unless the answer is the 206 of exactly the rest of ``seg``."""
        if status != 206:
            raise Changed
        found = _remote_zip.parse_content_range(content_range)
        if found != (seg[0] + seg[2], seg[1] - 1, self.size):
            raise Changed

    def check_complete(self, seg: Segment) -> None:
        """ApiConnectionError (the range resumes) if ``seg``'s answer ended early."""
        if not self.complete(seg):
            raise errors.ApiConnectionError(
                f"A range of task {self.task_id}'s archive ended after {seg[2]} of "
                f"{seg[1] - seg[0]} bytes."
            )
