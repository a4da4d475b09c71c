"""The input zip as a readable stream, built while it is sent (no temporary archive).

:class:`InputZip` plans the archive first (names, sizes, and for each file
whether it is deflated or stored), so its exact length is known before the
first byte goes out: httpx sends it with a ``Content-Length``. Reading it then
produces the zip on the fly, local headers, file bodies and data descriptors
gathered into pieces of about 256 KiB, and the central directory at the end,
made in pieces too; ``seek(0)`` starts over (a refused upload is sent again
from the start), and ``close()`` closes the file being read.

Planning walks the tree once (``os.scandir``, one ``stat`` a file) and reads
every file once, in worker threads on every core
(:class:`~inductiva._transfers._deflate.PackPool`): small files are read in
one call and deflated whole (ISA-L's deflate where installed); a file is
stored when it has the extension of a compressed format or deflate does not
shrink it below :data:`PROBE_RATIO`. Up to :data:`CACHE_BYTES` of what is to
be sent is kept from planning; the rest is read (and deflated) again while
sending, identically (the sizes and CRC-32 are checked: a file that changed
since planning stops the upload with a ``TransferError``).

Memory stays flat whatever the input's size or file count: the plan is a few
arrays and one buffer of names (about 50 bytes a file), not an object per file.

The layout is the era's: ``sim_dir/`` and the tree under it, then
``input.json``. ZIP64 records are written only where a size, an offset or the
entry count needs them.
"""

from __future__ import annotations

import collections
import io
import os
import struct
import time
from array import array
from collections.abc import Generator, Iterator
from pathlib import Path

from .. import errors
from . import _crc, _deflate
from ._deflate import PROBE_RATIO, STORED_SUFFIXES
from ._keep import Keep

__all__ = ["CACHE_BYTES", "PROBE_RATIO", "STORED_SUFFIXES", "InputZip", "should_store"]

CACHE_BYTES = 32 * 1024 * 1024
"""Memory for the plan: the per-file records first, then bytes to send kept from planning."""
RECORD_BYTES = 48
"""What the plan holds per member besides its name (the arrays below)."""
PIECE = 256 * 1024
_LIMIT = 0xFFFFFFFF
_DEFLATED, _STORED = 8, 0
_FILE, _DIR, _DATA = 0, 1, 2
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_DIR_ATTR = (0o40755 << 16) | 0x10
_FILE_ATTR = 0o100644 << 16


def should_store(path: Path, size: int) -> bool:
    """Whether ``path`` goes in stored (by its extension, or a quick deflate probe)."""
    if path.suffix.lower() in STORED_SUFFIXES or size == 0:
        return True
    with path.open("rb") as fh:
        return _deflate.should_store_head(fh.read(_deflate.PROBE_BYTES))


