"""Downloading a task's outputs, as one flow: the whole archive (resumable) or just some files.

:func:`download_flow` is what ``Task.download_outputs`` (blocking, Ctrl-C and
SIGTERM interrupt it) and ``Task.download_outputs_async`` (asyncio, cancelling
interrupts it) both run; every request of one call shares one retry budget.

Full downloads fetch the archive into ``.inductiva/output.zip.part`` (see
:mod:`._resume`, resuming from whatever an earlier call kept, see
:mod:`._part`). The finished archive is checked (size, then every member's
CRC-32: while streaming, or by extracting) before it is renamed to
``output.zip`` or extracted (see :mod:`._extract`); what a failure keeps is
decided in :mod:`._keep`.

The full archive holds ``output.json`` and the task's files under
``artifacts/``; extraction puts those files directly in the destination and
leaves ``output.json`` out (``uncompress=False`` keeps the archive as it came).

Partial downloads (``filenames=[...]``, names relative to ``artifacts/`` as
``task.get_output_files_info()`` lists them) read the central directory with
Range requests and fetch only the wanted members (see :mod:`._directory` and
:mod:`._members`) when the server declares the ``byte-ranges`` extension in
``GET /version``. Otherwise, or when a range request is answered 200 all the
same (that response is closed unread), the files come as the real API's
``?filename=`` subset archive (see :mod:`._subset`): same files, same layout.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from .. import _capabilities, errors
from .._http._flow import Flow, budgeted, offload, session
from .._validate import check_flag, check_path, printable
from . import _extract, _limits, _members, _part, _resume, _select, _workspace
from ._directory import RangesUnsupportedError, open_remote_zip
from ._keep import fetch_failed, finish_failed, local_error, output_dir_locked
from ._listing import list_outputs
from ._progress import extract_bar
from ._subset import download_subset

__all__ = [
    "ARCHIVE_NAME",
    "BYTE_RANGES",
    "check_request",
    "check_target",
    "download_flow",
]

logger = logging.getLogger("inductiva")

ARCHIVE_NAME = "output.zip"
BYTE_RANGES = _resume.BYTE_RANGES
_TASK_ID = re.compile(r"^[0-9]{1,30}$")


def _normalize_filenames(filenames: str | Sequence[str]) -> list[str]:
    if isinstance(filenames, str):
        filenames = [filenames]
    try:
        names = list(filenames)
    except TypeError:
        names = []
    bad = [n for n in names if not isinstance(n, str) or not n or "\x00" in n]
    if bad or not names:
        raise errors.InvalidArgumentError(
            "filenames must be a non-empty list of archive member names (str), got "
            f"{printable(repr(filenames)[:200])}."
        )
    return names


def check_request(
    task_id: str,
    filenames: Sequence[str] | None,
    output_dir: str | os.PathLike[str] | None,
    uncompress: bool,
) -> tuple[str, Path, list[str] | None, bool]:
    """The checked ``(task_id, target, names, uncompress)`` of a download, before any request."""
    task_id = str(task_id)
    if not _TASK_ID.match(task_id):
        raise errors.InvalidArgumentError(
            f"task_id must be a numeric string, got {printable(repr(task_id)[:80])}."
        )
    uncompress = check_flag("uncompress", uncompress)
    if output_dir is not None:
        check_path("output_dir", output_dir)
    target = Path(output_dir) if output_dir is not None else Path("inductiva_output", task_id)
    names = _normalize_filenames(filenames) if filenames is not None else None
    if names is not None and not uncompress:
        raise errors.InvalidArgumentError(
            "filenames=... cannot be combined with uncompress=False: selected files are always "
            "extracted. Drop uncompress=False, or drop filenames to keep the whole zip."
        )
    return task_id, target, names, uncompress


def check_target(target: Path) -> None:
    """InvalidArgumentError if ``target`` exists and is not a directory."""
    if target.exists() and not target.is_dir():
        raise errors.InvalidArgumentError(
            f"output_dir {str(target)!r} exists and is not a directory."
        )


def _full(task_id: str, output_dir: Path, uncompress: bool) -> Flow[None]:
    part = _workspace.Workspace(output_dir).part
    try:
        verified = yield from _resume.fetch_archive(task_id, part, verify_ahead=not uncompress)
    except BaseException as exc:
        fetch_failed(part, exc)
        raise
    try:
        if uncompress:
            settings = (yield from session()).settings
            with extract_bar(settings.progress) as advance:
                yield from offload(
                    lambda: _extract.extract_archive(part, output_dir, progress=advance)
                )
        else:
            if not verified:
                yield from offload(lambda: _extract.verify_archive(part))
            os.replace(part, output_dir / ARCHIVE_NAME)
    except BaseException as exc:
        finish_failed(part, exc)
        raise
    _part.discard(part)


def _subset(task_id: str, names: Sequence[str], target: Path) -> Flow[None]:
    listing = yield from list_outputs(task_id, names)  # selected in one pass (see _select)
    with output_dir_locked(target):
        yield from download_subset(task_id, listing, listing.names, target)


def _partial(task_id: str, names: Sequence[str], target: Path) -> Flow[None]:
    if not (yield from _capabilities.offers(BYTE_RANGES)):
        yield from _subset(task_id, names, target)
        return
    for attempt in (1, 2):
        try:
            archive = yield from open_remote_zip(task_id)
        except RangesUnsupportedError as exc:
            logger.info("%s Fetching the files as a subset archive instead.", exc)
            yield from _subset(task_id, names, target)
            return
        wanted = yield from offload(partial(_select.select_in_archive, archive, task_id, names))
        try:
            with output_dir_locked(target):
                yield from _members.fetch_members(archive, wanted, target)
            return
        except _members.ArchiveChangedError:
            if attempt == 2:
                raise
            logger.info("Output archive of task %s changed; reading it again", task_id)


def _download(task_id: str, target: Path, names: list[str] | None, uncompress: bool) -> Flow[None]:
    if names is None:
        with output_dir_locked(target):
            yield from _full(task_id, target, uncompress)
    else:
        yield from _partial(task_id, names, target)


def download_flow(
    task_id: str,
    *,
    filenames: Sequence[str] | None = None,
    output_dir: str | os.PathLike[str] | None = None,
    uncompress: bool = True,
) -> Flow[Path]:
    """Download a task's outputs into ``output_dir``; the flow returns that directory.

    ``output_dir`` defaults to ``inductiva_output/<task_id>`` (relative to the
    working directory). Without ``filenames`` the whole archive is downloaded
    (resumable) and the task's files (its ``artifacts/``) extracted directly
    into ``output_dir``, or the archive is kept as ``output_dir/output.zip``
    when ``uncompress=False``. ``filenames`` (relative to ``artifacts/``, as
    ``task.get_output_files_info()`` lists them) fetches just those files (and
    everything under a named directory), with Range requests or, on a server
    without them, as a ``?filename=`` subset archive, and extracts them; it
    cannot be combined with ``uncompress=False`` (there is no zip to keep).
    Unknown names raise :class:`~inductiva.errors.UnknownFilesError` before
    anything is written; corrupt data raises
    :class:`~inductiva.errors.IntegrityError` and leaves no partial file.
    Every setting and limit is checked before any request.
    """
    task_id, target, names, uncompress = check_request(task_id, filenames, output_dir, uncompress)
    _limits.current()  # a bad limit setting fails before any request
    try:
        check_target(target)
        yield from budgeted(_download(task_id, target, names, uncompress))
    except OSError as exc:
        raise local_error(exc, f"write the outputs into {str(target)!r}") from exc
    return target
