"""Partial downloads through the real API's ``?filename=`` subset archives (a flow).

For servers without byte ranges: ``GET /tasks/{id}/output?filename=a&filename=b``
answers a zip holding just those files at its root. Names (relative to
``artifacts/``, as ``GET .../output/list`` gives them) are resolved by the
caller; each subset zip is streamed into a hidden staging directory inside the
destination, checked to hold every file asked for, verified (sizes and
CRC-32) and extracted, all batches before any file moves into place. Long
name lists are split over a few requests so no URL grows unbounded. A dropped
connection fetches the subset again (within the call's retry budget); nothing
partial is left. A subset body is bounded by what its files can take (see
:func:`subset_bound`): a longer one is an
:class:`~inductiva.errors.IntegrityError`.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import urlencode

from .. import errors
from .._http._flow import Flow, close, offload, open_stream, read, session, sleep
from .._http._retry import budget_mark, resume_delay
from . import _extract
from ._listing import Listing
from ._output import output_request
from ._progress import byte_bar, extract_bar

__all__ = ["MAX_QUERY", "download_subset", "subset_batches", "subset_bound"]

logger = logging.getLogger("inductiva")

MAX_QUERY = 4000  # characters of ``filename=`` query per request


def subset_batches(names: Sequence[str], limit: int = MAX_QUERY) -> Iterator[list[str]]:
    """``names`` in groups whose ``filename=`` query stays within ``limit`` characters."""
    batch: list[str] = []
    length = 0
    for name in names:
        size = len(urlencode([("filename", name)])) + 1  # the query's length, name and all
        if batch and length + size > limit:
            yield batch
            batch, length = [], 0
        batch.append(name)
        length += size
    if batch:
        yield batch


def subset_bound(listing: Listing, names: Sequence[str]) -> int:
    """The most bytes a subset zip of ``names`` can take.

    Each file stored or deflated (deflate adds at most 5 bytes per 16 KiB
    block), its local and central headers with its name twice and ZIP64
    fields, and the end records.
    """
    total = 1024
    for name in names:
        size, compressed = listing.files.get(name, (0, 0))
        total += max(size, compressed) + size // 3000 + 256 + 2 * len(name.encode())
    return total


def _fetch(task_id: str, names: Sequence[str], dest: Path, bound: int) -> Flow[None]:
    """Stream the subset zip of ``names`` into ``dest``; IntegrityError if cut short or too long."""
    settings = (yield from session()).settings
    stream = yield from open_stream(output_request(task_id, filenames=names))
    try:
        length = stream.headers.get("Content-Length", "")
        total = int(length) if length.isdigit() and len(length) < 17 else None
        limit = min(bound, total) if total is not None else bound
        received = 0
        with (
            dest.open("wb") as fh,
            byte_bar(total, desc="Downloading", progress=settings.progress) as bar,
        ):
            while chunk := (yield from read(stream)):
                received += len(chunk)
                if received > limit:
                    raise errors.IntegrityError(
                        f"The subset archive of task {task_id} is longer than the {limit} bytes "
                        "its files can take; nothing of it was kept."
                    )
                fh.write(chunk)
                bar.update(len(chunk))
    finally:
        yield from close(stream)
    if total is not None and received != total:
        raise errors.IntegrityError(
            f"Downloaded {received} bytes of a {total}-byte subset archive."
        )


def _fetch_retrying(task_id: str, names: Sequence[str], dest: Path, bound: int) -> Flow[None]:
    policy = (yield from session()).settings.retry_policy
    attempt = 0
    while True:
        attempt += 1
        mark = budget_mark()
        try:
            yield from _fetch(task_id, names, dest, bound)
            return
        except errors.ApiConnectionError as exc:
            wait = resume_delay(policy, attempt, mark, exc)
            if wait is None:
                raise
            logger.info("Subset download of task %s interrupted; again in %.2fs", task_id, wait)
            yield from sleep(wait)


def _check_members(archive: Path, names: Sequence[str]) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            held = set(zf.namelist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise errors.IntegrityError(f"Downloaded subset is not a valid zip: {exc}") from exc
    missing = [n for n in names if n not in held]
    if missing:
        raise errors.IntegrityError(
            f"The server's subset archive lacks {', '.join(map(repr, missing))}."
        )


def _verify_and_extract(
    zips: list[tuple[Path, list[str]]], output_dir: Path, progress: bool | None
) -> None:
    """Check every subset zip (members, and CRCs when several), then extract them all."""
    for archive, batch in zips:
        _check_members(archive, batch)
        if len(zips) > 1:  # all verified before any file moves into place
            _extract.verify_archive(archive)
    for archive, batch in zips:
        with extract_bar(progress) as advance:
            _extract.extract_archive(archive, output_dir, batch, progress=advance)


def download_subset(
    task_id: str, listing: Listing, names: Sequence[str], output_dir: Path
) -> Flow[None]:
    """Fetch the files ``names`` (relative to ``artifacts/``) into ``output_dir``, verified.

    Every batch is fetched and checked before any file moves into place.
    """
    _extract.plan_targets(names, output_dir)  # unsafe names fail before any request
    with _extract.staging_dir(output_dir) as stage:
        zips = []
        for index, batch in enumerate(subset_batches(names)):
            archive = stage / f"subset-{index}.zip"
            yield from _fetch_retrying(task_id, batch, archive, subset_bound(listing, batch))
            zips.append((archive, batch))
        settings = (yield from session()).settings
        yield from offload(lambda: _verify_and_extract(zips, output_dir, settings.progress))
