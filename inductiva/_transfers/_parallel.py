"""Full downloads split into concurrent byte-range requests (extension ``byte-ranges``).

Cloud storage and long network paths cap what one TCP connection carries; a
large archive is therefore fetched as :func:`connections` ranges at once, each
on its own pooled connection, written in place (``os.pwrite``) into the same
``<dest>.part`` a single-stream download uses. Only when the server offers byte
ranges (its directory read gave an ETag) and the archive is at least
:data:`MIN_PARALLEL_BYTES`; otherwise, or when ``connections()`` is 1, the
single stream of :mod:`._resume` runs.

Every range is sent with ``If-Range: <etag>``: an answer that is not the 206 of
exactly that range (the archive changed) stops the parallel fetch and the
download starts over as a single stream. Each range resumes by itself after a
dropped connection (up to ``inductiva.max_retries`` times within the call), and
the progress of every range is kept in a sidecar (``<dest>.part.ranges.json``) so
a later call continues them. The archive is then verified as a whole (CRC-32 of
every member, while extracting or in one pass), as for any download that could
not be verified while streaming.

The plan, the sidecar, the write accounting and the decisions (probe, split,
answer checks, outcome) live in :class:`RangePlan` and :class:`Probe`, shared
by the blocking driver here (:class:`ParallelFetch`, one thread per range) and
the asyncio one of :mod:`._aparallel` (one task per range): a download begun on
either path is continued by the other.

Setting: ``download_connections`` (``inductiva.Client(download_connections=...)``,
``inductiva.download_connections``, ``INDUCTIVA_DOWNLOAD_CONNECTIONS``; integer
>= 1, default :data:`DEFAULT_CONNECTIONS`).
"""

from __future__ import annotations

import contextvars
import itertools
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from .. import _client, _retry, errors
from . import _limits, _remote_zip, _wire
from ._progress import byte_bar

__all__ = [
    "DEFAULT_CONNECTIONS",
    "MIN_PARALLEL_BYTES",
    "PROBE_BYTES",
    "PROBE_SECONDS",
    "SPLIT_BELOW",
    "Changed",
    "ParallelFetch",
    "Probe",
    "RangePlan",
    "Stream",
    "changed_error",
    "connections",
    "ranges_sidecar",
    "should_split",
    "splittable",
    "take_over",
]

logger = logging.getLogger("inductiva")

DEFAULT_CONNECTIONS = _client.DEFAULT_DOWNLOAD_CONNECTIONS
"""Concurrent range requests per large download."""
MIN_PARALLEL_BYTES = 64 * 1024 * 1024
"""Smaller archives travel as one stream (the split would cost more than it gains)."""
_SAVE_EVERY = 8 * 1024 * 1024
_WRITE_BYTES = 1024 * 1024
"""Most bytes one ``os.pwrite`` writes (short enough to run on an event loop)."""
PROBE_SECONDS = 0.25
PROBE_BYTES = 4 * 1024 * 1024
SPLIT_BELOW = 32 * 1024 * 1024
"""A first connection slower than this (bytes a second) gets the archive split into ranges."""

Segment = list[int]
"""``[start, end_exclusive, have]`` of one range (mutated as bytes arrive)."""
Stream = tuple[bytes, Iterator[bytes]]
"""Bytes already read from a response, and the iterator over the rest of its body."""


def connections() -> int:
    """The number of concurrent range requests of the active client's settings (>= 1)."""
    return _client.resolve_settings().download_connections


def ranges_sidecar(part: Path) -> Path:
    """Where the progress of each range of ``part`` is kept."""
    return part.with_name(part.name + ".ranges.json")


def should_split(part: Path, remote: _remote_zip.RemoteZip | None) -> bool:
    """Whether this download continues the parallel ranges a previous call began.

    (A fresh download starts as one stream; :func:`take_over` splits it when slow.)
    """
    return ranges_sidecar(part).exists() and remote is not None and bool(remote.etag)


def splittable(response: httpx.Response, total: int) -> str | None:
    """The ETag of a plain GET worth probing for a split, else None.

    It needs an ``ETag``, ``Accept-Ranges: bytes``, at least
    :data:`MIN_PARALLEL_BYTES` bytes and more than one connection configured.
    """
    etag: str | None = response.headers.get("ETag")
    ranges = response.headers.get("Accept-Ranges", "").strip().lower() == "bytes"
    if etag and ranges and total >= MIN_PARALLEL_BYTES and connections() > 1:
        return etag
    return None


