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

Setting: ``inductiva.download_connections`` / ``INDUCTIVA_DOWNLOAD_CONNECTIONS``
(integer >= 1, default :data:`DEFAULT_CONNECTIONS`).
"""

from __future__ import annotations

import contextvars
import itertools
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from .. import _client, _retry, errors
from . import _limits, _remote_zip, _wire
from ._progress import byte_bar

__all__ = [
    "DEFAULT_CONNECTIONS",
    "MIN_PARALLEL_BYTES",
    "ParallelFetch",
    "connections",
    "ranges_sidecar",
    "should_split",
    "take_over",
]

logger = logging.getLogger("inductiva")

DEFAULT_CONNECTIONS = 4
"""Concurrent range requests per large download."""
MIN_PARALLEL_BYTES = 64 * 1024 * 1024
"""Smaller archives travel as one stream (the split would cost more than it gains)."""
_SAVE_EVERY = 8 * 1024 * 1024
PROBE_SECONDS = 0.25
PROBE_BYTES = 4 * 1024 * 1024
SPLIT_BELOW = 32 * 1024 * 1024
"""A first connection slower than this (bytes a second) gets the archive split into ranges."""


def connections() -> int:
    """The configured number of concurrent range requests (>= 1)."""
    value = _client._setting("download_connections", None, DEFAULT_CONNECTIONS, int)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise errors.ConfigurationError(
            f"download_connections must be an integer >= 1, got {value!r}"
        )
    return value


def ranges_sidecar(part: Path) -> Path:
    """Where the progress of each range of ``part`` is kept."""
    return part.with_name(part.name + ".ranges.json")


def should_split(part: Path, remote: _remote_zip.RemoteZip | None) -> bool:
    """Whether this download continues the parallel ranges a previous call began.

    (A fresh download starts as one stream; :func:`take_over` splits it when slow.)
    """
    return ranges_sidecar(part).exists() and remote is not None and bool(remote.etag)


Stream = tuple[bytes, Iterator[bytes]]
"""Bytes already read from a response, and the iterator over the rest of its body."""


def take_over(task_id: str, part: Path, response: httpx.Response, total: int) -> Stream | None:
    """Maybe split a fresh plain GET of a large archive into ranges.

    The first bytes are read for up to :data:`PROBE_SECONDS` (at most
    :data:`PROBE_BYTES`): a connection that carries less than
    :data:`SPLIT_BELOW` bytes a second has the rest of the archive fetched as
    :func:`connections` concurrent ranges (None: the archive is in ``part``).
    Otherwise (a fast connection, a small archive, no ``ETag`` or
    ``Accept-Ranges: bytes``, one connection configured) the bytes read and the
    rest of the body are handed back to be written as one stream. Raises
    ``ApiConnectionError`` if the archive changed meanwhile (the caller starts over).
    """
    body = _wire.iter_body(response)
    etag = response.headers.get("ETag")
    ranges = response.headers.get("Accept-Ranges", "").strip().lower() == "bytes"
    if not (etag and ranges and total >= MIN_PARALLEL_BYTES and connections() > 1):
        return b"", body
    began, got, prefix = time.monotonic(), 0, []
    for chunk in body:
        prefix.append(chunk)
        got += len(chunk)
        if got >= PROBE_BYTES or time.monotonic() - began >= PROBE_SECONDS:
            break
    elapsed = max(time.monotonic() - began, 1e-6)
    if (got >= PROBE_BYTES and got / elapsed >= SPLIT_BELOW) or got >= total:
        return b"".join(prefix), body
    fetch = ParallelFetch(task_id, part, total, etag)
    if not fetch.run(first=(b"".join(prefix), body)):
        ranges_sidecar(part).unlink(missing_ok=True)
        part.unlink(missing_ok=True)
        raise errors.ApiConnectionError(
            f"The output archive of task {task_id} changed during the download; fetching it anew."
        )
    return None


class _Changed(Exception):
    """The archive is not the one the ranges were planned for."""


class ParallelFetch:
    """The ranges of one archive, fetched concurrently into ``part``."""

    def __init__(self, task_id: str, part: Path, size: int, etag: str) -> None:
        self.task_id, self.part = task_id, part
        self.etag = etag
        self.size = size
        self._first: Stream | None = None
        self._lock = threading.Lock()
        self._dirty = 0
        self.segments = self._plan()

    def _plan(self) -> list[list[int]]:
        """``[start, end_exclusive, have]`` per range: from the sidecar, or a fresh split."""
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

    def _save(self) -> None:
        state = {
            "task_id": self.task_id,
            "etag": self.etag,
            "size": self.size,
            "segments": self.segments,
        }
        ranges_sidecar(self.part).write_text(json.dumps(state))

    def _write(self, fd: int, seg: list[int], chunk: bytes, bar: object) -> None:
        start, end, _ = seg
        if len(chunk) > end - start - seg[2]:
            raise errors.IntegrityError(
                f"The server sent more than the {end - start} bytes asked for."
            )
        os.pwrite(fd, chunk, start + seg[2])
        with self._lock:
            seg[2] += len(chunk)
            self._dirty += len(chunk)
            bar.update(len(chunk))  # type: ignore[attr-defined]
            if self._dirty >= _SAVE_EVERY:
                self._dirty = 0
                self._save()

    def _from_first(self, fd: int, seg: list[int], bar: object) -> None:
        """The first range from the plain GET that discovered the archive's size."""
        first, self._first = self._first, None
        assert first is not None
        prefix, body = first
        for chunk in itertools.chain([prefix], body):
            room = seg[1] - seg[0] - seg[2]
            self._write(fd, seg, chunk[:room], bar)
            if len(chunk) >= room:
                break  # the rest of that response is left unread (its connection closes)

    def _fetch(self, fd: int, seg: list[int], bar: object) -> None:
        start, end, _ = seg
        have = seg[2]
        if self._first is not None and have == 0 and start == 0:
            self._from_first(fd, seg, bar)
            if seg[2] == end - start:
                return
            have = seg[2]
        headers = {"Range": f"bytes={start + have}-{end - 1}", "If-Range": self.etag}
        path = _remote_zip.output_path(self.task_id)
        with _client.stream("GET", path, headers=headers) as response:
            if response.status_code != 206:
                raise _Changed
            first, last, total = _remote_zip.parse_content_range(
                response.headers.get("Content-Range")
            )
            if (first, last, total) != (start + have, end - 1, self.size):
                raise _Changed
            for chunk in _wire.iter_body(response):
                self._write(fd, seg, chunk, bar)
        if seg[2] != end - start:
            raise errors.ApiConnectionError(
                f"A range of task {self.task_id}'s archive ended after {seg[2]} of "
                f"{end - start} bytes."
            )

    def _segment(self, fd: int, seg: list[int], bar: object) -> None:
        settings = _client.resolve_settings()
        attempts = settings.max_retries + 1
        for attempt in range(1, attempts + 1):
            if seg[2] >= seg[1] - seg[0]:
                return
            mark = _retry.budget_mark()
            try:
                self._fetch(fd, seg, bar)
                return
            except errors.ApiConnectionError as exc:
                if attempt == attempts or _retry.note_failure(mark, str(exc)[:200]):
                    raise
                time.sleep(settings.retry_policy.delay(attempt))

    def run(self, first: Stream | None = None) -> bool:
        """Fetch every range; False when the archive changed (start over as one stream).

        ``first``, what a plain GET already read and the rest of its body, serves
        the first range. Raises what a single-stream download raises;
        the ranges received stay in ``part`` and the sidecar for the next call.
        """
        self._first = first
        have = sum(s[2] for s in self.segments)
        _limits.check_free_space(self.part.parent, self.size - have, "Downloading the archive")
        self.part.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.part, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size != self.size:
                os.ftruncate(fd, self.size)
            self._save()
            todo = [s for s in self.segments if s[2] < s[1] - s[0]]
            with (
                byte_bar(self.size, desc="Downloading", initial=have) as bar,
                ThreadPoolExecutor(max_workers=max(1, len(todo))) as pool,
            ):
                # Each worker runs in a copy of this context: the active client follows.
                futures = [
                    pool.submit(contextvars.copy_context().run, self._segment, fd, seg, bar)
                    for seg in todo
                ]
                failure: BaseException | None = None
                for future in futures:
                    try:
                        future.result()
                    except BaseException as exc:  # the first failure wins; the rest finish
                        failure = failure or exc
                if isinstance(failure, _Changed):
                    logger.info("Output archive of task %s changed; fetching it anew", self.task_id)
                    return False
                if failure is not None:
                    raise failure
        finally:
            self._first = None
            os.close(fd)
            if self.part.exists():
                self._save()
        ranges_sidecar(self.part).unlink(missing_ok=True)
        return True
