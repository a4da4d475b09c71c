"""Decoding zip members from a byte stream, and verifying an archive as it downloads.

:func:`read_member` parses a member's local header at the stream position and
feeds its decompressed bytes (stored or deflate) to a sink that checks size and
CRC-32 (:class:`CrcSink`, or :class:`inductiva._transfers._extract.MemberWriter`, which
also writes them). :class:`StreamVerifier` checks a whole archive as its bytes
are pushed in by the download, so verification needs no second pass over the
file.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from .. import errors
from .._validate import printable
from . import _crc
from ._cdir import CentralDirectory, MemberEntry

__all__ = [
    "CrcSink",
    "Feed",
    "StreamVerifier",
    "check_supported",
    "finish_inflate",
    "inflate_bounded",
    "read_member",
]

_LOCAL = struct.Struct("<4s5H3L2H")
_LOCAL_SIG = b"PK\x03\x04"
_METHODS = {0: "stored", 8: "deflate"}
_READ = 1024 * 1024
OUT_CHUNK = 1024 * 1024
"""Most bytes one decompression step may produce: memory stays bounded whatever the ratio."""


def inflate_bounded(inflate: Any, data: bytes | memoryview, sink: Sink) -> None:
    """Decompress ``data`` into ``sink`` at most :data:`OUT_CHUNK` bytes at a time.

    A deflate stream can expand a thousandfold: a 1 MiB chunk may hold 1 GiB.
    ``max_length`` bounds every step; the sink stops a member at its declared size.
    """
    buf: bytes | memoryview = data
    while True:
        out = inflate.decompress(buf, OUT_CHUNK)
        if out:
            sink.write(out)
        buf = inflate.unconsumed_tail
        if not buf and len(out) < OUT_CHUNK:
            return


def finish_inflate(inflate: Any, sink: Sink) -> None:
    """Drain what ``inflate`` still holds (bounded too), then flush its last bytes."""
    inflate_bounded(inflate, b"", sink)
    rest = inflate.flush()
    if rest:
        sink.write(rest)


class Sink(Protocol):
    """Where a member's decompressed bytes go."""

    def write(self, data: bytes | memoryview) -> None: ...
    def finish(self) -> None: ...


class Feed:
    """Sequential reads over an iterator of chunks, tracking the archive offset."""

    def __init__(self, chunks: Iterator[bytes], offset: int) -> None:
        self._chunks = chunks
        self._buf = memoryview(b"")
        self.offset = offset

    def take(self, n: int) -> Iterator[bytes | memoryview]:
        """Yield the next ``n`` bytes in pieces; IntegrityError if the stream ends first."""
        while n > 0:
            if not self._buf:
                chunk = next(self._chunks, None)
                if chunk is None:
                    raise errors.IntegrityError("The archive data ended early.")
                self._buf = memoryview(chunk)
            piece, self._buf = self._buf[:n], self._buf[n:]
            n -= len(piece)
            self.offset += len(piece)
            yield piece

    def read(self, n: int) -> bytes:
        """The next ``n`` bytes."""
        return b"".join(self.take(n))

    def skip_to(self, offset: int) -> None:
        """Discard bytes up to archive ``offset``."""
        if offset < self.offset:
            raise errors.IntegrityError("Archive members overlap.")
        for _ in self.take(offset - self.offset):
            pass

    def drain(self) -> None:
        """Consume whatever is left."""
        for _ in self._chunks:
            pass


class CrcSink:
    """Checks a member's size and CRC-32 without keeping its bytes."""

    def __init__(self, name: str, size: int, crc: int) -> None:
        self.name, self.size, self.crc = name, size, crc
        self._seen, self._crc = 0, 0

    def write(self, data: bytes | memoryview) -> None:
        """Account for ``data``; IntegrityError as soon as it passes the declared size."""
        if self._seen + len(data) > self.size:
            raise errors.IntegrityError(
                f"Output file {printable(repr(self.name))} in the archive is corrupt or "
                f"hostile: it holds more than the {self.size} bytes it declares."
            )
        self._crc = _crc.crc32(data, self._crc)
        self._seen += len(data)

    def finish(self) -> None:
        """IntegrityError if the size or CRC-32 is wrong."""
        if self._seen != self.size or self._crc != self.crc:
            raise errors.IntegrityError(
                f"Output file {self.name!r} in the archive is corrupt: got {self._seen} bytes "
                f"with CRC-32 {self._crc:08x}, expected {self.size} with {self.crc:08x}."
            )


def check_supported(entries: Sequence[MemberEntry]) -> None:
    """TransferError for encrypted members or compression methods other than stored/deflate."""
    if isinstance(entries, CentralDirectory):  # only the offending entries are made
        bad = (r[0] for r in entries.records() if r[2] & 0x1 or r[3] not in _METHODS)
        entries = [entries.entry(i) for i in bad]
    for entry in entries:
        if entry.flags & 0x1:
            raise errors.TransferError(f"Output file {entry.name!r} is encrypted; cannot extract.")
        if entry.method not in _METHODS:
            raise errors.TransferError(
                f"Output file {entry.name!r} uses zip compression method {entry.method}; "
                "only stored and deflate are supported. Download the whole archive instead."
            )


