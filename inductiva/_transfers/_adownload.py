"""The asyncio twin of :mod:`inductiva._transfers._download`, on the active client's async pool.

The same plan, checks and files as the sync engine: the ``.inductiva/`` lock,
the resumable ``.part`` with its sidecar (``Range``/``If-Range``), CRC-32
verification while streaming (:class:`~inductiva._transfers._zipstream.StreamVerifier`),
the size and ratio limits, the free-space checks, staged extraction moved into
place only when everything verified, the ``?filename=`` subset fallback, and a
large archive on a slow connection split into concurrent byte ranges
(:mod:`inductiva._transfers._aparallel`, same sidecar as the sync engine's).
Only the network I/O differs: every request goes through the running loop's
``httpx.AsyncClient`` of the active client (one pool, shared by every
concurrent download). Blocking disk work (extraction, whole-archive checks,
parsing a fetched range) runs in a worker thread (:func:`in_thread`); a
cancelled download waits for that thread before it lets go of the lock, and
keeps what it received, like Ctrl-C does in the sync engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import ParamSpec, TypeVar
from urllib.parse import urlencode

import httpx

from .. import _capabilities, _client, _retry, errors
from . import (
    _aparallel,
    _download,
    _extract,
    _members,
    _parallel,
    _remote_zip,
    _resume,
    _select,
    _subset,
    _wire,
    _workspace,
)
from ._progress import byte_bar

__all__ = ["download_outputs_async", "in_thread"]

logger = logging.getLogger("inductiva")

T = TypeVar("T")
P = ParamSpec("P")


async def in_thread(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run blocking ``fn`` in a worker thread; if cancelled, wait for it to end, then re-raise.

    A thread cannot be stopped: waiting for it keeps its files under the
    directory's lock and its staging directory cleaned up by its own ``finally``.
    """
    future = asyncio.ensure_future(asyncio.to_thread(fn, *args, **kwargs))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        while not future.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait({future})
        if not future.cancelled():
            future.exception()  # retrieved: the cancellation is what the caller sees
        raise


@contextlib.asynccontextmanager
async def _stream(
    method: str, path: str, headers: dict[str, str] | None = None
) -> AsyncIterator[httpx.Response]:
    async with _client.astream(method, path, headers=headers) as response:
        yield response


# -- whole archive -----------------------------------------------------------


ATakeOver = Callable[[str, Path, httpx.Response, int], Awaitable[_aparallel.AStream | None]]
"""Offered a fresh whole-archive answer first (parallel ranges), as in the sync engine."""