class Probe:
    """Times the first bytes of a plain GET: is its connection slow enough to split?

    Fed for up to :data:`PROBE_SECONDS` (at most :data:`PROBE_BYTES`); a
    connection that carries less than :data:`SPLIT_BELOW` bytes a second has the
    rest of the archive fetched as ranges.
    """

    def __init__(self, total: int) -> None:
        self.total = total
        self.began = time.monotonic()
        self.got = 0
        self._chunks: list[bytes] = []

    def feed(self, chunk: bytes) -> bool:
        """Keep ``chunk``; True once the probe has seen enough."""
        self._chunks.append(chunk)
        self.got += len(chunk)
        return self.got >= PROBE_BYTES or time.monotonic() - self.began >= PROBE_SECONDS

    @property
    def prefix(self) -> bytes:
        """The bytes read so far."""
        return b"".join(self._chunks)

    def split(self) -> bool:
        """True if the connection was slow (and the archive not already read whole)."""
        elapsed = max(time.monotonic() - self.began, 1e-6)
        fast = self.got >= PROBE_BYTES and self.got / elapsed >= SPLIT_BELOW
        return not fast and self.got < self.total


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

    Shared by the blocking (:class:`ParallelFetch`) and asyncio
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
        settings = _client.resolve_settings()
        if attempt > settings.max_retries or _retry.note_failure(mark, str(exc)[:200]):
            return None
        return settings.retry_policy.delay(attempt)

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


def take_over(task_id: str, part: Path, response: httpx.Response, total: int) -> Stream | None:
    """Maybe split a fresh plain GET of a large archive into ranges.

    The first bytes are timed (:class:`Probe`): a slow connection has the rest
    of the archive fetched as :func:`connections` concurrent ranges (None: the
    archive is in ``part``). Otherwise (a fast connection, a small archive, no
    ``ETag`` or ``Accept-Ranges: bytes``, one connection configured) the bytes
    read and the rest of the body are handed back to be written as one stream.
    Raises ``ApiConnectionError`` if the archive changed meanwhile (the caller
    starts over).
    """
    body = _wire.iter_body(response)
    etag = splittable(response, total)
    if etag is None:
        return b"", body
    probe = Probe(total)
    for chunk in body:
        if probe.feed(chunk):
            break
    if not probe.split():
        return probe.prefix, body
    if not ParallelFetch(task_id, part, total, etag).run(first=(probe.prefix, body)):
        raise changed_error(task_id, part)
    return None


class ParallelFetch(RangePlan):
    """The ranges of one archive, fetched concurrently into ``part`` (one thread each)."""

    _first: Stream | None = None

    def _from_first(self, first: Stream, seg: Segment, update: Callable[[int], object]) -> None:
        prefix, body = first
        try:
            for chunk in itertools.chain([prefix], body):
                if self.write_first(seg, chunk, update):
                    break
        except httpx.TransportError as exc:  # read outside its stream(): translate here
            raise _client._connection_error(exc) from exc

    def _fetch(self, seg: Segment, update: Callable[[int], object]) -> None:
        first, self._first = (self._first, None) if self.serves_first(seg) else (None, None)
        if first is not None:
            self._from_first(first, seg, update)
            if self.complete(seg):
                return
        path = _remote_zip.output_path(self.task_id)
        with _client.stream("GET", path, headers=self.headers(seg)) as response:
            self.check_answer(seg, response)
            for chunk in _wire.iter_body(response):
                self.write(seg, chunk, update)
        self.check_complete(seg)

    def _segment(self, seg: Segment, update: Callable[[int], object]) -> None:
        for attempt in itertools.count(1):
            if self.complete(seg):
                return
            mark = _retry.budget_mark()
            try:
                self._fetch(seg, update)
                return
            except errors.ApiConnectionError as exc:
                wait = self.retry_wait(attempt, mark, exc)
                if wait is None:
                    raise
                time.sleep(wait)

    def run(self, first: Stream | None = None) -> bool:
        """Fetch every range; False when the archive changed (start over as one stream).

        ``first``, what a plain GET already read and the rest of its body, serves
        the first range. Raises what a single-stream download raises;
        the ranges received stay in ``part`` and the sidecar for the next call.
        """
        self._first = first
        failures: list[BaseException] = []
        try:
            self.open()
            todo = self.todo()
            with (
                byte_bar(self.size, desc="Downloading", initial=self.held) as bar,
                ThreadPoolExecutor(max_workers=max(1, len(todo))) as pool,
            ):
                # Each worker runs in a copy of this context: the active client follows.
                futures = [
                    pool.submit(contextvars.copy_context().run, self._segment, seg, bar.update)
                    for seg in todo
                ]
                for future in futures:
                    try:
                        future.result()
                    except BaseException as exc:  # the first failure wins; the rest finish
                        failures.append(exc)
        finally:
            self._first = None
            self.close()
        return self.outcome(failures)
