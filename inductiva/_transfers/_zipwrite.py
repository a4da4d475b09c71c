"""The input zip as a readable stream, built while it is sent (no temporary archive).

:class:`InputZip` plans the archive first (names, sizes, and for each file
whether it is deflated or stored), so its exact length is known before the
first byte goes out: httpx sends it with a ``Content-Length``. Reading it then
produces the zip on the fly, one local header, file body and data descriptor
after another, and the central directory at the end; ``seek(0)`` starts over
(a refused upload is sent again from the start), and ``close()`` closes the
file being read.

Files that do not compress are *stored*: those with the extension of a
compressed format (:data:`STORED_SUFFIXES`), and those whose first 64 KiB do
not shrink by :data:`PROBE_RATIO` at deflate level 1. The others are deflated
(level 6) during planning to learn their compressed size; up to
:data:`CACHE_BYTES` of compressed data is kept for sending, the rest is
deflated again while sending (zlib is deterministic, and the sizes are checked).
Memory stays flat whatever the input's size. A file that changes size between
planning and sending stops the upload with a ``TransferError``.

The layout is the era's: ``sim_dir/`` and the tree under it, then
``input.json``. ZIP64 records are written only where a size, an offset or the
entry count needs them.
"""

from __future__ import annotations

import io
import os
import struct
import time
import zlib
from collections.abc import Generator, Iterator
from pathlib import Path

import attrs

from .. import errors
from . import _crc

__all__ = ["CACHE_BYTES", "PROBE_RATIO", "STORED_SUFFIXES", "InputZip", "should_store"]

STORED_SUFFIXES = frozenset(
    [
        ".zip",
        ".gz",
        ".tgz",
        ".bz2",
        ".xz",
        ".txz",
        ".zst",
        ".lz4",
        ".lzma",
        ".7z",
        ".rar",
        ".br",
        ".jpg",
        ".jpeg",
        ".png",
        ".gif",
        ".webp",
        ".heic",
        ".avif",
        ".mp3",
        ".mp4",
        ".m4a",
        ".m4v",
        ".mkv",
        ".mov",
        ".avi",
        ".webm",
        ".ogg",
        ".oga",
        ".ogv",
        ".flac",
        ".opus",
        ".npz",
        ".xtc",
        ".trr",
        ".dcd",
        ".sz",
        ".jar",
        ".whl",
        ".apk",
        ".docx",
        ".xlsx",
        ".pptx",
        ".odt",
        ".ods",
        ".epub",
    ]
)
"""Extensions of formats that are already compressed."""
PROBE_BYTES = 64 * 1024
PROBE_RATIO = 0.9
"""A file whose first 64 KiB deflate (level 1) to more than this share is stored."""
CACHE_BYTES = 32 * 1024 * 1024
"""Compressed bytes kept from planning for sending, across all files."""
LEVEL = 6
CHUNK = 1024 * 1024
_LIMIT = 0xFFFFFFFF
_DEFLATED, _STORED = 8, 0


def should_store(path: Path, size: int) -> bool:
    """Whether ``path`` goes in stored (by its extension, or a quick deflate probe)."""
    if path.suffix.lower() in STORED_SUFFIXES:
        return True
    if size == 0:
        return True
    with path.open("rb") as fh:
        head = fh.read(PROBE_BYTES)
    packed = zlib.compress(head, 1)
    return len(packed) > PROBE_RATIO * len(head)


def _dos_time(mtime: float) -> tuple[int, int]:
    t = time.localtime(max(mtime, 315532800))  # the zip epoch is 1980
    return (t.tm_hour << 11) | (t.tm_min << 5) | (t.tm_sec // 2), (
        ((t.tm_year - 1980) << 9) | (t.tm_mon << 5) | t.tm_mday
    )


@attrs.define
class _Member:
    name: bytes
    flags: int
    time: int
    date: int
    method: int = _STORED
    size: int = 0  # uncompressed
    csize: int = 0
    crc: int = 0
    path: Path | None = None
    data: bytes | None = None  # the member's bytes as written (cached or literal)
    offset: int = 0
    external: int = 0o100644 << 16

    @property
    def zip64(self) -> bool:
        return self.size >= _LIMIT or self.csize >= _LIMIT

    def local_header(self) -> bytes:
        extra = b""
        sizes = (0, 0)
        version = 20
        if self.zip64:
            extra = struct.pack("<HHQQ", 1, 16, 0, 0)
            sizes = (_LIMIT, _LIMIT)
            version = 45
        return (
            struct.pack(
                "<IHHHHHIIIHH",
                0x04034B50,
                version,
                self.flags | 0x08,
                self.method,
                self.time,
                self.date,
                0,
                *sizes,
                len(self.name),
                len(extra),
            )
            + self.name
            + extra
        )

    def descriptor(self) -> bytes:
        if self.zip64:
            return struct.pack("<IIQQ", 0x08074B50, self.crc, self.csize, self.size)
        return struct.pack("<IIII", 0x08074B50, self.crc, self.csize, self.size)

    def local_length(self) -> int:
        return (
            30
            + len(self.name)
            + (20 if self.zip64 else 0)
            + self.csize
            + (24 if self.zip64 else 16)
        )

    def central(self) -> bytes:
        fields: list[int] = []
        size, csize, offset = self.size, self.csize, self.offset
        if size >= _LIMIT:
            fields.append(size)
            size = _LIMIT
        if csize >= _LIMIT:
            fields.append(csize)
            csize = _LIMIT
        if offset >= _LIMIT:
            fields.append(offset)
            offset = _LIMIT
        extra = struct.pack(f"<HH{len(fields)}Q", 1, 8 * len(fields), *fields) if fields else b""
        version = 45 if fields else 20
        return (
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                (3 << 8) | version,
                version,
                self.flags | 0x08,
                self.method,
                self.time,
                self.date,
                max(self.crc, 0),
                csize,
                size,
                len(self.name),
                len(extra),
                0,
                0,
                0,
                self.external,
                offset,
            )
            + self.name
            + extra
        )