async def _chained(prefix: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if prefix:
        yield prefix
    async for chunk in rest:
        yield chunk


class AsyncArchiveFetch(_resume.ArchiveFetch):
    """:class:`~inductiva._transfers._resume.ArchiveFetch` over the async pool."""

    def __init__(
        self,
        task_id: str,
        part: Path,
        remote: _remote_zip.RemoteZip | None,
        atake_over: ATakeOver | None = None,
    ) -> None:
        super().__init__(task_id, part, remote)
        # None when it fetched the archive, else what it read and the rest, as one stream.
        self.atake_over = atake_over

    async def afetch_once(self, have: int, etag: str | None) -> None:
        """One request continuing ``part`` from ``have`` bytes."""
        path = _remote_zip.output_path(self.task_id)
        async with _stream("GET", path, self.request_headers(have, etag)) as response:
            have, total = self.answer(response, have)
            known = total if total >= 0 else None
            body: AsyncIterator[bytes] | None = None
            if have == 0 and known is not None and self.atake_over is not None:
                handed = await self.atake_over(self.task_id, self.part, response, known)
                if handed is None:
                    self.taken = True
                    return
                body = _chained(*handed)
            self.start_part(response, have, total)
            with (
                self.open_part(have) as fh,
                byte_bar(known, desc="Downloading", initial=have) as bar,
            ):
                writer = _resume._Writer(fh, self.verifier)
                try:
                    async for chunk in body if body is not None else _wire.aiter_body(response):
                        writer.put(chunk)
                        bar.update(len(chunk))
                finally:
                    try:
                        writer.close()
                    finally:
                        self.fed += writer.written
        self.check_size(total)

    async def arun(self) -> bool:
        """Fetch the whole archive, resuming after drops; True if it was verified on the fly."""
        settings = _client.resolve_settings()
        attempts = settings.max_retries + 1
        try:
            for attempt in range(1, attempts + 1):
                mark = _retry.budget_mark()
                have, etag, known_size = self.prepare()
                try:
                    await self.afetch_once(have, etag)
                    break
                except errors.RangeNotSatisfiableError:
                    if self.unsatisfiable(have, known_size):
                        break
                    if attempt == attempts:
                        raise
                except errors.ApiConnectionError as exc:
                    wait = _retry.resume_delay(settings.retry_policy, attempt, mark, exc)
                    if wait is None:
                        raise
                    logger.info(
                        "Download of task %s interrupted; resuming in %.2fs", self.task_id, wait
                    )
                    await asyncio.sleep(wait)
        except BaseException:
            self._stop_verifying()
            raise
        return self.finish()


class _NeedRange(Exception):
    """Raised by the fetch handed to the sync directory parser: these bytes must come first."""

    def __init__(self, start: int, end: int) -> None:
        super().__init__(start, end)
        self.start, self.end = start, end


async def afetch_range(task_id: str, start: int, end: int, etag: str | None) -> bytes:
    """The asyncio twin of :func:`~inductiva._transfers._remote_zip.fetch_range`."""
    headers = _remote_zip.range_headers(start, end, etag)
    buffer = _remote_zip.RangeBuffer(start, end)
    async with _stream("GET", _remote_zip.output_path(task_id), headers) as response:
        _remote_zip.check_range_answer(task_id, response)
        async for chunk in _wire.aiter_body(response):
            buffer.add(chunk)
    return buffer.result()


async def aopen_remote_zip(task_id: str) -> _remote_zip.RemoteZip:
    """The asyncio twin of :func:`~inductiva._transfers._remote_zip.open_remote_zip`."""
    path = _remote_zip.output_path(task_id)
    async with _stream("GET", path, _remote_zip.tail_headers()) as response:
        _remote_zip.check_tail_answer(task_id, response)
        tail, total, etag = _remote_zip.tail_result(response, await response.aread())
    fetched: dict[tuple[int, int], bytes] = {}

    def fetch(_task_id: str, start: int, end: int, _etag: str | None) -> bytes:
        if (start, end) not in fetched:
            raise _NeedRange(start, end)
        return fetched[start, end]

    for _ in range(4):  # the ZIP64 record, then the directory: at most two reads
        try:
            return _remote_zip.build_remote_zip(task_id, tail, total, etag, fetch)
        except _NeedRange as need:
            fetched[need.start, need.end] = await afetch_range(task_id, need.start, need.end, etag)
    raise errors.IntegrityError("The output archive's directory could not be located.")


async def _aread_directory(task_id: str) -> _remote_zip.RemoteZip | None:
    try:
        return await aopen_remote_zip(task_id)
    except errors.TransferError as exc:
        logger.debug("No streaming verification for task %s: %s", task_id, exc)
        return None


async def _afull_download(task_id: str, output_dir: Path, uncompress: bool) -> None:
    part = _workspace.Workspace(output_dir).part
    try:
        ahead = not uncompress and await _capabilities.aoffers(_download.BYTE_RANGES)
        remote = await _aread_directory(task_id) if ahead else None
        if remote is not None and remote.etag and _parallel.should_split(part, remote):
            verified = False  # checked as a whole below, by extraction or one pass
            fetch = _aparallel.AsyncParallelFetch(task_id, part, remote.size, remote.etag)
            if not await fetch.arun():
                _resume.discard(part)  # the archive changed: one stream, from byte 0
                verified = await AsyncArchiveFetch(task_id, part, None).arun()
        else:
            # A large archive on a slow connection turns into parallel ranges.
            single = AsyncArchiveFetch(task_id, part, remote, _aparallel.atake_over)
            verified = await single.arun()
    except BaseException as exc:
        _download.fetch_failed(part, exc)
        raise
    try:
        if uncompress:
            await in_thread(_extract.extract_archive, part, output_dir)
        else:
            if not verified:
                await in_thread(_extract.verify_archive, part)
            os.replace(part, output_dir / _download.ARCHIVE_NAME)
    except BaseException as exc:
        _download.finish_failed(part, exc)
        raise
    _resume.discard(part)


# -- selected files: byte ranges ----------------------------------------------


def _file_chunks(path: Path, size: int = 1024 * 1024) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(size):
            yield chunk


async def _afetch_plan(
    archive: _remote_zip.RemoteZip,
    plan: _remote_zip.RangePlan,
    stage: Path,
    staged: dict[str, Path],
    done: set[str],
    bar_update: Callable[[int], object],
) -> None:
    """Receive ``plan``'s bytes into a file of ``stage``, then parse and verify them in a thread."""
    held = _remote_zip.tail_slice(archive, plan.start, plan.end)
    if held is not None:  # already read with the directory: no request
        bar_update(len(held))
        await in_thread(_members.read_plan, plan, iter([held]), staged, done)
        return
    raw = stage / f".range-{plan.start}"
    path = _remote_zip.output_path(archive.task_id)
    try:
        async with _stream("GET", path, _members.plan_headers(archive, plan)) as response:
            _members.check_plan_answer(archive, plan, response)
            with raw.open("wb") as fh:
                async for chunk in _wire.aiter_body(response):
                    fh.write(chunk)
                    bar_update(len(chunk))
        await in_thread(_members.read_plan, plan, _file_chunks(raw), staged, done)
    finally:
        raw.unlink(missing_ok=True)


async def _afetch_members(
    archive: _remote_zip.RemoteZip, names: Mapping[str, str], output_dir: Path
) -> None:
    selection = _members.select_members(archive, names, output_dir)
    settings = _client.resolve_settings()
    attempts = settings.max_retries + 1
    with _extract.staging_dir(output_dir) as stage:
        staged = selection.staged(stage, output_dir)
        done: set[str] = set()
        plans = _remote_zip.plan_ranges(archive, selection.files)
        with byte_bar(_remote_zip.total_bytes(plans), desc="Downloading") as bar:
            for attempt in range(1, attempts + 1):
                mark = _retry.budget_mark()
                try:
                    for plan in plans:
                        await _afetch_plan(archive, plan, stage, staged, done, bar.update)
                    break
                except errors.ApiConnectionError as exc:
                    wait = _retry.resume_delay(settings.retry_policy, attempt, mark, exc)
                    if wait is None:
                        raise
                    remaining = [e for e in selection.files if e.name not in done]
                    plans = _remote_zip.plan_ranges(archive, remaining)
                    bar.total = bar.n + _remote_zip.total_bytes(plans)
                    logger.info("Partial download interrupted; resuming in %.2fs", wait)
                    await asyncio.sleep(wait)
        await in_thread(_extract.move_into_place, stage.resolve(), output_dir, selection.targets)


# -- selected files: ?filename= subsets -----------------------------------------


async def _afetch_subset(task_id: str, names: Sequence[str], dest: Path) -> None:
    query = urlencode([("filename", n) for n in names])
    path = f"{_remote_zip.output_path(task_id)}?{query}"
    async with _stream("GET", path) as response:
        length = response.headers.get("Content-Length", "")
        total = int(length) if length.isdigit() else None
        with dest.open("wb") as fh, byte_bar(total, desc="Downloading") as bar:
            async for chunk in _wire.aiter_body(response):
                fh.write(chunk)
                bar.update(len(chunk))
    size = dest.stat().st_size
    if total is not None and size != total:
        raise errors.IntegrityError(f"Downloaded {size} bytes of a {total}-byte subset archive.")


async def _afetch_subset_retrying(task_id: str, names: Sequence[str], dest: Path) -> None:
    settings = _client.resolve_settings()
    attempts = settings.max_retries + 1
    for attempt in range(1, attempts + 1):
        mark = _retry.budget_mark()
        try:
            await _afetch_subset(task_id, names, dest)
            return
        except errors.ApiConnectionError as exc:
            wait = _retry.resume_delay(settings.retry_policy, attempt, mark, exc)
            if wait is None:
                raise
            logger.info("Subset download of task %s interrupted; again in %.2fs", task_id, wait)
            await asyncio.sleep(wait)


def _verify_and_extract(zips: list[tuple[Path, list[str]]], output_dir: Path) -> None:
    """Check every subset zip (members, and CRCs when several), then extract them all."""
    for archive, batch in zips:
        _subset._check_members(archive, batch)
        if len(zips) > 1:  # all verified before any file moves into place
            _extract.verify_archive(archive)
    for archive, batch in zips:
        _extract.extract_archive(archive, output_dir, batch)


async def _asubset_download(task_id: str, names: Sequence[str], target: Path) -> None:
    selected = await _select.alist_and_select(task_id, names)
    with _download.output_dir_locked(target):
        _extract.plan_targets(selected, target)  # unsafe names fail before any request
        with _extract.staging_dir(target) as stage:
            zips = []
            for index, batch in enumerate(_subset.subset_batches(selected)):
                archive = stage / f"subset-{index}.zip"
                await _afetch_subset_retrying(task_id, batch, archive)
                zips.append((archive, batch))
            await in_thread(_verify_and_extract, zips, target)


async def _apartial_download(task_id: str, names: Sequence[str], target: Path) -> None:
    if not await _capabilities.aoffers(_download.BYTE_RANGES):
        await _asubset_download(task_id, names, target)
        return
    for attempt in (1, 2):
        try:
            archive = await aopen_remote_zip(task_id)
        except _remote_zip.RangesUnsupportedError as exc:
            logger.info("%s Fetching the files as a subset archive instead.", exc)
            await _asubset_download(task_id, names, target)
            return
        wanted = _select.select_in_archive(archive, task_id, names)
        try:
            with _download.output_dir_locked(target):
                await _afetch_members(archive, wanted, target)
            return
        except _members.ArchiveChangedError:
            if attempt == 2:
                raise
            logger.info("Output archive of task %s changed; reading it again", task_id)


async def download_outputs_async(
    task_id: str,
    *,
    filenames: Sequence[str] | None = None,
    output_dir: str | os.PathLike[str] | None = None,
    uncompress: bool = True,
) -> Path:
    """The asyncio twin of :func:`~inductiva._transfers._download.download_outputs`.

    Same arguments, result, files and errors; the requests share the active
    client's async pool. A cancelled download keeps what it received (the next
    call, sync or async, resumes from it).
    """
    task_id, target, names, uncompress = _download.check_request(
        task_id, filenames, output_dir, uncompress
    )
    settings = _client.resolve_settings()  # every setting checked before any request
    try:
        _download.check_target(target)
        with _retry.retry_budget(settings.max_retries):
            if names is None:
                with _download.output_dir_locked(target):
                    await _afull_download(task_id, target, uncompress)
            else:
                await _apartial_download(task_id, names, target)
    except OSError as exc:
        raise _download.local_error(exc, f"write the outputs into {str(target)!r}") from exc
    return target
