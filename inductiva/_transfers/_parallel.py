"""Whole-archive downloads split into concurrent byte-range requests (extension ``byte-ranges``).

Cloud storage and long network paths cap what one TCP connection carries; a
large archive is therefore fetched as ``download_connections`` ranges at
once, each on its own pooled connection, written in place into the same
``.part`` a single stream uses (see :mod:`._ranges` and :mod:`._part`).

A fresh (or resumed) single stream is probed first (:func:`maybe_split`): the
first bytes of an answer that allows ranges (``ETag``, ``Accept-Ranges:
bytes``, at least :data:`MIN_PARALLEL_BYTES` left, more than one connection)
are timed, and a connection slower than :data:`SPLIT_BELOW` bytes a second has
the rest split into ranges, that open answer serving the first of them. A
``.part`` whose sidecar records ranges is continued as ranges whatever the
mode of the call (:func:`fetch_ranges`).

Each range is a sub-flow of one ``gather`` (threads when blocking, asyncio
tasks otherwise) taking ranges from the plan until none is left; every request
carries ``If-Range: <etag>`` and is bounded to the bytes it asked for. An
answer other than the 206 of exactly that range means the archive changed: the
ranges stop and the caller starts over as one stream. A dropped range resumes
by itself within the call's retry budget. Ctrl-C, SIGTERM or an asyncio
cancel stop every range at once (the blocking driver shuts their sockets
down); the plan keeps what they wrote, for the next call.

Setting: ``download_connections`` (``inductiva.Client(download_connections=...)``,
``inductiva.download_connections``, ``INDUCTIVA_DOWNLOAD_CONNECTIONS``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import attrs

from .. import errors
from .._http._flow import Cancelled, Flow, Stream, close, gather, open_stream, read, sleep
from .._http._retry import RetryPolicy, budget_mark, resume_delay
from .._http._settings import DEFAULT_DOWNLOAD_CONNECTIONS, Settings
from ._part import PartState, Segment
from ._progress import byte_bar
from ._ranges import Changed, RangePlan

__all__ = [
    "DEFAULT_CONNECTIONS",
    "MIN_PARALLEL_BYTES",
    "PROBE_BYTES",
    "PROBE_SECONDS",
    "SPLIT_BELOW",
    "Probe",
    "fetch_ranges",
    "maybe_split",
    "splittable",
]

logger = logging.getLogger("inductiva")

DEFAULT_CONNECTIONS = DEFAULT_DOWNLOAD_CONNECTIONS
"""Concurrent range requests per large download."""
MIN_PARALLEL_BYTES = 64 * 1024 * 1024
"""Fewer bytes left travel as one stream (the split would cost more than it gains)."""
PROBE_SECONDS = 0.25
PROBE_BYTES = 4 * 1024 * 1024
SPLIT_BELOW = 32 * 1024 * 1024
"""A first connection slower than this (bytes a second) gets the archive split into ranges."""

Update = Callable[[int], object]


def splittable(stream: Stream, left: int, connections: int) -> str | None:
    """The ETag of an answer worth probing for a split (``left`` bytes to come), else None."""
    etag: str | None = stream.headers.get("ETag")
    ranges = stream.headers.get("Accept-Ranges", "").strip().lower() == "bytes"
    if etag and ranges and left >= MIN_PARALLEL_BYTES and connections > 1:
        return etag
    return None


class Probe:
    """Times the first bytes of an answer: is its connection slow enough to split?

    Fed for up to :data:`PROBE_SECONDS` (at most :data:`PROBE_BYTES`); a
    connection that carries less than :data:`SPLIT_BELOW` bytes a second has the
    rest of the archive fetched as ranges.
    """

    def __init__(self, left: int) -> None:
        self.left = left
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
        """True if the connection was slow (and the answer not already read whole)."""
        elapsed = max(time.monotonic() - self.began, 1e-6)
        fast = self.got >= PROBE_BYTES and self.got / elapsed >= SPLIT_BELOW
        return not fast and self.got < self.left


@attrs.frozen
class _Dropped:
    """A worker's range that stayed dropped: its failure, raised once every range ended."""

    error: errors.ApiConnectionError


def _fill(
    plan: RangePlan, seg: Segment, stream: Stream, update: Update, chunk: bytes
) -> Flow[None]:
    """Write ``chunk`` and what ``stream`` sends next into ``seg`` until it is full."""
    while True:
        if chunk:
            room = seg[1] - seg[0] - seg[2]
            plan.write(seg, chunk[:room], update)
            if len(chunk) >= room:
                return  # full: the rest of a whole-archive answer is another range's
        chunk = yield from read(stream)
        if not chunk:
            return


