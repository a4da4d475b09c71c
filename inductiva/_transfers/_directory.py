"""Reading a remote archive's central directory with Range requests, as a flow.

One suffix request (``Range: bytes=-65536``) fetches the archive's tail,
whose ``Content-Range`` gives the total size and whose ``ETag`` pins the
version; :func:`~._remote_zip.build_remote_zip` finds the End Of Central
Directory record there (and its ZIP64 twin) and asks for whatever the tail
lacks (the ZIP64 record, a directory larger than the tail): each such request
is one more small range read here. Parsing runs through ``offload`` (a large
directory is many records).

A server without the ``byte-ranges`` extension answers the tail request with
200 and the whole archive: :func:`open_remote_zip` then raises
:class:`RangesUnsupportedError` and closes that response unread, and callers
fall back to what the real API offers. Every body read here is bounded by what
was asked for (a longer answer is an :class:`~inductiva.errors.IntegrityError`).
"""

from __future__ import annotations

import logging

from .. import errors
from .._http._flow import Flow, Request, Stream, close, offload, open_stream, read
from . import _remote_zip
from ._output import output_request
from ._remote_zip import RemoteZip

__all__ = [
    "TAIL_BYTES",
    "RangesUnsupportedError",
    "fetch_range",
    "open_remote_zip",
    "range_request",
    "read_all",
    "read_directory",
]

logger = logging.getLogger("inductiva")

TAIL_BYTES = _remote_zip.TAIL_BYTES


class RangesUnsupportedError(errors.TransferError):
    """The server answered a byte-range request with the whole archive (200)."""


class _NeedRange(Exception):
    """Raised by the fetch handed to the directory parser: these bytes must come first."""

    def __init__(self, start: int, end: int) -> None:
        super().__init__(start, end)
        self.start, self.end = start, end


def range_request(task_id: str, start: int, end: int, etag: str | None) -> Request:
    """The request for bytes ``[start, end)`` of the archive version ``etag``."""
    return output_request(task_id, byte_range=f"bytes={start}-{end - 1}", if_range=etag or None)


def read_all(stream: Stream) -> Flow[bytes]:
    """The rest of ``stream``'s body (a small one: its bound was set when it was opened)."""
    parts = []
    while chunk := (yield from read(stream)):
        parts.append(chunk)
    return b"".join(parts)


def fetch_range(task_id: str, start: int, end: int, etag: str | None) -> Flow[bytes]:
    """Bytes ``[start, end)`` of the archive (small reads only); TransferError if it changed."""
    request = range_request(task_id, start, end, etag)
    stream = yield from open_stream(request, max_bytes=end - start)
    try:
        if stream.status_code != 206:
            raise errors.TransferError(
                f"Output archive of task {task_id} changed while reading it "
                f"(HTTP {stream.status_code} to a range request); try again."
            )
        # Gathered in place: a 300,000-member directory (30 MB) is never held twice.
        buffer = _remote_zip.RangeBuffer(start, end)
        while chunk := (yield from read(stream)):
            buffer.add(chunk)
    finally:
        yield from close(stream)
    return buffer.result()


def _tail(task_id: str) -> Flow[tuple[bytes, int, str | None]]:
    """``(tail, total, etag)`` of the archive, checked against the answer's Content-Range."""
    request = output_request(task_id, byte_range=f"bytes=-{TAIL_BYTES}")
    stream = yield from open_stream(request, max_bytes=TAIL_BYTES)
    try:
        if stream.status_code != 206:  # closed below before any of the body is read
            raise RangesUnsupportedError(
                f"The server answered a byte-range request for the output archive of task "
                f"{task_id} with HTTP {stream.status_code} (no byte-range support)."
            )
        tail = yield from read_all(stream)
    finally:
        yield from close(stream)
    first, last, total = _remote_zip.parse_content_range(stream.headers.get("Content-Range"))
    if last != total - 1 or len(tail) != last - first + 1:
        raise errors.IntegrityError("The archive tail does not match its Content-Range.")
    return tail, total, stream.headers.get("ETag")


def open_remote_zip(task_id: str) -> Flow[RemoteZip]:
    """Read the central directory of ``task_id``'s output archive (1-3 small requests)."""
    tail, total, etag = yield from _tail(task_id)
    fetched: dict[tuple[int, int], bytes] = {}

    def fetch(_task_id: str, start: int, end: int, _etag: str | None) -> bytes:
        if (start, end) not in fetched:
            raise _NeedRange(start, end)
        return fetched[start, end]

    def build() -> RemoteZip:
        return _remote_zip.build_remote_zip(task_id, tail, total, etag, fetch)

    for _ in range(4):  # the ZIP64 record, then the directory: at most two more reads
        try:
            return (yield from offload(build))
        except _NeedRange as need:
            fetched[need.start, need.end] = yield from fetch_range(
                task_id, need.start, need.end, etag
            )
    raise errors.IntegrityError("The output archive's directory could not be located.")


def read_directory(task_id: str) -> Flow[RemoteZip | None]:
    """The archive's central directory, or None if it cannot be read ahead."""
    try:
        return (yield from open_remote_zip(task_id))
    except errors.TransferError as exc:
        logger.debug("No streaming verification for task %s: %s", task_id, exc)
        return None
