"""Deflating input files for the upload zip: ISA-L's deflate when installed, on every core.

The level: ISA-L (the ``isal`` package) at its level 3 deflates text about five
times faster than zlib at level 6, for output about 8% larger (an OpenFOAM
case: 29% of its size against 27%). zlib's level 6 is used where ISA-L has no
wheel. The output of either is a raw deflate stream any unzip reads, and it is
deterministic: a member deflated again while sending (when planning could not
keep its bytes) comes out identical, and is checked to.

:func:`pack` reads one file and decides how it goes in: stored (the extension
of a compressed format, an empty file, or deflate does not shrink it below
:data:`PROBE_RATIO`) or deflated. Files up to :data:`WHOLE` bytes are read in
one ``os.read`` and deflated in one call; larger ones are first probed (their
first 64 KiB at the fastest level) and then deflated in 1 MiB steps.
:class:`PackPool` runs :func:`pack` over batches of files in
:func:`workers` threads (zlib and ISA-L release the GIL while they compress):
one per core idle when the work starts (on Linux, the running count of
``/proc/loadavg``), none on a machine whose cores are busy (threads would only
add switching there). Results come back in order, with at most a few batches
in flight so memory stays flat.
"""

from __future__ import annotations

import collections
import os
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from .. import errors
from . import _crc

__all__ = [
    "IMPLEMENTATION",
    "LEVEL",
    "PROBE_RATIO",
    "STORED_SUFFIXES",
    "WHOLE",
    "PackPool",
    "Packed",
    "compress",
    "deflate_chunks",
    "pack",
    "read_exact",
    "should_store_head",
    "workers",
]

try:
    from isal import isal_zlib as _isal
except ImportError:  # no wheel for this platform: the standard library's
    _isal = None  # type: ignore[assignment]

IMPLEMENTATION = "zlib" if _isal is None else "isal"
LEVEL = 6 if _isal is None else 3
"""Deflate level: ISA-L's 3 (its best), or zlib's 6 (its default) without ISA-L."""
PROBE_LEVEL = 1 if _isal is None else 0
PROBE_BYTES = 64 * 1024
PROBE_RATIO = 0.9
"""A file whose deflated size is more than this share of its size is stored."""
WHOLE = 1024 * 1024
"""Files up to this size are read and deflated in one step."""
CHUNK = 1024 * 1024
KEEP_LARGE = 4 * 1024 * 1024
"""A large file's deflated bytes are handed back for the cache up to this size."""
BATCH_FILES = 128
BATCH_BYTES = 2 * 1024 * 1024

STORED_SUFFIXES = frozenset(
    [
        *(".zip", ".gz", ".tgz", ".bz2", ".xz", ".txz", ".zst", ".lz4", ".lzma", ".7z"),
        *(".rar", ".br", ".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".avif"),
        *(".mp3", ".mp4", ".m4a", ".m4v", ".mkv", ".mov", ".avi", ".webm", ".ogg", ".oga"),
        *(".ogv", ".flac", ".opus", ".npz", ".xtc", ".trr", ".dcd", ".sz", ".jar", ".whl"),
        *(".apk", ".docx", ".xlsx", ".pptx", ".odt", ".ods", ".epub"),
    ]
)
"""Extensions of formats that are already compressed."""

_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)

Packed = tuple[int, int, int, bytes | None]
"""``(method, crc, compressed size, deflated bytes or None)``: method 0 stored, 8 deflated.

Stored files are read again while sending (a file changed since planning is caught then)."""


def compress(data: bytes | memoryview) -> bytes:
    """``data`` as one raw deflate stream at :data:`LEVEL`."""
    if _isal is not None:
        return _isal.compress(data, LEVEL, wbits=-15)
    packer = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def _compressor() -> Any:
    if _isal is not None:
        return _isal.compressobj(LEVEL, _isal.DEFLATED, -15)
    return zlib.compressobj(LEVEL, zlib.DEFLATED, -15)


def should_store_head(head: bytes) -> bool:
    """Whether a file starting with ``head`` does not compress (a quick deflate probe)."""
    if not head:
        return True
    if _isal is not None:
        packed = len(_isal.compress(head, PROBE_LEVEL, wbits=-15))
    else:
        packed = len(zlib.compress(head, PROBE_LEVEL))
    return packed > PROBE_RATIO * len(head)


def stored_by_name(path: str) -> bool:
    """Whether ``path`` has the extension of a compressed format."""
    dot = path.rfind(".")
    return dot > max(path.rfind("/"), path.rfind(os.sep)) and (
        path[dot:].lower() in STORED_SUFFIXES
    )


