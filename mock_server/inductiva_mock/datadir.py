"""The server's private data directory: created safely, locked against a second instance."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LOCK_NAME", "DataDir", "DataDirInUse", "open_data_dir"]

LOCK_NAME = "mock.lock"


class DataDirInUse(RuntimeError):
    """Another running instance holds the lock of the data directory."""


@dataclass
class DataDir:
    """An open data directory: its path, whether this process made it, and the lock held."""

    path: Path
    owned: bool
    lock_fd: int | None

    def release(self) -> None:
        """Drop the lock; remove the directory when this process created it."""
        fd, self.lock_fd = self.lock_fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
        if self.owned:
            shutil.rmtree(self.path, ignore_errors=True)


def open_data_dir(path: Path | None) -> DataDir:
    """Create (if needed) and lock the data directory *path*; None makes a private one.

    A private one comes from `tempfile.mkdtemp` (a fresh name created with mode 0700,
    so a symlink planted in $TMPDIR is never followed). A given one that does not exist
    is created with mode 0700. Raises DataDirInUse when another instance holds it.
    """
    owned = path is None
    if path is None:
        path = Path(tempfile.mkdtemp(prefix="inductiva-mock-"))
    elif not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir(mode=0o700)
    if not path.is_dir():
        raise NotADirectoryError(f"data directory {path} is not a directory")
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(path / LOCK_NAME, flags, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise DataDirInUse(
            f"data directory {path} is in use by another running inductiva-mock "
            f"(pid {holder}); stop it, pick another --data-dir, or omit --data-dir "
            "for a private one"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return DataDir(path, owned, fd)