def read_member(feed: Feed, entry: MemberEntry, sink: Sink) -> None:
    """Decode the member starting at the feed's position into ``sink``, then ``finish`` it."""
    fields = _LOCAL.unpack(feed.read(_LOCAL.size))
    if fields[0] != _LOCAL_SIG:
        raise errors.IntegrityError(f"Bad local header for {entry.name!r} in the output archive.")
    feed.skip_to(feed.offset + fields[9] + fields[10])  # name and extra field
    inflate = zlib.decompressobj(-15) if entry.method == 8 else None
    try:
        for piece in feed.take(entry.compress_size):
            if inflate:
                inflate_bounded(inflate, piece, sink)
            else:
                sink.write(piece)
        if inflate:
            finish_inflate(inflate, sink)
    except zlib.error as exc:
        raise errors.IntegrityError(f"Output file {entry.name!r} is corrupt: {exc}") from exc
    sink.finish()


class StreamVerifier:
    """Checks every member of an archive as its bytes are pushed in, in order.

    A small state machine (seek to a local header, parse it, skip name and
    extra field, check the data) costs a few steps per chunk on top of the
    CRC-32 itself, so it runs inline with the download. The first
    ``prefix_len`` bytes are read back from ``prefix`` (a resumed ``.part``).
    """

    def __init__(self, entries: Sequence[MemberEntry], prefix: Path, prefix_len: int) -> None:
        table = entries if isinstance(entries, CentralDirectory) else CentralDirectory.of(entries)
        check_supported(table)
        self._table = table
        self._order = table.by_offset()  # entries are made one at a time, as reached
        self._count = len(table)
        self._current: MemberEntry | None = None
        self._index = 0
        self.offset = 0
        self._state = "seek"
        self._need = 0
        self._header = bytearray()
        self._sink: CrcSink | None = None
        self._inflate: Any = None
        if prefix_len:
            with prefix.open("rb") as fh:
                left = prefix_len
                while left > 0 and (data := fh.read(min(_READ, left))):
                    left -= len(data)
                    self.feed(data)

    def _start(self, state: str, need: int) -> None:
        self._state, self._need = state, need

    def _entry(self) -> MemberEntry:
        if self._current is None:
            self._current = self._table.entry(self._order[self._index])
        return self._current

    def _step(self, view: memoryview) -> int:
        """Consume a prefix of ``view``; return how many bytes were used."""
        if self._index >= self._count:
            return len(view)
        entry = self._entry()
        if self._state == "seek":
            gap = entry.header_offset - self.offset
            if gap < 0:
                raise errors.IntegrityError("Archive members overlap.")
            if gap == 0:
                self._header.clear()
                self._start("header", _LOCAL.size)
            return min(gap, len(view))
        used = min(self._need, len(view))
        self._need -= used
        if self._state == "header":
            self._header += view[:used]
            if not self._need:
                fields = _LOCAL.unpack(bytes(self._header))
                if fields[0] != _LOCAL_SIG:
                    raise errors.IntegrityError(
                        f"Bad local header for {entry.name!r} in the output archive."
                    )
                self._start("names", fields[9] + fields[10])
        elif self._state == "names":
            if not self._need:
                self._sink = CrcSink(entry.name, entry.file_size, entry.crc)
                self._inflate = zlib.decompressobj(-15) if entry.method == 8 else None
                self._start("data", entry.compress_size)
        else:
            self._data(entry, view[:used])
        return used

    def _data(self, entry: MemberEntry, piece: memoryview) -> None:
        assert self._sink is not None
        try:
            if self._inflate:
                inflate_bounded(self._inflate, piece, self._sink)
            else:
                self._sink.write(piece)
            if not self._need:
                if self._inflate:
                    finish_inflate(self._inflate, self._sink)
                self._sink.finish()
                self._index += 1
                self._current = None
                self._state = "seek"
        except zlib.error as exc:
            raise errors.IntegrityError(f"Output file {entry.name!r} is corrupt: {exc}") from exc

    def feed(self, chunk: bytes) -> None:
        """Check the next bytes of the archive; IntegrityError as soon as a member is wrong."""
        view = memoryview(chunk)
        while view:
            used = self._step(view)
            self.offset += used
            view = view[used:]
        while self._index < self._count and self._state != "seek" and not self._need:
            self._step(view)  # zero-length members complete without more bytes

    def close(self) -> None:
        """IntegrityError unless every member was seen and checked."""
        self.feed(b"")
        if self._index < self._count:
            name = self._entry().name
            raise errors.IntegrityError(
                f"The archive ended before output file {name!r} was complete."
            )

    def abandon(self) -> None:
        """Stop checking (the download failed or the archive changed)."""
        self._index = self._count
