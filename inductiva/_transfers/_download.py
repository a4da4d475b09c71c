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

from .. import _capabilities, _client, _retry, _signals, errors
from .._validate import check_flag, check_path, printable
from . import _extract, _members, _parallel, _remote_zip, _resume, _select, _subset, _workspace

__all__ = [
    "ARCHIVE_NAME",
    "BYTE_RANGES",
    "check_request",
    "check_target",
    "download_outputs",
    "fetch_failed",
    "finish_failed",
    "local_error",
    "output_dir_locked",
    "select",
]

logger = logging.getLogger("inductiva")

ARCHIVE_NAME = "output.zip"
BYTE_RANGES = "byte-ranges"
_TASK_ID = re.compile(r"^[0-9]{1,30}$")


@contextlib.contextmanager
def output_dir_locked(path: Path) -> Iterator[Path]:
    """Create ``path`` (and parents); on failure remove the ones created here if still empty."""
    created = [p for p in (path, *path.parents) if not p.exists()]
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise errors.InvalidArgumentError(
            f"output_dir {printable(repr(str(path)))} cannot be created: a file is in the way "
            "(a path component is not a directory); choose another directory."
        ) from None
    except OSError as exc:
        raise local_error(exc, f"create the output directory {str(path)!r}") from exc
    space = _workspace.Workspace(path)
    try:
        with _workspace.lock_directory(space):
            space.clean_stale()
            yield path
    except BaseException:
        space.remove_if_empty()
        for directory in created:
            with contextlib.suppress(OSError):
                directory.rmdir()
        raise
    space.remove_if_empty()


def local_error(exc: OSError, doing: str) -> errors.LocalFileError:
    """A LocalFileError for an OSError met while ``doing`` something on the local disk."""
    where = f" ({exc.filename})" if exc.filename else ""
    reason = printable(exc.strerror or exc)
    if _workspace.is_disk_full(exc):
        return errors.InsufficientSpaceError(
            f"Could not {doing}: the disk is full{where}. Free some space (or choose another "
            "output_dir) and call again; what was downloaded so far is kept and resumes."
        )
    if isinstance(exc, PermissionError):
        hint = "check the directory's permissions or choose another output_dir"
    elif isinstance(exc, NotADirectoryError | FileExistsError | IsADirectoryError):
        hint = "a file or directory is in the way; choose another output_dir"
    else:
        hint = "check the path and the disk, then call again"
    return errors.LocalFileError(f"Could not {doing}: {reason}{where}; {hint}.")


def _full_download(task_id: str, output_dir: Path, uncompress: bool) -> None:
    space = _workspace.Workspace(output_dir)
    part = space.part
    try:
        ahead = not uncompress and _capabilities.offers(BYTE_RANGES)
        remote = _resume.read_directory(task_id) if ahead else None
        if remote is not None and remote.etag and _parallel.should_split(part, remote):
            verified = False  # checked as a whole below, by extraction or one pass
            fetch = _parallel.ParallelFetch(task_id, part, remote.size, remote.etag)
            if not fetch.run():
                _resume.discard(part)  # the archive changed: one stream, from byte 0
                verified = _resume.ArchiveFetch(task_id, part, None).run()
        else:
            # A large archive on a slow connection turns into parallel ranges.
            verified = _resume.ArchiveFetch(task_id, part, remote, _parallel.take_over).run()
    except BaseException as exc:
        fetch_failed(part, exc)
        raise
    try:
        if uncompress:
            _extract.extract_archive(part, output_dir)
        else:
            if not verified:
                _extract.verify_archive(part)
            os.replace(part, output_dir / ARCHIVE_NAME)
    except BaseException as exc:
        finish_failed(part, exc)
        raise
    _resume.discard(part)


def fetch_failed(part: Path, exc: BaseException) -> None:
    """What a failed fetch of the whole archive leaves in ``part`` (the caller re-raises)."""
    if isinstance(exc, errors.IntegrityError):
        _resume.discard(part)  # proof of corruption: those bytes are worthless
        return
    # Anything else (a dropped connection, an API error, Ctrl-C, SIGTERM, a full
    # disk, a cancelled asyncio task) leaves the bytes received: the next call resumes.
    if part.exists() and part.stat().st_size > 0:
        logger.warning("Partial download kept in %s; call again to resume", part)
        if isinstance(exc, errors.InductivaError) and not isinstance(exc, errors.TaskError):
            _with_note(exc, f" The partial download in {part} resumes on the next call.")
    else:
        _resume.discard(part)


def finish_failed(part: Path, exc: BaseException) -> None:
    """What a failed check or extraction of the complete archive keeps (the caller re-raises)."""
    if isinstance(exc, errors.IntegrityError) or (
        isinstance(exc, errors.UnsafeArchiveError)
        and not isinstance(exc, errors.ArchiveTooLargeError)
    ):
        _resume.discard(part)  # corrupt, or hostile names: it would be refused again
        return
    # The archive is complete and verified: an interruption, a full disk or a
    # limit keeps it, and the next call extracts it without downloading again.
    _keep_complete(part, exc)


def _keep_complete(part: Path, exc: BaseException) -> None:
    if part.exists():
        logger.warning("Complete download kept in %s; call again to extract it", part)
        if isinstance(exc, errors.InductivaError):
            _with_note(exc, f" The complete download in {part} is kept; the next call uses it.")


def _with_note(exc: errors.InductivaError, note: str) -> errors.InductivaError:
    """``exc`` with ``note`` appended to its message (same class and attributes)."""
    if note not in str(exc):
        exc.args = (f"{exc.args[0] if exc.args else exc}{note}", *exc.args[1:])
        if isinstance(exc, errors.ApiError):
            exc.message = str(exc.args[0])
    return exc


def _close_matches(missing: Sequence[str], names: Sequence[str]) -> str:
    hints = []
    for name in missing:
        close = difflib.get_close_matches(name, names, n=3)
        if close:
            hints.append(f"{name!r}: did you mean {', '.join(map(repr, close))}?")
    return (" " + " ".join(hints)) if hints else ""


def select(task_id: str, available: Sequence[str], filenames: Sequence[str]) -> list[str]:
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


def _subset_download(task_id: str, names: Sequence[str], target: Path) -> None:
    selected = _select.list_and_select(task_id, names)
    with output_dir_locked(target):
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
        wanted = _select.select_in_archive(archive, task_id, names)
        try:
            with output_dir_locked(target):
                _members.fetch_members(archive, wanted, target)
            return
        except _members.ArchiveChangedError:
            if attempt == 2:
                raise
            logger.info("Output archive of task %s changed; reading it again", task_id)


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
    task_id, target, names, uncompress = check_request(task_id, filenames, output_dir, uncompress)
    settings = _client.resolve_settings()  # every setting checked before any request
    try:
        check_target(target)
        with _signals.sigterm_as_interrupt(), _retry.retry_budget(settings.max_retries):
            if names is None:
                with output_dir_locked(target):
                    _full_download(task_id, target, uncompress)
            else:
                _partial_download(task_id, names, target)
    except OSError as exc:
        raise local_error(exc, f"write the outputs into {str(target)!r}") from exc
    return target
