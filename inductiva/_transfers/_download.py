"""Downloading a task's outputs: the whole archive (resumable) or just some files.

Full downloads stream the archive to ``output.zip.part`` in the destination,
resuming after dropped connections (see :mod:`inductiva._transfers._resume`). The
finished archive is checked (size, then every member's CRC-32: while
streaming, or by extracting) before it is renamed to ``output.zip`` or
extracted (see :mod:`inductiva._transfers._extract`); a connection error keeps the
``.part`` for the next call, any other failure removes it.

The full archive holds ``output.json`` and the task's files under
``artifacts/``; extraction puts those files directly in the destination and
leaves ``output.json`` out (``uncompress=False`` keeps the archive as it came).

Partial downloads (``filenames=[...]``, names relative to ``artifacts/`` as
``task.get_output_files_info()`` lists them) read the central directory with
Range requests and fetch only the wanted members (see
:mod:`inductiva._transfers._remote_zip` and :mod:`inductiva._transfers._members`) when the server
declares the ``byte-ranges`` extension in ``GET /version``. Otherwise, or when
a range request is answered 200 all the same (that response is closed
unread), the files come as the real API's ``?filename=`` subset archive (see
:mod:`inductiva._transfers._subset`): same files, same layout.
"""

from __future__ import annotations

import contextlib
import difflib
import logging
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from .. import _capabilities, errors
from . import _extract, _members, _remote_zip, _resume, _subset

__all__ = ["ARCHIVE_NAME", "download_outputs"]

logger = logging.getLogger("inductiva")

ARCHIVE_NAME = "output.zip"
BYTE_RANGES = "byte-ranges"
_TASK_ID = re.compile(r"^[0-9]{1,30}$")


@contextlib.contextmanager
def _output_dir(path: Path) -> Iterator[Path]:
    """Create ``path`` (and parents); on failure remove the ones created here if still empty."""
    created = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    try:
        yield path
    except BaseException:
        for directory in created:
            with contextlib.suppress(OSError):
                directory.rmdir()
        raise


def _full_download(task_id: str, output_dir: Path, uncompress: bool) -> None:
    part = output_dir / (ARCHIVE_NAME + ".part")
    verified = False
    try:
        ahead = not uncompress and _capabilities.offers(BYTE_RANGES)
        remote = _resume.read_directory(task_id) if ahead else None
        verified = _resume.ArchiveFetch(task_id, part, remote).run()
    except (errors.ApiConnectionError, KeyboardInterrupt) as exc:
        if part.exists() and part.stat().st_size > 0:
            logger.warning("Partial download kept in %s; call again to resume", part)
            if isinstance(exc, errors.ApiConnectionError):
                raise type(exc)(
                    f"{exc} The partial download in {part} resumes on the next call."
                ) from exc
            raise
        _resume.discard(part)
        raise
    except BaseException:
        _resume.discard(part)
        raise
    try:
        if uncompress:
            _extract.extract_archive(part, output_dir)
        else:
            if not verified:
                _extract.verify_archive(part)
            os.replace(part, output_dir / ARCHIVE_NAME)
    finally:
        _resume.discard(part)


def _close_matches(missing: Sequence[str], names: Sequence[str]) -> str:
    hints = []
    for name in missing:
        close = difflib.get_close_matches(name, names, n=3)
        if close:
            hints.append(f"{name!r}: did you mean {', '.join(map(repr, close))}?")
    return (" " + " ".join(hints)) if hints else ""


def _select(task_id: str, available: Sequence[str], filenames: Sequence[str]) -> list[str]:
    """The files of ``available`` that ``filenames`` name (a directory selects what it holds)."""
    files = set(available)
    selected: dict[str, None] = {}
    missing = []
    for wanted in filenames:
        clean = wanted.replace("\\", "/")
        while clean.startswith("./"):
            clean = clean[2:]
        if clean in files:
            selected[clean] = None
            continue
        prefix = clean.rstrip("/") + "/"
        inside = [name for name in available if name.startswith(prefix)]
        if inside:
            selected.update(dict.fromkeys(inside))
        else:
            missing.append(wanted)
    if missing:
        names = list(available)
        raise errors.UnknownFilesError(
            f"Not in the outputs of task {task_id}: "
            f"{', '.join(map(repr, missing))}.{_close_matches(missing, names)} "
            f"The task has {len(names)} output files; list them with "
            "task.get_output_files_info().",
            missing,
        )
    return list(selected)


def _archive_files(archive: _remote_zip.RemoteZip) -> dict[str, str]:
    """Output file name (relative to ``artifacts/``) -> member name, directories left out."""
    renames = _extract.output_members(archive.names())
    return {relative: member for member, relative in renames.items()}


def _subset_download(task_id: str, names: Sequence[str], target: Path) -> None:
    selected = _select(task_id, _subset.list_outputs(task_id), names)
    with _output_dir(target):
        _subset.download_subset(task_id, selected, target)


def _partial_download(task_id: str, names: Sequence[str], target: Path) -> None:
    if not _capabilities.offers(BYTE_RANGES):
        _subset_download(task_id, names, target)
        return
    for attempt in (1, 2):
        try:
            archive = _remote_zip.open_remote_zip(task_id)
        except _remote_zip.RangesUnsupportedError as exc:
            logger.info("%s Fetching the files as a subset archive instead.", exc)
            _subset_download(task_id, names, target)
            return
        files = _archive_files(archive)
        selected = _select(task_id, list(files), names)
        try:
            with _output_dir(target):
                _members.fetch_members(archive, {files[n]: n for n in selected}, target)
            return
        except _members.ArchiveChangedError:
            if attempt == 2:
                raise
            logger.info("Output archive of task %s changed; reading it again", task_id)


def _normalize_filenames(filenames: str | Sequence[str]) -> list[str]:
    if isinstance(filenames, str):
        filenames = [filenames]
    names = list(filenames)
    bad = [n for n in names if not isinstance(n, str) or not n]
    if bad or not names:
        raise errors.InvalidArgumentError(
            f"filenames must be a non-empty list of archive member names (str), got {filenames!r}."
        )
    return names


def download_outputs(
    task_id: str,
    *,
    filenames: Sequence[str] | None = None,
    output_dir: str | os.PathLike[str] | None = None,
    uncompress: bool = True,
) -> Path:
    """Download a task's outputs into ``output_dir`` and return that directory.

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
    """
    task_id = str(task_id)
    if not _TASK_ID.match(task_id):
        raise errors.InvalidArgumentError(f"task_id must be a numeric string, got {task_id!r}.")
    target = Path(output_dir) if output_dir is not None else Path("inductiva_output", task_id)
    if target.exists() and not target.is_dir():
        raise errors.InvalidArgumentError(
            f"output_dir {str(target)!r} exists and is not a directory."
        )
    if filenames is None:
        with _output_dir(target):
            _full_download(task_id, target, uncompress)
        return target
    names = _normalize_filenames(filenames)
    if not uncompress:
        raise errors.InvalidArgumentError(
            "filenames=... cannot be combined with uncompress=False: selected files are always "
            "extracted. Drop uncompress=False, or drop filenames to keep the whole zip."
        )
    _partial_download(task_id, names, target)
    return target