def _deflate(path: Path) -> Iterator[tuple[bytes, bytes]]:
    """(raw chunk, compressed bytes) pairs of ``path``, raw deflate at :data:`LEVEL`."""
    packer = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            yield chunk, packer.compress(chunk)
    yield b"", packer.flush()


class InputZip(io.RawIOBase):
    """The era's input zip of ``input_dir`` plus ``document`` (``input.json``), as a stream."""

    def __init__(self, input_dir: Path, document: bytes, prefix: str = "sim_dir") -> None:
        super().__init__()
        self._members: list[_Member] = []
        self._cached = 0
        self._add_dir(input_dir, prefix + "/")
        self._add_tree(input_dir, prefix)
        self._add_bytes("input.json", document)
        offset = 0
        for m in self._members:
            m.offset = offset
            offset += m.local_length()
        self._cd_offset = offset
        self._cd = b"".join(m.central() for m in self._members)
        self._end = self._end_records()
        self.size = offset + len(self._cd) + len(self._end)
        self.stored = sum(1 for m in self._members if m.path and m.method == _STORED)
        self.deflated = sum(1 for m in self._members if m.path and m.method == _DEFLATED)
        self._chunks: Generator[bytes, None, None] | None = None
        self._buffer = memoryview(b"")
        self._pos = 0

    # -- planning ------------------------------------------------------------
    @staticmethod
    def _name(name: str) -> tuple[bytes, int]:
        try:
            return name.encode("ascii"), 0
        except UnicodeEncodeError:
            return name.encode("utf-8"), 0x800

    def _add_dir(self, path: Path, name: str) -> None:
        raw, flags = self._name(name)
        t, d = _dos_time(path.stat().st_mtime)
        m = _Member(raw, flags, t, d, data=b"", external=(0o40755 << 16) | 0x10)
        self._members.append(m)

    def _add_bytes(self, name: str, data: bytes) -> None:
        raw, flags = self._name(name)
        t, d = _dos_time(time.time())
        packed = zlib.compress(data, LEVEL)[2:-4]
        m = _Member(raw, flags, t, d, _DEFLATED, len(data), len(packed), _crc.crc32(data))
        m.data = packed
        self._members.append(m)

    def _add_tree(self, src: Path, prefix: str) -> None:
        for root, dirs, files in os.walk(src):
            dirs.sort()
            root_path = Path(root)
            rel_root = Path(prefix, root_path.relative_to(src))
            if root_path != src and not files and not dirs:
                self._add_dir(root_path, rel_root.as_posix() + "/")
            for name in sorted(files):
                self._add_file(root_path / name, (rel_root / name).as_posix())

    def _add_file(self, path: Path, name: str) -> None:
        raw, flags = self._name(name)
        st = path.stat()
        t, d = _dos_time(st.st_mtime)
        m = _Member(raw, flags, t, d, size=st.st_size, path=path)
        if should_store(path, st.st_size):
            m.method, m.csize = _STORED, st.st_size
            m.crc = -1  # known once sent
        else:
            crc, csize, parts = 0, 0, []
            keep = True
            for chunk, packed in _deflate(path):
                crc = _crc.crc32(chunk, crc)
                csize += len(packed)
                if keep:
                    parts.append(packed)
                    keep = self._cached + csize <= CACHE_BYTES
                    if not keep:
                        parts = []
            if csize >= st.st_size:  # deflate did not help after all
                m.method, m.csize, m.crc = _STORED, st.st_size, -1
            else:
                m.method, m.csize, m.crc = _DEFLATED, csize, crc
                if keep:
                    m.data = b"".join(parts)
                    self._cached += csize
        self._members.append(m)

    def _end_records(self) -> bytes:
        count, cd_size, cd_offset = len(self._members), len(self._cd), self._cd_offset
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
    def _file_body(self, m: _Member) -> Iterator[bytes]:
        assert m.path is not None
        sent, crc = 0, 0
        if m.method == _STORED:
            with m.path.open("rb") as fh:
                while chunk := fh.read(CHUNK):
                    crc = _crc.crc32(chunk, crc)
                    sent += len(chunk)
                    if sent > m.size:
                        break
                    yield chunk
            if sent != m.size:
                raise errors.TransferError(
                    f"{m.path} changed size while it was being uploaded; upload again."
                )
            if m.crc not in (-1, crc):
                raise errors.TransferError(f"{m.path} changed while it was being uploaded.")
            m.crc = crc
            return
        if m.data is not None:
            yield m.data
            return
        for chunk, packed in _deflate(m.path):
            crc = _crc.crc32(chunk, crc)
            sent += len(packed)
            if packed:
                yield packed
        if sent != m.csize or crc != m.crc:
            raise errors.TransferError(
                f"{m.path} changed while it was being uploaded; upload again."
            )

    def _produce(self) -> Generator[bytes, None, None]:
        for m in self._members:
            yield m.local_header()
            if m.path is not None:
                yield from self._file_body(m)
            elif m.data:
                yield m.data
            yield m.descriptor()
        # Stored members' CRCs are known only now.
        yield b"".join(m.central() for m in self._members)
        yield self._end

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
            return b"".join(iter(lambda: self.read(CHUNK), b""))
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
        """Stop producing: the file a member was being read from is closed."""
        if self._chunks is not None:
            self._chunks.close()
            self._chunks = None
        super().close()

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Read into ``buffer``."""
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
