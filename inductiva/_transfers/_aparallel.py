"""The asyncio driver of parallel ranges: :mod:`._parallel`'s plan, one task per range.

Same plan, sidecar (``<dest>.part.ranges.json``), ``If-Range`` checks, per-range
retries within the call's retry budget, and fallback to one stream when the
archive changed, as the blocking driver: a download begun on either path is
continued by the other. The ranges go through the active client's async pool
(:func:`inductiva._client.astream`) as tasks of the running loop; the writes
(``os.pwrite`` of at most 1 MiB) run on the loop. A cancelled download cancels
its ranges, waits for them to stop, and keeps what they received.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from pathlib import Path

import httpx

from .._http import _wire
from .. import _client, _retry, errors
from . import _parallel, _ranges, _remote_zip
from ._progress import byte_bar

__all__ = ["AStream", "AsyncParallelFetch", "atake_over"]

AStream = tuple[bytes, AsyncIterator[bytes]]
"""Bytes already read from a response, and the async iterator over the rest of its body."""


async def atake_over(
    task_id: str, part: Path, response: httpx.Response, total: int
) -> AStream | None:
    """The asyncio twin of :func:`~inductiva._transfers._parallel.take_over`."""
    body = _wire.aiter_body(response)
    etag = _parallel.splittable(response, total)
    if etag is None:
        return b"", body
    probe = _parallel.Probe(total)
    async for chunk in body:
        if probe.feed(chunk):
            break
    if not probe.split():
        return probe.prefix, body
    if not await AsyncParallelFetch(task_id, part, total, etag).arun(first=(probe.prefix, body)):
        raise _ranges.changed_error(task_id, part)
    return None


async def _settle(tasks: list[asyncio.Task[None]]) -> None:
    """Wait until every task has ended, even if this wait is cancelled meanwhile."""
    while not all(task.done() for task in tasks):
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait(tasks)


class AsyncParallelFetch(_ranges.RangePlan):
    """The ranges of one archive, fetched concurrently into ``part`` (one asyncio task each)."""

    _first: AStream | None = None

    async def _from_first(
        self, first: AStream, seg: _ranges.Segment, update: Callable[[int], object]
    ) -> None:
        prefix, body = first
        try:
            if self.write_first(seg, prefix, update):
                return
            async for chunk in body:
                if self.write_first(seg, chunk, update):
                    return
        except httpx.TransportError as exc:  # read outside its astream(): translate here
            raise _client._connection_error(exc) from exc
        finally:
            if isinstance(body, AsyncGenerator):
                await body.aclose()

    async def _fetch(self, seg: _ranges.Segment, update: Callable[[int], object]) -> None:
        first = self._first if self.serves_first(seg) else None
        if first is not None:
            self._first = None
            await self._from_first(first, seg, update)
            if self.complete(seg):
                return
        path = _remote_zip.output_path(self.task_id)
        async with _client.astream("GET", path, headers=self.headers(seg)) as response:
            self.check_answer(seg, response)
            async for chunk in _wire.aiter_body(response):
                self.write(seg, chunk, update)
        self.check_complete(seg)

    async def _segment(self, seg: _ranges.Segment, update: Callable[[int], object]) -> None:
        for attempt in itertools.count(1):
            if self.complete(seg):
                return
            mark = _retry.budget_mark()
            try:
                await self._fetch(seg, update)
                return
            except errors.ApiConnectionError as exc:
                wait = self.retry_wait(attempt, mark, exc)
                if wait is None:
                    raise
                await asyncio.sleep(wait)

    async def arun(self, first: AStream | None = None) -> bool:
        """Fetch every range; False when the archive changed (start over as one stream).

        As :meth:`~inductiva._transfers._parallel.ParallelFetch.run`. Cancelled,
        it cancels the ranges, waits for them, and keeps what they received.
        """
        self._first = first
        failures: list[BaseException] = []
        try:
            self.open()
            with byte_bar(self.size, desc="Downloading", initial=self.held) as bar:
                # Tasks copy this context: the active client and the retry budget follow.
                tasks = [asyncio.ensure_future(self._segment(s, bar.update)) for s in self.todo()]
                try:
                    if tasks:
                        await asyncio.wait(tasks)
                except BaseException:
                    for task in tasks:
                        task.cancel()
                    await _settle(tasks)
                    for task in tasks:  # retrieved: the interruption is what the caller sees
                        if not task.cancelled():
                            task.exception()
                    raise
                for task in tasks:  # the first failure wins; the rest finished
                    if task.cancelled():
                        failures.append(asyncio.CancelledError())
                    elif (exc := task.exception()) is not None:
                        failures.append(exc)
        finally:
            rest, self._first = self._first, None
            if rest is not None and isinstance(rest[1], AsyncGenerator):
                await rest[1].aclose()
            self.close()
        return self.outcome(failures)
