"""Partial downloads through the real API's ``?filename=`` subset archives.

For servers without byte ranges: ``GET /tasks/{id}/output?filename=a&filename=b``
answers a zip holding just those files at its root. Names (relative to
``artifacts/``, as ``GET .../output/list`` gives them) are resolved before
anything is fetched; the subset zip is streamed into a hidden staging
directory inside the destination, then extracted verified (sizes and CRC-32)
and checked to hold every file asked for. Long name lists are split over a
few requests so no URL grows unbounded. A dropped connection fetches the
subset again (``inductiva.max_retries`` times); nothing partial is left.
"""

from __future__ import annotations

import logging
import time
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import urlencode

from .._http import _wire
from .. import _client, _retry, errors
from . import _extract, _remote_zip
from ._progress import byte_bar

__all__ = ["MAX_QUERY", "download_subset", "list_outputs", "subset_batches"]

logger = logging.getLogger("inductiva")

MAX_QUERY = 4000  # characters of ``filename=`` query per request


def list_outputs(task_id: str) -> list[str]:
    """The task's output files, relative to ``artifacts/`` (``GET .../output/list``)."""
    from inductiva_api.api.tasks import list_task_outputs

    info = _client.call(list_task_outputs.sync_detailed, task_id=task_id)
    return [str(f.name) for f in info.contents]


def subset_batches(names: Sequence[str], limit: int = MAX_QUERY) -> Iterator[list[str]]:
    """``names`` in groups whose ``filename=`` query stays within ``limit`` characters."""
    batch: list[str] = []
    length = 0
    for name in names:
        size = len(urlencode([("filename", name)])) + 1
        if batch and length + size > limit:
            yield batch
            batch, length = [], 0
        batch.append(name)
        length += size
    if batch:
        yield batch


def _fetch(task_id: str, names: Sequence[str], dest: Path) -> None:
    """Stream the subset zip of ``names`` into ``dest``; IntegrityError if it is cut short."""
    path = f"{_remote_zip.output_path(task_id)}?{urlencode([('filename', n) for n in names])}"
    with _client.stream("GET", path) as response:
        length = response.headers.get("Content-Length", "")
        total = int(length) if length.isdigit() else None
        with dest.open("wb") as fh, byte_bar(total, desc="Downloading") as bar:
            for chunk in _wire.iter_body(response):
                fh.write(chunk)
                bar.update(len(chunk))
    size = dest.stat().st_size
    if total is not None and size != total:
        raise errors.IntegrityError(f"Downloaded {size} bytes of a {total}-byte subset archive.")


def _fetch_retrying(task_id: str, names: Sequence[str], dest: Path) -> None:
    settings = _client.resolve_settings()
    attempts = settings.max_retries + 1
    for attempt in range(1, attempts + 1):
        mark = _retry.budget_mark()
        try:
            _fetch(task_id, names, dest)
            return
        except errors.ApiConnectionError as exc:
            wait = _retry.resume_delay(settings.retry_policy, attempt, mark, exc)
            if wait is None:
                raise
            logger.info("Subset download of task %s interrupted; again in %.2fs", task_id, wait)
            time.sleep(wait)


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


def download_subset(task_id: str, names: Sequence[str], output_dir: Path) -> None:
    """Fetch the files ``names`` (relative to ``artifacts/``) into ``output_dir``, verified.

    Every batch is fetched and checked before any file moves into place.
    """
    _extract.plan_targets(names, output_dir)  # unsafe names fail before any request
    batches = list(subset_batches(names))
    with _extract.staging_dir(output_dir) as stage:
        zips = []
        for index, batch in enumerate(batches):
            archive = stage / f"subset-{index}.zip"
            _fetch_retrying(task_id, batch, archive)
            _check_members(archive, batch)
            if len(batches) > 1:  # all verified before any file moves into place
                _extract.verify_archive(archive)
            zips.append((archive, batch))
        for archive, batch in zips:
            _extract.extract_archive(archive, output_dir, batch)
