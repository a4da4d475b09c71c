"""Fetching selected members of a remote zip with few Range requests, verified (a flow).

Each planned range (see :func:`inductiva._transfers._remote_zip.plan_ranges`)
is one request bounded to its bytes; its body goes through a
:class:`~._pipe.ChunkPipe` to a worker thread where, for every wanted member,
the local header is parsed and its data decompressed (stored or deflate) into
a staging file while its CRC-32 and size are checked. A range that lies in the
tail read with the directory costs no request. Members finished before a
dropped connection are kept; the rest are planned and fetched again (within
the call's retry budget). All files move into place only when every member
verified; an interruption removes the staged files.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import attrs

from .. import errors
from .._http._flow import Flow, close, offload, open_stream, read, session, sleep
from .._http._retry import budget_mark, resume_delay
from . import _extract, _limits, _remote_zip, _zipstream
from ._directory import range_request
from ._pipe import ChunkPipe
from ._progress import byte_bar
from ._safenames import unsafe

__all__ = [
    "ArchiveChangedError",
    "Selection",
    "fetch_members",
    "read_plan",
    "select_members",
]

logger = logging.getLogger("inductiva")


class ArchiveChangedError(errors.TransferError):
    """The archive's ETag no longer matches the central directory that was read."""


def _check_answer(
    archive: _remote_zip.RemoteZip, plan: _remote_zip.RangePlan, status: int, content_range: str
) -> None:
    """ArchiveChangedError or TransferError unless the answer is the 206 ``plan`` asked for."""
    if status != 206:
        raise ArchiveChangedError(
            f"Output archive of task {archive.task_id} changed during the download "
            f"(HTTP {status} to a range request); try again."
        )
    first, _last, total = _remote_zip.parse_content_range(content_range)
    if first != plan.start or total != archive.size:
        raise errors.TransferError("The server answered a different byte range than asked.")


def read_plan(
    plan: _remote_zip.RangePlan, chunks: Iterator[bytes], staged: dict[str, Path], done: set[str]
) -> None:
    """Parse, inflate and verify ``plan``'s members from ``chunks`` into their staged files."""
    feed = _zipstream.Feed(chunks, plan.start)
    for entry in plan.members:
        feed.skip_to(entry.header_offset)
        writer = _extract.MemberWriter(entry.name, staged[entry.name], entry.file_size, entry.crc)
        try:
            _zipstream.read_member(feed, entry, writer)
        except BaseException:
            writer.abort()
            raise
        done.add(entry.name)


def _fetch_plan(
    archive: _remote_zip.RemoteZip,
    plan: _remote_zip.RangePlan,
    staged: dict[str, Path],
    done: set[str],
    update: Callable[[int], object],
) -> Flow[None]:
    held = _remote_zip.tail_slice(archive, plan.start, plan.end)
    if held is not None:  # already read with the directory: no request
        update(len(held))
        yield from offload(lambda: read_plan(plan, iter([held]), staged, done))
        return
    request = range_request(archive.task_id, plan.start, plan.end, archive.etag)
    stream = yield from open_stream(request, max_bytes=plan.end - plan.start)
    try:
        _check_answer(archive, plan, stream.status_code, stream.headers.get("Content-Range", ""))
        pipe = ChunkPipe(lambda chunks: read_plan(plan, chunks, staged, done), "inductiva-unzip")
        try:
            while chunk := (yield from read(stream)):
                yield from pipe.put(chunk)
                update(len(chunk))
        except BaseException as exc:  # a drop keeps the members received whole
            yield from pipe.close(keep=isinstance(exc, errors.ApiConnectionError))
            raise
        yield from pipe.finish()
    finally:
        yield from close(stream)


@attrs.frozen
class Selection:
    """The checked members to fetch: every entry, the files among them, their targets."""

    entries: list[_remote_zip.MemberEntry]
    files: list[_remote_zip.MemberEntry]
    targets: dict[str, Path]

    def staged(self, stage: Path, output_dir: Path) -> dict[str, Path]:
        """Each member's file in ``stage`` (directories created there now)."""
        root = output_dir.resolve()
        staged = {
            e.name: stage.joinpath(self.targets[e.name].relative_to(root)) for e in self.entries
        }
        for entry in self.entries:
            if entry.is_dir:
                staged[entry.name].mkdir(parents=True, exist_ok=True)
        return staged


def select_members(
    archive: _remote_zip.RemoteZip, names: Sequence[str] | Mapping[str, str], output_dir: Path
) -> Selection:
    """Check names, methods, limits and free space for ``names``, before any request."""
    renames = dict(names) if isinstance(names, Mapping) else {n: n for n in names}
    entries = [m for m in archive.members if m.name in renames]
    seen: set[str] = set()
    for entry in entries:  # as extraction does: a file written twice is refused
        if entry.name in seen:
            raise unsafe(entry.name, f"the archive holds {entry.name!r} twice")
        seen.add(entry.name)
    targets = _extract.plan_targets({e.name: renames[e.name] for e in entries}, output_dir)
    files = [e for e in entries if not e.is_dir]
    _zipstream.check_supported(files)
    total = _limits.check_archive(
        ((e.file_size, e.compress_size) for e in files), "The selected output files"
    )
    _limits.check_free_space(output_dir, total, "Writing the selected output files")
    return Selection(entries, files, targets)


def fetch_members(
    archive: _remote_zip.RemoteZip, names: Sequence[str] | Mapping[str, str], output_dir: Path
) -> Flow[None]:
    """Download, verify and write the members ``names`` of ``archive`` under ``output_dir``.

    ``names`` may map member names to the relative names to write them as
    (``artifacts/log.txt`` -> ``log.txt``).
    """
    selection = select_members(archive, names, output_dir)
    settings = (yield from session()).settings
    policy = settings.retry_policy
    with _extract.staging_dir(output_dir) as stage:
        staged = selection.staged(stage, output_dir)
        done: set[str] = set()
        plans = _remote_zip.plan_ranges(archive, selection.files)
        total = _remote_zip.total_bytes(plans)
        with byte_bar(total, desc="Downloading", progress=settings.progress) as bar:
            attempt = 0
            while True:
                attempt += 1
                mark = budget_mark()
                try:
                    for plan in plans:
                        yield from _fetch_plan(archive, plan, staged, done, bar.update)
                    break
                except errors.ApiConnectionError as exc:
                    wait = resume_delay(policy, attempt, mark, exc)
                    if wait is None:
                        raise
                    remaining = [e for e in selection.files if e.name not in done]
                    plans = _remote_zip.plan_ranges(archive, remaining)
                    bar.total = bar.n + _remote_zip.total_bytes(plans)
                    logger.info("Partial download interrupted; resuming in %.2fs", wait)
                    yield from sleep(wait)
        root = stage.resolve()
        yield from offload(lambda: _extract.move_into_place(root, output_dir, selection.targets))
