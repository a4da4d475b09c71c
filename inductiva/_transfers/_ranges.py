"""The plan of a parallel-ranges download, shared by its blocking and asyncio drivers.

:class:`RangePlan` holds what both drivers of :mod:`._parallel` (threads) and
:mod:`._aparallel` (asyncio tasks) share: the split of the archive into
:func:`connections` ranges, or the progress of each read back from the sidecar
(``<dest>.part.ranges.json``, the same file for both, so a download begun on
one path is continued by the other), the in-place writes (``os.pwrite`` of at
most 1 MiB) and their accounting, the ``Range``/``If-Range`` request of each
range and the checks of its answer, the retry decision within the call's
retry budget, and the outcome once every range ended. The drivers only move
the bytes.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

import httpx

from .. import _client, _retry, errors
from . import _limits, _remote_zip

__all__ = [
    "Changed",
    "RangePlan",
    "Segment",
    "changed_error",
    "connections",
    "ranges_sidecar",
]

logger = logging.getLogger("inductiva")

_SAVE_EVERY = 8 * 1024 * 1024
_WRITE_BYTES = 1024 * 1024
"""Most bytes one ``os.pwrite`` writes (short enough to run on an event loop)."""

Segment = list[int]
"""``[start, end_exclusive, have]`` of one range (mutated as bytes arrive)."""


def connections() -> int:
    """The number of concurrent range requests of the active client's settings (>= 1)."""
    return _client.resolve_settings().download_connections


def ranges_sidecar(part: Path) -> Path:
    """Where the progress of each range of ``part`` is kept."""
    return part.with_name(part.name + ".ranges.json")


def changed_error(task_id: str, part: Path) -> errors.ApiConnectionError:
    """Forget the ranges of ``part``; the error that makes the caller start over."""
    ranges_sidecar(part).unlink(missing_ok=True)
    part.unlink(missing_ok=True)
    return errors.ApiConnectionError(
        f"The output archive of task {task_id} changed during the download; fetching it anew."
    )


class Changed(Exception):
    """The archive is not the one the ranges were planned for."""


class RangePlan:
    """The ranges of one archive into ``part``: plan, sidecar, writes and checks.

    Shared by the blocking (:class:`~inductiva._transfers._parallel.ParallelFetch`) and asyncio
    (:class:`~inductiva._transfers._aparallel.AsyncParallelFetch`) drivers, which
    only move the bytes.
    """

    def __init__(self, task_id: str, part: Path, size: int, etag: str) -> None:
        self.task_id, self.part = task_id, part
        self.etag = etag
        self.size = size
        self.fd = -1
        self._lock = threading.Lock()
        self._dirty = 0
        self.segments = self._plan()

    def _plan(self) -> list[Segment]:
        """From the sidecar when it matches this archive and ``part``, else a fresh split."""
        try:
            raw = json.loads(ranges_sidecar(self.part).read_text())
            if (
                raw["task_id"] == self.task_id
                and raw["etag"] == self.etag
                and raw["size"] == self.size
                and self.part.stat().st_size == self.size
            ):
                return [[int(a), int(b), int(h)] for a, b, h in raw["segments"]]
        except (OSError, ValueError, KeyError, TypeError):
            pass
        n = connections()
        step = -(-self.size // n)
        return [[a, min(a + step, self.size), 0] for a in range(0, self.size, step)]

    def save(self) -> None:
        """Record every range's progress in the sidecar."""
        state = {
            "task_id": self.task_id,
            "etag": self.etag,
            "size": self.size,
            "segments": self.segments,
        }
        ranges_sidecar(self.part).write_text(json.dumps(state))

    @property
    def held(self) -> int:
        """Bytes already in ``part``."""
        return sum(s[2] for s in self.segments)

    def todo(self) -> list[Segment]:
        """The ranges not complete yet."""
        return [s for s in self.segments if s[2] < s[1] - s[0]]

    def open(self) -> None:
        """Check the free space, open ``part`` at its full size, record the sidecar."""
        _limits.check_free_space(self.part.parent, self.size - self.held, "Downloading the archive")
        self.part.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(self.part, os.O_RDWR | os.O_CREAT, 0o600)
        if os.fstat(self.fd).st_size != self.size:
            os.ftruncate(self.fd, self.size)
        self.save()

    def close(self) -> None:
        """Close ``part``; its sidecar keeps what was received for the next call."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        if self.part.exists():
            self.save()

    def write(self, seg: Segment, chunk: bytes, update: Callable[[int], object]) -> None:
        """Write ``chunk`` at the end of what ``seg`` holds, in writes of at most 1 MiB."""
        start, end, _ = seg
        if len(chunk) > end - start - seg[2]:
            raise errors.IntegrityError(
                f"The server sent more than the {end - start} bytes asked for."
            )
        view = memoryview(chunk)
        for offset in range(0, len(chunk), _WRITE_BYTES):
            os.pwrite(self.fd, view[offset : offset + _WRITE_BYTES], start + seg[2] + offset)
        with self._lock:
            seg[2] += len(chunk)
            self._dirty += len(chunk)
            update(len(chunk))
            if self._dirty >= _SAVE_EVERY:
                self._dirty = 0
                self.save()

    def write_first(self, seg: Segment, chunk: bytes, update: Callable[[int], object]) -> bool:
        """Write what fits of a chunk of the plain GET into ``seg``; True once it is full."""
        room = seg[1] - seg[0] - seg[2]
        self.write(seg, chunk[:room], update)
        return len(chunk) >= room  # the rest of that response is left unread

    @staticmethod
    def serves_first(seg: Segment) -> bool:
        """Whether the plain GET that found the archive's size can fill ``seg``."""
        return seg[0] == 0 and seg[2] == 0

    @staticmethod
    def complete(seg: Segment) -> bool:
        """Whether ``seg`` holds all its bytes."""
        return seg[2] >= seg[1] - seg[0]

    def headers(self, seg: Segment) -> dict[str, str]:
        """The request for the rest of ``seg``, of this archive version only."""
        return {"Range": f"bytes={seg[0] + seg[2]}-{seg[1] - 1}", "If-Range": self.etag}

    def check_answer(self, seg: Segment, response: httpx.Response) -> None:
        """:class:`Changed` unless ``response`` is the 206 of exactly the rest of ``seg``."""
        if response.status_code != 206:
            raise Changed
        found = _remote_zip.parse_content_range(response.headers.get("Content-Range"))
        if found != (seg[0] + seg[2], seg[1] - 1, self.size):
            raise Changed

    def check_complete(self, seg: Segment) -> None:
        """ApiConnectionError (the range resumes) if ``seg``'s answer ended early."""
        if not self.complete(seg):
            raise errors.ApiConnectionError(
                f"A range of task {self.task_id}'s archive ended after {seg[2]} of "
                f"{seg[1] - seg[0]} bytes."
            )

    @staticmethod
    def retry_wait(attempt: int, mark: int, exc: errors.ApiConnectionError) -> float | None:
        """Seconds before a range's next attempt, or None when out of retries (re-raise)."""
        return _retry.resume_delay(_client.resolve_settings().retry_policy, attempt, mark, exc)

    def outcome(self, failures: list[BaseException]) -> bool:
        """After every range ended: True when complete, False when the archive changed.

        The first failure wins; any other than :class:`Changed` is raised.
        """
        failure = failures[0] if failures else None
        if isinstance(failure, Changed):
            logger.info("Output archive of task %s changed; fetching it anew", self.task_id)
            return False
        if failure is not None:
            raise failure
        ranges_sidecar(self.part).unlink(missing_ok=True)
        return True
