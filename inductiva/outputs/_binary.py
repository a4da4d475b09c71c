"""Shared by the binary readers: bounds-checked slices, typed values, clear errors."""

from __future__ import annotations

import array
import pathlib
import sys

from ..errors import OutputFileError

__all__ = ["Reader", "malformed", "missing", "read_bytes", "read_text"]

# struct/array type letter -> item size in bytes
SIZES = {"b": 1, "B": 1, "h": 2, "H": 2, "i": 4, "I": 4, "q": 8, "Q": 8, "f": 4, "d": 8}


def malformed(path: pathlib.Path, problem: str) -> OutputFileError:
    """The error for a file that is not what its reader expects."""
    return OutputFileError(f"{path}: {problem}")


def missing(path: pathlib.Path) -> OutputFileError:
    """The error for an output file that is not in the output directory."""
    return OutputFileError(
        f"{path} does not exist: the task did not write it, or it was not downloaded "
        f"(task.download_outputs() fetches every file)"
    )


def read_bytes(path: pathlib.Path) -> bytes:
    """The bytes of output file *path*; OutputFileError if it is missing or unreadable."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise missing(path) from None
    except OSError as exc:
        raise OutputFileError(f"{path} cannot be read: {exc.strerror or exc}") from None


def read_text(path: pathlib.Path) -> str:
    """The text of output file *path* (undecodable bytes replaced); errors as read_bytes."""
    return read_bytes(path).decode("utf-8", errors="replace")


class Reader:
    """A cursor over a file's bytes whose reads past the end raise OutputFileError."""

    def __init__(self, path: pathlib.Path, data: bytes, pos: int = 0) -> None:
        self.path = path
        self.data = data
        self.pos = pos

    def take(self, size: int, what: str) -> bytes:
        """The next *size* bytes (*what* names them in the error if the file ends first)."""
        if size < 0 or self.pos + size > len(self.data):
            raise malformed(self.path, f"truncated: {what} runs past the end of the file")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def values(self, code: str, count: int, big_endian: bool, what: str) -> tuple[float, ...]:
        """*count* values of type letter *code* (see SIZES), in the given byte order."""
        items = array.array(code)
        if items.itemsize != SIZES[code]:  # e.g. a platform whose C long differs
            raise malformed(self.path, f"{what}: no {SIZES[code]}-byte type {code!r} here")
        items.frombytes(self.take(count * items.itemsize, what))
        if big_endian != (sys.byteorder == "big"):
            items.byteswap()
        return tuple(items)
