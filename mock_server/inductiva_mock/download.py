"""Serving an output archive from disk: streaming, single byte ranges, If-Range."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from starlette.responses import StreamingResponse

from .faults import DownloadDropped, Stats

__all__ = ["ByteRange", "RangeNotSatisfiable", "archive_response", "parse_range"]

CHUNK = 1024 * 1024
# Byte positions beyond 19 digits (> 2**63) are absurd: answered 416, never parsed.
MAX_DIGITS = 19
_RANGE_RE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$")


class RangeNotSatisfiable(Exception):
    """The requested range lies outside the archive."""


@dataclass(frozen=True)
class ByteRange:
    """An inclusive byte range [start, end]."""

    start: int
    end: int

    @property
    def length(self) -> int:
        """Number of bytes in the range."""
        return self.end - self.start + 1


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The single range asked for, None to send everything (absent, malformed or multi-range).

    Raises RangeNotSatisfiable when the range cannot be served.
    """
    if not header:
        return None
    m = _RANGE_RE.match(header)
    if m is None:
        return None
    first, last = m.group(1), m.group(2)
    if first == "" and last == "":
        return None
    if len(first) > MAX_DIGITS or len(last) > MAX_DIGITS:  # no archive is that large
        raise RangeNotSatisfiable
    if first == "":
        n = int(last)
        if n == 0 or size == 0:
            raise RangeNotSatisfiable
        return ByteRange(max(0, size - n), size - 1)
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        raise RangeNotSatisfiable
    return ByteRange(start, min(end, size - 1))


async def _stream(
    path: Path, start: int, length: int, stats: Stats, drop_after: int | None, cap: int = 0
) -> AsyncIterator[bytes]:
    sent = 0
    began = time.monotonic()
    chunk = CHUNK if cap <= 0 else max(16 * 1024, min(CHUNK, cap // 16))
    with path.open("rb") as fh:
        fh.seek(start)
        while sent < length:
            if cap > 0:  # fault `bandwidth_per_connection`: no faster than cap bytes/s
                ahead = began + sent / cap - time.monotonic()
                if ahead > 0:
                    await asyncio.sleep(ahead)
            n = min(chunk, length - sent)
            if drop_after is not None:
                n = min(n, max(drop_after - sent, 0))
                if n == 0:
                    raise DownloadDropped(f"download of {path.name} dropped after {sent} bytes")
            data = await asyncio.to_thread(fh.read, n)
            if not data:
                break
            sent += len(data)
            stats.bytes_sent_output += len(data)
            yield data


def archive_response(
    path: Path,
    etag: str | None,
    byte_range: ByteRange | None,
    stats: Stats,
    drop_after: int | None,
    filename: str,
    cap: int = 0,
) -> StreamingResponse:
    """A 200 (whole archive) or 206 (one range) streamed in 1 MiB chunks.

    *etag* None: no byte-ranges extension (no ETag, no Accept-Ranges). *cap* > 0 limits
    the response to that many bytes a second (one response per connection at a time).
    """
    size = path.stat().st_size
    headers = {} if etag is None else {"ETag": etag, "Accept-Ranges": "bytes"}
    headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    if byte_range is None:
        start, length, status = 0, size, 200
    else:
        start, length, status = byte_range.start, byte_range.length, 206
        headers["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{size}"
    headers["Content-Length"] = str(length)
    return StreamingResponse(
        _stream(path, start, length, stats, drop_after, cap),
        status_code=status,
        headers=headers,
        media_type="application/octet-stream",
    )