def _dos_time(mtime: float) -> int:
    """The DOS date (high 16 bits) and time (low 16 bits) of ``mtime``."""
    t = time.localtime(max(mtime, 315532800))  # the zip epoch is 1980
    dos_time = (t.tm_hour << 11) | (t.tm_min << 5) | (t.tm_sec // 2)
    dos_date = ((t.tm_year - 1980) << 9) | (t.tm_mon << 5) | t.tm_mday
    return (dos_date << 16) | dos_time


def _name(name: str) -> tuple[bytes, int]:
    try:
        return name.encode("ascii"), 0
    except UnicodeEncodeError:
        pass
    try:
        return name.encode("utf-8"), 0x800
    except UnicodeEncodeError:
        raise errors.InvalidArgumentError(
            f"The input file name {name.encode('utf-8', 'replace')!r} is not valid UTF-8; "
            "rename it (zip member names are UTF-8)."
        ) from None


def _deflate_file(path: str, size: int) -> Iterator[tuple[bytes, bytes]]:
    """(raw, deflated) pieces of ``path`` exactly as planning deflated it."""
    if size <= _deflate.WHOLE:
        data = _deflate.read_exact(path, size)
        yield data, _deflate.compress(data)
    else:
        yield from _deflate.deflate_chunks(path)


class InputZip(io.RawIOBase):
    """The era's input zip of ``input_dir`` plus ``document`` (``input.json``), as a stream."""

    def __init__(self, input_dir: Path, document: bytes, prefix: str = "sim_dir") -> None:
        super().__init__()
        self._root = os.fspath(input_dir)
        self._top = prefix + "/"
        self._prefix = len(self._top)
        self._names = bytearray()
        self._ends = array("Q")  # end of each name in _names
        self._flags = array("B")  # 1: UTF-8 name
        self._kinds = array("B")
        self._methods = array("B")
        self._stamps = array("I")  # DOS date << 16 | time
        self._sizes = array("Q")
        self._csizes = array("Q")
        self._crcs = array("q")  # -1: computed while sending (stored large files)
        self._cached = array("i")  # handle in _cache, or -1
        self._cache = Keep()
        self._owners = array("I")  # the member of each item of _cache
        self._limit = CACHE_BYTES
        self.stored = self.deflated = 0
        self._add(prefix + "/", _DIR, _dos_time(input_dir.stat().st_mtime))
        with _deflate.PackPool() as pool:
            self._add_tree(pool)
        self._add(
            "input.json", _DATA, _dos_time(time.time()), document, _deflate.compress(document)
        )
        offset = cd_size = 0
        for i in range(len(self._kinds)):
            cd_size += self._central_length(i, offset)
            offset += self._local_length(i)
        self._cd_offset, self._cd_size = offset, cd_size
        self.size = offset + self._cd_size + len(self._end_records())
        self._chunks: Generator[bytes, None, None] | None = None
        self._buffer = memoryview(b"")
        self._pos = 0

    # -- planning ------------------------------------------------------------
    def _add(
        self, name: str, kind: int, stamp: int, raw: bytes = b"", packed: bytes | None = None
    ) -> int:
        encoded, utf8 = _name(name)
        self._names += encoded
        self._ends.append(len(self._names))
        self._flags.append(1 if utf8 else 0)
        self._kinds.append(kind)
        self._stamps.append(stamp)
        self._sizes.append(len(raw))
        if packed is not None:
            self._methods.append(_DEFLATED)
            self._csizes.append(len(packed))
            self._crcs.append(_crc.crc32(raw))
            self._cached.append(self._cache.push(packed))
            self._owners.append(len(self._kinds) - 1)
        else:
            self._methods.append(_STORED)
            self._csizes.append(0)
            self._crcs.append(0)
            self._cached.append(-1)
        return len(self._kinds) - 1

    def _add_tree(self, pool: _deflate.PackPool) -> None:
        """Every file and empty directory under the input, in the era's order."""
        files: collections.deque[int] = collections.deque()  # waiting for pack results
        pending = [self._root]
        last_mtime, stamp = -1, 0
        while pending:
            top = pending.pop()
            try:
                with os.scandir(top) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError:
                continue  # as os.walk: an unreadable directory is skipped
            subdirs, has_files = [], False
            for entry in entries:
                if entry.is_dir():
                    subdirs.append(entry)
                    continue
                has_files = True
                path = entry.path
                st = entry.stat()
                mtime = int(st.st_mtime)
                if mtime != last_mtime:
                    last_mtime, stamp = mtime, _dos_time(mtime)
                index = self._add(self._member(path), _FILE, stamp)
                self._sizes[index] = st.st_size
                files.append(index)
                for packed in pool.add(path, st.st_size):
                    self._take(files, packed)
            if top != self._root and not has_files and not subdirs:
                self._add(self._member(top) + "/", _DIR, _dos_time(os.stat(top).st_mtime))
            pending.extend(e.path for e in reversed(subdirs) if not e.is_symlink())
        for packed in pool.finish():
            self._take(files, packed)

    def _member(self, path: str) -> str:
        if os.sep == "/":
            return self._top + path[len(self._root) :].lstrip("/")
        return self._top + os.path.relpath(path, self._root).replace(os.sep, "/")

    def _take(self, files: collections.deque[int], packed: _deflate.Packed) -> None:
        """Record the pack result of the oldest file still waiting for one."""
        index = files.popleft()
        method, crc, csize, data = packed
        self._methods[index] = method
        self._crcs[index] = crc
        self._csizes[index] = csize
        if method == _STORED:
            self.stored += 1
        else:
            self.deflated += 1
        room = self._limit - RECORD_BYTES * len(self._kinds) - len(self._names)
        if data is not None and self._cache.size + len(data) <= room:
            self._cached[index] = self._cache.push(data)
            self._owners.append(index)
        # The records grow with every file: what they need is taken from the cache.
        while self._cache.size > room and len(self._cache):
            self._cache.pop()
            self._cached[self._owners.pop()] = -1

    # -- records -------------------------------------------------------------
    def _raw_name(self, i: int) -> bytes:
        return bytes(self._names[self._ends[i - 1] if i else 0 : self._ends[i]])

    def _zip64(self, i: int) -> bool:
        return self._sizes[i] >= _LIMIT or self._csizes[i] >= _LIMIT

    def _local_length(self, i: int) -> int:
        name = self._ends[i] - (self._ends[i - 1] if i else 0)
        body = self._csizes[i] if self._kinds[i] != _DIR else 0
        return 30 + name + (44 if self._zip64(i) else 16) + body

    def _central_fields(self, i: int, offset: int) -> list[int]:
        fields = []
        if self._sizes[i] >= _LIMIT:
            fields.append(self._sizes[i])
        if self._csizes[i] >= _LIMIT:
            fields.append(self._csizes[i])
        if offset >= _LIMIT:
            fields.append(offset)
        return fields

    def _central_length(self, i: int, offset: int) -> int:
        name = self._ends[i] - (self._ends[i - 1] if i else 0)
        fields = self._central_fields(i, offset)
        return 46 + name + (4 + 8 * len(fields) if fields else 0)

    def _local_header(self, i: int) -> bytes:
        name = self._raw_name(i)
        extra, sizes, version = b"", (0, 0), 20
        if self._zip64(i):
            extra, sizes, version = struct.pack("<HHQQ", 1, 16, 0, 0), (_LIMIT, _LIMIT), 45
        stamp = self._stamps[i]
        flags = (0x800 if self._flags[i] else 0) | 0x08
        return (
            _LOCAL.pack(
                0x04034B50,
                version,
                flags,
                self._methods[i],
                stamp & 0xFFFF,
                stamp >> 16,
                0,
                *sizes,
                len(name),
                len(extra),
            )
            + name
            + extra
        )

    def _descriptor(self, i: int) -> bytes:
        crc, csize, size = max(self._crcs[i], 0), self._csizes[i], self._sizes[i]
        if self._kinds[i] == _DIR:
            csize = size = 0
        if self._zip64(i):
            return struct.pack("<IIQQ", 0x08074B50, crc, csize, size)
        return struct.pack("<IIII", 0x08074B50, crc, csize, size)

    def _central(self, i: int, offset: int) -> bytes:
        name = self._raw_name(i)
        fields = self._central_fields(i, offset)
        extra = struct.pack(f"<HH{len(fields)}Q", 1, 8 * len(fields), *fields) if fields else b""
        version = 45 if fields else 20
        stamp = self._stamps[i]
        size, csize = self._sizes[i], self._csizes[i]
        if self._kinds[i] == _DIR:
            size = csize = 0
        return (
            _CENTRAL.pack(
                0x02014B50,
                (3 << 8) | version,
                version,
                (0x800 if self._flags[i] else 0) | 0x08,
                self._methods[i],
                stamp & 0xFFFF,
                stamp >> 16,
                max(self._crcs[i], 0),
                min(csize, _LIMIT),
                min(size, _LIMIT),
                len(name),
                len(extra),
                0,
                0,
                0,
                _DIR_ATTR if self._kinds[i] == _DIR else _FILE_ATTR,
                min(offset, _LIMIT),
            )
            + name
            + extra
        )

    def _end_records(self) -> bytes:
        count, cd_size, cd_offset = len(self._kinds), self._cd_size, self._cd_offset
        records = b""
        if count >= 0xFFFF or cd_size >= _LIMIT or cd_offset >= _LIMIT:
            zip64_end = cd_offset + cd_size
            records += struct.pack(
                "<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, cd_size, cd_offset
            )
            records += struct.pack("<IIQI", 0x07064B50, 0, zip64_end, 1)
            count, cd_size, cd_offset = (
                min(count, 0xFFFF),
                min(cd_size, _LIMIT),
                min(cd_offset, _LIMIT),
            )
        return records + struct.pack(
            "<IHHHHIIH", 0x06054B50, 0, 0, count, count, cd_size, cd_offset, 0
        )

    # -- producing -----------------------------------------------------------
    def _path(self, i: int) -> str:
        rel = self._raw_name(i)[self._prefix :].decode("utf-8")
        return os.path.join(self._root, rel)

    def _changed(self, i: int, what: str = "changed") -> errors.TransferError:
        return errors.TransferError(
            f"{self._path(i)} {what} while it was being uploaded; upload again."
        )

    def _body(self, i: int) -> Iterator[bytes | memoryview]:
        """The bytes of file ``i`` as planned (from the cache, or read again)."""
        kept, csize = self._cached[i], self._csizes[i]
        if kept >= 0:
            yield self._cache.get(kept)
            return
        path, size = self._path(i), self._sizes[i]
        crc = sent = 0
        if self._methods[i] == _STORED:
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
            if self._crcs[i] not in (-1, crc):
                raise self._changed(i)
            self._crcs[i] = crc
            return
        for raw, packed in _deflate_file(path, size):
            crc = _crc.crc32(raw, crc)
            sent += len(packed)
            if packed:
                yield packed
        if sent != csize or crc != self._crcs[i]:
            raise self._changed(i)

    def _produce(self) -> Generator[bytes, None, None]:
        out = bytearray()
        for i in range(len(self._kinds)):
            out += self._local_header(i)
            if self._kinds[i] != _DIR:
                for piece in self._body(i):
                    if len(piece) >= PIECE:
                        yield bytes(out)
                        out.clear()
                        yield bytes(piece)
                    else:
                        out += piece
            out += self._descriptor(i)
            if len(out) >= PIECE:
                yield bytes(out)
                out.clear()
        # Stored members' CRCs are known only now.
        offset = 0
        for i in range(len(self._kinds)):
            out += self._central(i, offset)
            offset += self._local_length(i)
            if len(out) >= PIECE:
                yield bytes(out)
                out.clear()
        out += self._end_records()
        yield bytes(out)

    # -- the file-object protocol httpx reads --------------------------------
    def readable(self) -> bool:
        """Always readable."""
        return True

    def seekable(self) -> bool:
        """Seekable to the start (to send again) and to the end (to learn the length)."""
        return True

    def tell(self) -> int:
        """Bytes produced so far."""
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Only the start (restart) or the end (the length, for Content-Length)."""
        if whence == os.SEEK_END and offset == 0:
            return self.size
        if whence == os.SEEK_SET and offset == self._pos:
            return self._pos
        if whence == os.SEEK_SET and offset == 0:
            self._restart()
            return 0
        raise io.UnsupportedOperation("the input zip can only be rewound to its start")

    def _restart(self) -> None:
        """Produce from the start again (the file a member was being read from is closed)."""
        if self._chunks is not None:
            self._chunks.close()
        self._chunks = self._produce()
        self._buffer = memoryview(b"")
        self._pos = 0

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes of the zip (the rest when ``size`` is negative)."""
        if self.closed:
            raise ValueError("I/O operation on closed file.")
        if self._chunks is None or (self._pos == 0 and not self._buffer):
            self._restart()
        assert self._chunks is not None
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(PIECE), b""))
        while not self._buffer:
            chunk = next(self._chunks, None)
            if chunk is None:
                return b""
            self._buffer = memoryview(chunk)
        data = bytes(self._buffer[:size])
        self._buffer = self._buffer[len(data) :]
        self._pos += len(data)
        return data

    def close(self) -> None:
        """Stop producing (the file a member was being read from is closed); free the plan."""
        if self._chunks is not None:
            self._chunks.close()
            self._chunks = None
        self._cache.close()
        super().close()

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Read into ``buffer``."""
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
