"""Downloading a task's outputs: the whole archive (resumable) or just some files.

Full downloads stream the archive to ``output.zip.part`` in the destination,
resuming after dropped connections (see :mod:`inductiva._resume`). The
finished archive is checked (size, then every member's CRC-32: while
streaming, or by extracting) before it is renamed to ``output.zip`` or
extracted (see :mod:`inductiva._extract`); a connection error keeps the
``.part`` for the next call, any other failure removes it.

Partial downloads (``filenames=[...]``) read the central directory with Range
requests and fetch only the wanted members (see :mod:`inductiva._remote_zip`
and :mod:`inductiva._members`).
"""

from __future__ import annotations

import contextlib
import difflib
import logging
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from . import _extract, _members, _remote_zip, _resume, errors

__all__ = ["ARCHIVE_NAME", "download_outputs"]

logger = logging.getLogger("inductiva")

ARCHIVE_NAME = "output.zip"
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
        remote = None if uncompress else _resume.read_directory(task_id)
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


def _select(archive: _remote_zip.RemoteZip, filenames: Sequence[str]) -> list[str]:
    """The archive entries ``filenames`` name (a directory name selects what it holds)."""
    by_name = {m.name: m for m in archive.members}
    selected: dict[str, None] = {}
    missing = []
    for wanted in filenames:
        clean = wanted.replace("\\", "/")
        while clean.startswith("./"):
            clean = clean[2:]
        if clean in by_name and not by_name[clean].is_dir:
            selected[clean] = None
            continue
        prefix = clean.rstrip("/") + "/"
        inside = [m.name for m in archive.members if m.name.startswith(prefix)]
        if inside:
            selected.update(dict.fromkeys(inside))
        else:
            missing.append(wanted)
    if missing:
        names = archive.names()
        raise errors.UnknownFilesError(
            f"Not in the output archive of task {archive.task_id}: "
            f"{', '.join(map(repr, missing))}.{_close_matches(missing, names)} "
            f"The archive holds {len(names)} files; list them with "
            "task.get_output_files_info().",
            missing,
        )
    return list(selected)


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
    (resumable) and extracted, or kept as ``output_dir/output.zip`` when
    ``uncompress=False``. ``filenames`` fetches just those members (and
    everything under a named directory) with Range requests and extracts them;
    it cannot be combined with ``uncompress=False`` (there is no zip to keep).
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
    for attempt in (1, 2):
        archive = _remote_zip.open_remote_zip(task_id)
        selected = _select(archive, names)
        try:
            with _output_dir(target):
                _members.fetch_members(archive, selected, target)
            break
        except _members.ArchiveChangedError:
            if attempt == 2:
                raise
            logger.info("Output archive of task %s changed; reading it again", task_id)
    return target