def read_exact(path: str, size: int) -> bytes:
    """All of ``path``, which must hold ``size`` bytes (TransferError if it changed)."""
    fd = os.open(path, _READ_FLAGS)
    try:
        data = os.read(fd, size + 1)
        while len(data) <= size and (more := os.read(fd, size + 1 - len(data))):
            data += more
    finally:
        os.close(fd)
    if len(data) != size:
        raise errors.TransferError(
            f"{path} changed size while it was being uploaded; upload again."
        )
    return data


def deflate_chunks(path: str) -> Iterator[tuple[bytes, bytes]]:
    """(raw chunk, deflated bytes) pairs of a large file, in :data:`CHUNK` steps."""
    packer = _compressor()
    fd = os.open(path, _READ_FLAGS)
    try:
        while chunk := os.read(fd, CHUNK):
            yield chunk, packer.compress(chunk)
    finally:
        os.close(fd)
    yield b"", packer.flush()


def pack(path: str, size: int) -> Packed:
    """How ``path`` (``size`` bytes at planning) goes into the zip, and its bytes if small."""
    if size == 0:
        read_exact(path, 0)
        return 0, 0, 0, None
    if size <= WHOLE:
        data = read_exact(path, size)
        crc = _crc.crc32(data)
        if not stored_by_name(path):
            packed = compress(data)
            if len(packed) <= PROBE_RATIO * size:
                return 8, crc, len(packed), packed
        return 0, crc, size, None  # read again while sending: a change is caught then
    if stored_by_name(path):
        return 0, -1, size, None  # its CRC-32 is computed while it is sent
    fd = os.open(path, _READ_FLAGS)
    try:
        head = os.read(fd, PROBE_BYTES)
    finally:
        os.close(fd)
    if should_store_head(head):
        return 0, -1, size, None
    crc = csize = seen = 0
    parts: list[bytes] | None = []
    for chunk, packed in deflate_chunks(path):
        crc = _crc.crc32(chunk, crc)
        seen += len(chunk)
        csize += len(packed)
        if parts is not None:
            parts.append(packed)
            if csize > KEEP_LARGE:
                parts = None
    if seen != size:
        raise errors.TransferError(
            f"{path} changed size while it was being uploaded; upload again."
        )
    if csize > PROBE_RATIO * size:
        return 0, -1, size, None
    return 8, crc, csize, None if parts is None else b"".join(parts)


def _busy_elsewhere() -> int:
    """Threads of other processes running right now (Linux), else 0 (unknown)."""
    try:
        with open("/proc/loadavg", "rb") as fh:
            running = int(fh.read().split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        return 0
    return max(0, running - 1)  # this thread is one of them


def workers() -> int:
    """Threads to spend: the cores this process may use that are idle right now.

    On a machine whose cores are taken by other work, extra threads only add
    switching: the work then runs in the calling thread (1).
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores - _busy_elsewhere(), 8))


def _pack_batch(batch: Sequence[tuple[str, int]]) -> list[Packed]:
    return [pack(path, size) for path, size in batch]


class PackPool:
    """Packs files in worker threads, batch by batch; results come back in order.

    ``add(path, size)`` queues a file; :meth:`results` yields ``(packed, ...)``
    for the files added so far whose batches are done, oldest first. At most
    ``2 * threads`` batches are in flight.
    """

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads or workers()
        self._pool: ThreadPoolExecutor | None = None
        self._batch: list[tuple[str, int]] = []
        self._bytes = 0
        self._flight: collections.deque[Future[list[Packed]]] = collections.deque()

    def __enter__(self) -> PackPool:
        if self.threads > 1:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="inductiva-deflate")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            for future in self._flight:
                future.cancel()
            self._pool.shutdown(wait=True)

    def add(self, path: str, size: int) -> Iterator[Packed]:
        """Queue a file; yield the results of batches that are complete."""
        self._batch.append((path, size))
        self._bytes += min(size, WHOLE)
        if len(self._batch) >= BATCH_FILES or self._bytes >= BATCH_BYTES:
            yield from self._submit()

    def _submit(self) -> Iterator[Packed]:
        batch, self._batch, self._bytes = self._batch, [], 0
        if not batch:
            return
        if self._pool is None:
            yield from _pack_batch(batch)
            return
        self._flight.append(self._pool.submit(_pack_batch, batch))
        while len(self._flight) > 2 * self.threads or (self._flight and self._flight[0].done()):
            yield from self._flight.popleft().result()

    def finish(self) -> Iterator[Packed]:
        """The results of every file still queued or in flight."""
        yield from self._submit()
        while self._flight:
            yield from self._flight.popleft().result()
