"""What a download leaves on disk: its output directory, and what a failure keeps.

:func:`output_dir_locked` creates the output directory and holds its lock (see
:mod:`._workspace`) while the download runs, removing directories it created
if the download fails before anything is kept. :func:`fetch_failed` and
:func:`finish_failed` decide what a failure keeps of the ``.part`` (see the
README's "Resume and verification"): progress is thrown away only on proof of
corruption (or hostile names), and the error then says what is kept.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

from .. import errors
from .._validate import printable
from . import _part, _workspace

__all__ = ["fetch_failed", "finish_failed", "local_error", "output_dir_locked"]

logger = logging.getLogger("inductiva")


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
    except FileNotFoundError:  # e.g. under /proc: this file system holds no such directory
        raise errors.InvalidArgumentError(
            f"output_dir {printable(repr(str(path)))} cannot be created: this file system "
            "does not allow a directory there; choose another directory."
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


def fetch_failed(part: Path, exc: BaseException) -> None:
    """What a failed fetch of the whole archive leaves in ``part`` (the caller re-raises)."""
    if isinstance(exc, errors.IntegrityError):
        _part.discard(part)  # proof of corruption: those bytes are worthless
        return
    # Anything else (a dropped connection, an API error, Ctrl-C, SIGTERM, a full
    # disk, a cancelled asyncio task) leaves the bytes received: the next call resumes.
    if part.exists() and part.stat().st_size > 0:
        logger.warning("Partial download kept in %s; call again to resume", part)
        if isinstance(exc, errors.InductivaError) and not isinstance(exc, errors.TaskError):
            _with_note(exc, part, f" The partial download in {part} resumes on the next call.")
    else:
        _part.discard(part)


def finish_failed(part: Path, exc: BaseException) -> None:
    """What a failed check or extraction of the complete archive keeps (the caller re-raises)."""
    if isinstance(exc, errors.IntegrityError) or (
        isinstance(exc, errors.UnsafeArchiveError)
        and not isinstance(exc, errors.ArchiveTooLargeError)
    ):
        _part.discard(part)  # corrupt, or hostile names: it would be refused again
        return
    # The archive is complete and verified: an interruption, a full disk or a
    # limit keeps it, and the next call extracts it without downloading again.
    _keep_complete(part, exc)


def _keep_complete(part: Path, exc: BaseException) -> None:
    if part.exists():
        logger.warning("Complete download kept in %s; call again to extract it", part)
        if isinstance(exc, errors.InductivaError):
            _with_note(
                exc, part, f" The complete download in {part} is kept; the next call uses it."
            )


def _with_note(exc: errors.InductivaError, part: Path, note: str) -> errors.InductivaError:
    """``exc`` with ``note`` appended to its message (same class and attributes).

    ``exc.kept`` names ``part``, and ``exc.problem`` keeps the message without the
    note, for a caller that words the advice itself (the command line).
    """
    if exc.kept is None:
        exc.kept = str(part)
    if note not in str(exc):
        if exc.problem is None:
            exc.problem = str(exc)
        exc.args = (f"{exc.args[0] if exc.args else exc}{note}", *exc.args[1:])
        if isinstance(exc, errors.ApiError):
            exc.message = str(exc.args[0])
    return exc
