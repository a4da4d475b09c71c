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

The decision to split (:func:`splittable`, :class:`Probe`) is here, the plan,
sidecar, writes and checks in :class:`~inductiva._transfers._ranges.RangePlan`;
both are shared by the blocking driver here (:class:`ParallelFetch`, one thread
per range) and the asyncio one of :mod:`._aparallel` (one task per range): a
download begun on either path is continued by the other.

Setting: ``download_connections`` (``inductiva.Client(download_connections=...)``,
``inductiva.download_connections``, ``INDUCTIVA_DOWNLOAD_CONNECTIONS``; integer
>= 1, default :data:`DEFAULT_CONNECTIONS`).
"""

from __future__ import annotations

import contextvars
import itertools
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from .._http import _wire
from .. import _client, _retry, errors
from . import _remote_zip
from ._progress import byte_bar
from ._ranges import RangePlan, Segment, changed_error, connections, ranges_sidecar

__all__ = [
    "DEFAULT_CONNECTIONS",
    "MIN_PARALLEL_BYTES",
    "PROBE_BYTES",
    "PROBE_SECONDS",
    "SPLIT_BELOW",
    "ParallelFetch",
    "Probe",
    "Stream",
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
PROBE_SECONDS = 0.25
PROBE_BYTES = 4 * 1024 * 1024
SPLIT_BELOW = 32 * 1024 * 1024
"""A first connection slower than this (bytes a second) gets the archive split into ranges."""

Stream = tuple[bytes, Iterator[bytes]]
"""Bytes already read from a response, and the iterator over the rest of its body."""


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
        first = self._first if self.serves_first(seg) else None
        if first is not None:
            self._first = None
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
