"""The input zip as a readable stream, built while it is sent (no temporary archive).

:class:`InputZip` plans the archive first (names, sizes, and for each file
whether it is deflated or stored), so its exact length is known before the
first byte goes out: httpx sends it with a ``Content-Length``. Reading it then
produces the zip on the fly, local headers, file bodies and data descriptors
gathered into pieces of about 256 KiB, and the central directory at the end,
made in pieces too; ``seek(0)`` starts over (a refused upload is sent again
from the start), and ``close()`` closes the file being read.

Planning (:class:`~inductiva._transfers._zipplan.InputPlan`) walks the tree
once (``os.scandir``, one ``stat`` a file) and reads every file once, in
worker threads (:class:`~inductiva._transfers._deflate.PackPool`): small
files are read in one call and deflated whole (ISA-L's deflate where
installed); a file is stored when it has the extension of a compressed format
or deflate does not shrink it below :data:`PROBE_RATIO`. Within
:data:`CACHE_BYTES` (records included) the deflated bytes are kept from
planning; the rest is read (and deflated) again while sending, identically
(the sizes and CRC-32 are checked: a file that changed since planning stops
the upload with a ``TransferError``).

Memory stays flat whatever the input's size or file count: the plan is a few
arrays and one buffer of names (about 50 bytes a file), not an object per file.

The layout is the era's: ``sim_dir/`` and the tree under it, then
``input.json``. ZIP64 records are written only where a size, an offset or the
entry count needs them.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path

from .. import errors
from . import _crc, _deflate
from ._deflate import PROBE_RATIO, STORED_SUFFIXES
from ._rewind import RewindOnlyReader
from ._zipplan import DIR, STORED, InputPlan

__all__ = ["CACHE_BYTES", "PROBE_RATIO", "STORED_SUFFIXES", "InputZip", "should_store"]

CACHE_BYTES = 32 * 1024 * 1024
"""Memory for the plan: the per-file records first, then bytes to send kept from planning."""
PIECE = 256 * 1024


def should_store(path: Path, size: int) -> bool:
    """Whether ``path`` goes in stored (by its extension, or a quick deflate probe)."""
    if path.suffix.lower() in STORED_SUFFIXES or size == 0:
        return True
    with path.open("rb") as fh:
        return _deflate.should_store_head(fh.read(_deflate.PROBE_BYTES))


def _deflate_file(path: str, size: int) -> Iterator[tuple[bytes, bytes]]:
    """(raw, deflated) pieces of ``path`` exactly as planning deflated it."""
    if size <= _deflate.WHOLE:
        data = _deflate.read_exact(path, size)
        yield data, _deflate.compress(data)
    else:
        yield from _deflate.deflate_chunks(path)


class InputZip(RewindOnlyReader):
    """The era's input zip of ``input_dir`` plus ``document`` (``input.json``), as a stream."""

    def __init__(self, input_dir: Path, document: bytes, prefix: str = "sim_dir") -> None:
        super().__init__()
        self._plan = InputPlan(input_dir, document, prefix, CACHE_BYTES)
        self.size = self._plan.size
        self.stored, self.deflated = self._plan.stored, self._plan.deflated
        self._chunks: Generator[bytes, None, None] | None = None
        self._piece = PIECE

    # -- producing -----------------------------------------------------------
    def _changed(self, i: int, what: str = "changed") -> errors.TransferError:
        return errors.TransferError(
            f"{self._plan.path(i)} {what} while it was being uploaded; upload again."
        )

    def _body(self, i: int) -> Iterator[bytes | memoryview]:
        """The bytes of file ``i`` as planned (from the cache, or read again)."""
        plan = self._plan
        kept, csize = plan.cached[i], plan.csizes[i]
        if kept >= 0:
            yield plan.cache.get(kept)
            return
        path, size = plan.path(i), plan.sizes[i]
        crc = sent = 0
        if plan.methods[i] == STORED:
            if size <= _deflate.WHOLE:
                data = _deflate.read_exact(path, size)
                crc, sent = _crc.crc32(data), size
                yield data
            else:
                fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
                try:
                    while sent <= size and (chunk := os.read(fd, _deflate.CHUNK)):
                        crc = _crc.crc32(chunk, crc)
                        sent += len(chunk)
                        if sent <= size:
                            yield chunk
                finally:
                    os.close(fd)
                if sent != size:
                    raise self._changed(i, "changed size")
            if plan.crcs[i] not in (-1, crc):
                raise self._changed(i)
            plan.crcs[i] = crc
            return
        for raw, packed in _deflate_file(path, size):
            crc = _crc.crc32(raw, crc)
            sent += len(packed)
            if packed:
                yield packed
        if sent != csize or crc != plan.crcs[i]:
            raise self._changed(i)

    def _produce(self) -> Generator[bytes, None, None]:
        plan, out = self._plan, bytearray()
        for i in range(len(plan)):
            out += plan.local_header(i)
            if plan.kinds[i] != DIR:
                for piece in self._body(i):
                    if len(piece) >= PIECE:
                        yield bytes(out)
                        out.clear()
                        yield bytes(piece)
                    else:
                        out += piece
            out += plan.descriptor(i)
            if len(out) >= PIECE:
                yield bytes(out)
                out.clear()
        # Stored members' CRCs are known only now.
        offset = 0
        for i in range(len(plan)):
            out += plan.central(i, offset)
            offset += plan.local_length(i)
            if len(out) >= PIECE:
                yield bytes(out)
                out.clear()
        out += plan.end_records()
        yield bytes(out)

    # -- what RewindOnlyReader asks ------------------------------------------
    def _rewind(self) -> None:
        """Produce from the start again (the file a member was being read from is closed)."""
        if self._chunks is not None:
            self._chunks.close()
        self._chunks = self._produce()
        self._buffer = memoryview(b"")
        self._pos = 0

    def _produce_next(self) -> bytes:
        if self._chunks is None or (self._pos == 0 and not self._buffer):
            self._rewind()
        assert self._chunks is not None
        for chunk in self._chunks:
            if chunk:
                return chunk
        return b""

    def close(self) -> None:
        """Stop producing (the file a member was being read from is closed); free the plan."""
        if self._chunks is not None:
            self._chunks.close()
            self._chunks = None
        self._plan.cache.close()
        super().close()
