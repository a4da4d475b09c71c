"""Fetching selected members of a remote zip with few Range requests, verified.

Each planned range (see :func:`inductiva._transfers._remote_zip.plan_ranges`) is read as a
stream: for every wanted member the local header is parsed, its data
decompressed (stored or deflate) into a staging file while its CRC-32 and size
are checked. Members finished before a dropped connection are kept; the rest
are planned and fetched again (up to ``inductiva.max_retries`` times). All
files move into place only when every member verified.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import attrs
import httpx

from .._http import _wire
from .. import _client, _retry, errors
from . import _extract, _limits, _remote_zip, _zipstream
from ._progress import byte_bar

__all__ = [
    "ArchiveChangedError",
    "Selection",
    "check_plan_answer",
    "fetch_members",
    "plan_headers",
    "read_plan",
    "select_members",
]

logger = logging.getLogger("inductiva")


class ArchiveChangedError(errors.TransferError):
    """The archive's ETag no longer matches the central directory that was read."""


def plan_headers(archive: _remote_zip.RemoteZip, plan: _remote_zip.RangePlan) -> dict[str, str]:
    """The Range request of ``plan`` (pinned to the archive's ETag)."""
    return _remote_zip.range_headers(plan.start, plan.end, archive.etag)


def check_plan_answer(
    archive: _remote_zip.RemoteZip, plan: _remote_zip.RangePlan, response: httpx.Response
) -> None:
    """ArchiveChangedError or TransferError unless ``response`` is the 206 ``plan`` asked for."""
    if response.status_code != 206:
        raise ArchiveChangedError(
            f"Output archive of task {archive.task_id} changed during the download "
            f"(HTTP {response.status_code} to a range request); try again."
        )
    first, _last, total = _remote_zip.parse_content_range(response.headers.get("Content-Range"))
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
    bar_update: Callable[[int], object],
) -> None:
    held = _remote_zip.tail_slice(archive, plan.start, plan.end)
    if held is not None:  # already read with the directory: no request
        bar_update(len(held))
        read_plan(plan, iter([held]), staged, done)
        return
    path = _remote_zip.output_path(archive.task_id)
    with _client.stream("GET", path, headers=plan_headers(archive, plan)) as response:
        check_plan_answer(archive, plan, response)

        def counted() -> Iterator[bytes]:
            for chunk in _wire.iter_body(response):
                bar_update(len(chunk))
                yield chunk

        read_plan(plan, counted(), staged, done)


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
) -> None:
    """Download, verify and write the members ``names`` of ``archive`` under ``output_dir``.

    ``names`` may map member names to the relative names to write them as
    (``artifacts/log.txt`` -> ``log.txt``).
    """
    selection = select_members(archive, names, output_dir)
    files, targets = selection.files, selection.targets
    settings = _client.resolve_settings()
    attempts = settings.max_retries + 1
    with _extract.staging_dir(output_dir) as stage:
        staged = selection.staged(stage, output_dir)
        done: set[str] = set()
        plans = _remote_zip.plan_ranges(archive, files)
        with byte_bar(_remote_zip.total_bytes(plans), desc="Downloading") as bar:
            for attempt in range(1, attempts + 1):
                mark = _retry.budget_mark()
                try:
                    for plan in plans:
                        _fetch_plan(archive, plan, staged, done, bar.update)
                    break
                except errors.ApiConnectionError as exc:
                    wait = _retry.resume_delay(settings.retry_policy, attempt, mark, exc)
                    if wait is None:
                        raise
                    remaining = [e for e in files if e.name not in done]
                    plans = _remote_zip.plan_ranges(archive, remaining)
                    bar.total = bar.n + _remote_zip.total_bytes(plans)
                    logger.info("Partial download interrupted; resuming in %.2fs", wait)
                    time.sleep(wait)
        _extract.move_into_place(stage.resolve(), output_dir, targets)