def _request(plan: RangePlan, seg: Segment, update: Update) -> Flow[None]:
    """One request for the rest of ``seg``."""
    left = seg[1] - seg[0] - seg[2]
    stream = yield from open_stream(plan.request(seg), max_bytes=left)
    try:
        plan.check_answer(seg, stream.status_code, stream.headers.get("Content-Range"))
        yield from _fill(plan, seg, stream, update, b"")
    finally:
        yield from close(stream)


def _range(
    plan: RangePlan,
    seg: Segment,
    policy: RetryPolicy,
    update: Update,
    first: tuple[bytes, Stream] | None = None,
) -> Flow[None]:
    """Fetch ``seg`` (from ``first``, an open answer, if given), resuming after drops."""
    attempt = 0
    while not plan.complete(seg):
        attempt += 1
        mark = budget_mark()
        try:
            if first is not None:
                prefix, stream = first
                first = None
                try:
                    yield from _fill(plan, seg, stream, update, prefix)
                finally:
                    yield from close(stream)  # the rest of the archive is not read
            else:
                yield from _request(plan, seg, update)
            plan.check_complete(seg)
        except errors.ApiConnectionError as exc:
            wait = resume_delay(policy, attempt, mark, exc)
            if wait is None:
                raise
            yield from sleep(wait)


def _worker(
    plan: RangePlan,
    policy: RetryPolicy,
    update: Update,
    first: tuple[bytes, Stream, int] | None,
) -> Flow[_Dropped | None]:
    """Take ranges from ``plan`` until none is left (the first from ``first`` if given).

    A range that stays dropped (the retry budget is spent) ends this worker
    only: the failure is returned (wrapped: a returned exception would count as
    a failure to ``gather``), so the other ranges go on and keep what they
    receive for the next call. Any other failure (the archive
    changed, a body too long) is raised, which stops the other ranges at once.
    """
    try:
        if first is not None:
            prefix, stream, position = first
            seg = plan.take(position)
            if seg is None:  # pragma: no cover - the plan always starts a range there
                yield from close(stream)
            else:
                yield from _range(plan, seg, policy, update, (prefix, stream))
        while (seg := plan.take()) is not None:
            yield from _range(plan, seg, policy, update)
    except errors.ApiConnectionError as exc:
        return _Dropped(exc)
    return None


def _outcome(task_id: str, outcomes: list[object]) -> bool:
    """True when every range completed, False when the archive changed; else raise."""
    found = [o.error if isinstance(o, _Dropped) else o for o in outcomes]
    failures = [o for o in found if isinstance(o, BaseException)]
    real = [f for f in failures if not isinstance(f, Cancelled)] or failures
    if not real:
        return True
    if isinstance(real[0], Changed):
        logger.info("Output archive of task %s changed during the ranges", task_id)
        return False
    raise real[0]


def fetch_ranges(
    task_id: str,
    part: Path,
    state: PartState,
    settings: Settings,
    first: tuple[bytes, Stream, int] | None = None,
) -> Flow[bool]:
    """Fetch every range ``state`` lacks into ``part``; False when the archive changed.

    ``first``: bytes already read from an open answer, that answer, and the
    archive offset it continues at; it serves the range starting there.
    Whatever happens, the ranges received stay in ``part`` and its sidecar.
    """
    plan = RangePlan(task_id, part, state, settings.download_connections)
    plan.open()
    try:
        with byte_bar(
            plan.size, desc="Downloading", initial=plan.held, progress=settings.progress
        ) as bar:
            policy = settings.retry_policy
            count = max(1, min(settings.download_connections, plan.todo()))
            workers = [
                _worker(plan, policy, bar.update, first if i == 0 else None) for i in range(count)
            ]
            outcomes: list[object] = list((yield from gather(workers)))
    finally:
        plan.close()
    return _outcome(task_id, outcomes)


def maybe_split(
    task_id: str, part: Path, stream: Stream, have: int, total: int, settings: Settings
) -> Flow[bytes | None]:
    """Probe an answer continuing the archive at ``have``; split its rest if it is slow.

    None when the rest was fetched as ranges (the archive is in ``part``);
    otherwise the bytes read while probing, to write before the rest of the
    answer, as one stream. Raises :class:`~._ranges.Changed` if the archive
    changed under the ranges.
    """
    etag = splittable(stream, total - have, settings.download_connections)
    if etag is None:
        return b""
    probe = Probe(total - have)
    while chunk := (yield from read(stream)):
        if probe.feed(chunk):
            break
    if not probe.split():
        return probe.prefix
    held = ((0, have, have), (have, total, 0)) if have else ((0, total, 0),)
    state = PartState(task_id, etag, total, held)
    if not (yield from fetch_ranges(task_id, part, state, settings, (probe.prefix, stream, have))):
        raise Changed
    return None
