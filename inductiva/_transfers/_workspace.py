"""The client's own corner of an output directory: ``<output_dir>/.inductiva/``.

Everything the client writes that is not an output file lives here, so it can
never collide with an output name (archive members under ``.inductiva/`` are
refused as unsafe, and :meth:`inductiva.TaskOutput.files` leaves it out)::

    <output_dir>/.inductiva/
        lock                 held while a download runs (O_EXCL; holder's pid inside)
        output.zip.part      the archive as received so far
        output.zip.part.json its ETag and size, to resume or to reuse it
        staging-*/           files being extracted, moved out once all verified

A lock left by a process that no longer runs is taken over. Staging
directories are removed when the next download into the directory starts:
an extraction interrupted hard (SIGKILL, power loss) is cleaned up then.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

from .. import errors

__all__ = ["RESERVED", "Workspace", "lock_directory"]

logger = logging.getLogger("inductiva")

RESERVED = ".inductiva"
LEGACY_STAGING = ".inductiva-partial-"


class Workspace:
    """Paths of the reserved directory of ``output_dir``."""

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir
        self.root = output_dir / RESERVED

    @property
    def part(self) -> Path:
        """Where the archive is received."""
        return self.root / "output.zip.part"

    @property
    def lock(self) -> Path:
        """The lock file."""
        return self.root / "lock"

    def create(self) -> Path:
        """Create the reserved directory."""
        self.root.mkdir(parents=True, exist_ok=True)
        return self.root

    def clean_stale(self) -> None:
        """Remove staging directories of interrupted extractions (ours and older versions')."""
        candidates: list[Path] = []
        with contextlib.suppress(OSError):
            candidates += [p for p in self.root.iterdir() if p.name.startswith("staging-")]
        with contextlib.suppress(OSError):
            candidates += [
                p for p in self.output_dir.iterdir() if p.name.startswith(LEGACY_STAGING)
            ]
        for stale in candidates:
            logger.info("Removing %s, left by an interrupted extraction", stale)
            shutil.rmtree(stale, ignore_errors=True)

    def remove_if_empty(self) -> None:
        """Remove the reserved directory if nothing is kept in it."""
        with contextlib.suppress(OSError):
            self.root.rmdir()


def _holder_alive(lock: Path) -> tuple[bool, str]:
    try:
        info = json.loads(lock.read_text())
        pid, host = int(info["pid"]), str(info.get("host", ""))
    except (OSError, ValueError, KeyError, TypeError):
        return True, "another download"  # being written right now, or unreadable: respect it
    if host and host != socket.gethostname():
        return True, f"process {pid} on {host}"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False, f"process {pid}"
    except (PermissionError, OSError):
        return True, f"process {pid}"
    return True, f"process {pid}"


def _try_create(lock: Path) -> bool:
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as fh:
        json.dump({"pid": os.getpid(), "host": socket.gethostname()}, fh)
    return True


@contextlib.contextmanager
def lock_directory(space: Workspace) -> Iterator[None]:
    """Hold ``space``'s lock for the block; DownloadInProgressError if another process does."""
    space.create()
    lock = space.lock
    if not _try_create(lock):
        alive, holder = _holder_alive(lock)
        if alive:
            raise errors.DownloadInProgressError(
                f"{holder} is already downloading into {str(space.output_dir)!r}; wait for it "
                f"to finish or choose another output_dir (if no download runs, delete {lock})."
            )
        logger.info("Taking over the lock of %s, which no longer runs", holder)
        lock.unlink(missing_ok=True)
        if not _try_create(lock):
            raise errors.DownloadInProgressError(
                f"Another download into {str(space.output_dir)!r} started just now; "
                "choose another output_dir or try again later."
            )
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            lock.unlink()


def is_disk_full(exc: OSError) -> bool:
    """Whether ``exc`` says the disk (or the quota) is full."""
    return exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))
