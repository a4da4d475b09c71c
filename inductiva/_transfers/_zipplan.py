"""The plan of the input zip: every member's name, sizes, method and CRC, in a few arrays.

:class:`InputPlan` walks the input once (``os.scandir``, one ``stat`` a file,
the era's order) and reads every file once, in worker threads
(:class:`~inductiva._transfers._deflate.PackPool`), to learn how each goes in
(stored or deflated) and its compressed size and CRC-32. It holds no object
per file: names sit in one buffer, the rest in arrays (about 50 bytes a
member), and what it keeps of the deflated bytes for sending lives in a
:class:`~inductiva._transfers._segments.Segments` within a budget that the records'
own growth takes room from. It also encodes every record of the zip (local
headers, data descriptors, central directory entries, end records), ZIP64
only where a size, an offset or the entry count needs it.
"""

from __future__ import annotations

import collections
import os
import struct
import time
from array import array
from pathlib import Path

from .. import errors
from . import _crc, _deflate
from ._segments import Segments

__all__ = ["DEFLATED", "DIR", "RECORD_BYTES", "STORED", "InputPlan"]

RECORD_BYTES = 48
"""What the plan holds per member besides its name (the arrays below)."""
_LIMIT = 0xFFFFFFFF
DEFLATED, STORED = 8, 0
_FILE, DIR, _DATA = 0, 1, 2
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_DIR_ATTR = (0o40755 << 16) | 0x10
_FILE_ATTR = 0o100644 << 16


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


class InputPlan:
    """The members of the era's input zip of ``input_dir`` plus ``document`` (``input.json``).

    ``budget`` bytes hold the records and the deflated bytes kept for sending.
    """

    def __init__(self, input_dir: Path, document: bytes, prefix: str, budget: int) -> None:
        self.root = os.fspath(input_dir)
        self._top = prefix + "/"
        self.prefix = len(self._top)
        self._names = bytearray()
        self._ends = array("Q")  # end of each name in _names
        self._flags = array("B")  # 1: UTF-8 name
        self.kinds = array("B")
        self.methods = array("B")
        self._stamps = array("I")  # DOS date << 16 | time
        self.sizes = array("Q")
        self.csizes = array("Q")
        self.crcs = array("q")  # -1: computed while sending (stored large files)
        self.cached = array("i")  # handle in cache, or -1
        self.cache = Segments()
        self._owners = array("I")  # the member of each item of the cache
        self._limit = budget
        self.stored = self.deflated = 0
        self._add(prefix + "/", DIR, _dos_time(input_dir.stat().st_mtime))
        with _deflate.PackPool() as pool:
            self._add_tree(pool)
        self._add(
            "input.json", _DATA, _dos_time(time.time()), document, _deflate.compress(document)
        )
        offset = cd_size = 0
        for i in range(len(self.kinds)):
            cd_size += self._central_length(i, offset)
            offset += self.local_length(i)
        self.cd_offset, self.cd_size = offset, cd_size
        self.size = offset + self.cd_size + len(self.end_records())

    def __len__(self) -> int:
        return len(self.kinds)

    # -- planning ------------------------------------------------------------
    def _add(
        self, name: str, kind: int, stamp: int, raw: bytes = b"", packed: bytes | None = None
    ) -> int:
        encoded, utf8 = _name(name)
        self._names += encoded
        self._ends.append(len(self._names))
        self._flags.append(1 if utf8 else 0)
        self.kinds.append(kind)
        self._stamps.append(stamp)
        self.sizes.append(len(raw))
        if packed is not None:
            self.methods.append(DEFLATED)
            self.csizes.append(len(packed))
            self.crcs.append(_crc.crc32(raw))
            self.cached.append(self.cache.push(packed))
            self._owners.append(len(self.kinds) - 1)
        else:
            self.methods.append(STORED)
            self.csizes.append(0)
            self.crcs.append(0)
            self.cached.append(-1)
        return len(self.kinds) - 1

    def _add_tree(self, pool: _deflate.PackPool) -> None:
        """Every file and empty directory under the input, in the era's order."""
        files: collections.deque[int] = collections.deque()  # waiting for pack results
        pending = [self.root]
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
                self.sizes[index] = st.st_size
                files.append(index)
                for packed in pool.add(path, st.st_size):
                    self._take(files, packed)
            if top != self.root and not has_files and not subdirs:
                self._add(self._member(top) + "/", DIR, _dos_time(os.stat(top).st_mtime))
            pending.extend(e.path for e in reversed(subdirs) if not e.is_symlink())
        for packed in pool.finish():
            self._take(files, packed)

    def _member(self, path: str) -> str:
        if os.sep == "/":
            return self._top + path[len(self.root) :].lstrip("/")
        return self._top + os.path.relpath(path, self.root).replace(os.sep, "/")

    def _take(self, files: collections.deque[int], packed: _deflate.Packed) -> None:
        """Record the pack result of the oldest file still waiting for one."""
        index = files.popleft()
        method, crc, csize, data = packed
        self.methods[index] = method
        self.crcs[index] = crc
        self.csizes[index] = csize
        if method == STORED:
            self.stored += 1
        else:
            self.deflated += 1
        room = self._limit - RECORD_BYTES * len(self.kinds) - len(self._names)
        if data is not None and self.cache.size + len(data) <= room:
            self.cached[index] = self.cache.push(data)
            self._owners.append(index)
        # The records grow with every file: what they need is taken from the cache.
        while self.cache.size > room and len(self.cache):
            self.cache.pop()
            self.cached[self._owners.pop()] = -1

    def path(self, i: int) -> str:
        """The file member ``i`` was planned from."""
        return os.path.join(self.root, self._raw_name(i)[self.prefix :].decode("utf-8"))

    # -- records -------------------------------------------------------------
    def _raw_name(self, i: int) -> bytes:
        return bytes(self._names[self._ends[i - 1] if i else 0 : self._ends[i]])

    def _zip64(self, i: int) -> bool:
        return self.sizes[i] >= _LIMIT or self.csizes[i] >= _LIMIT

    def local_length(self, i: int) -> int:
        name = self._ends[i] - (self._ends[i - 1] if i else 0)
        body = self.csizes[i] if self.kinds[i] != DIR else 0
        return 30 + name + (44 if self._zip64(i) else 16) + body

    def _central_fields(self, i: int, offset: int) -> list[int]:
        fields = []
        if self.sizes[i] >= _LIMIT:
            fields.append(self.sizes[i])
        if self.csizes[i] >= _LIMIT:
            fields.append(self.csizes[i])
        if offset >= _LIMIT:
            fields.append(offset)
        return fields

    def _central_length(self, i: int, offset: int) -> int:
        name = self._ends[i] - (self._ends[i - 1] if i else 0)
        fields = self._central_fields(i, offset)
        return 46 + name + (4 + 8 * len(fields) if fields else 0)

    def local_header(self, i: int) -> bytes:
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
                self.methods[i],
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

    def descriptor(self, i: int) -> bytes:
        crc, csize, size = max(self.crcs[i], 0), self.csizes[i], self.sizes[i]
        if self.kinds[i] == DIR:
            csize = size = 0
        if self._zip64(i):
            return struct.pack("<IIQQ", 0x08074B50, crc, csize, size)
        return struct.pack("<IIII", 0x08074B50, crc, csize, size)

    def central(self, i: int, offset: int) -> bytes:
        name = self._raw_name(i)
        fields = self._central_fields(i, offset)
        extra = struct.pack(f"<HH{len(fields)}Q", 1, 8 * len(fields), *fields) if fields else b""
        version = 45 if fields else 20
        stamp = self._stamps[i]
        size, csize = self.sizes[i], self.csizes[i]
        if self.kinds[i] == DIR:
            size = csize = 0
        return (
            _CENTRAL.pack(
                0x02014B50,
                (3 << 8) | version,
                version,
                (0x800 if self._flags[i] else 0) | 0x08,
                self.methods[i],
                stamp & 0xFFFF,
                stamp >> 16,
                max(self.crcs[i], 0),
                min(csize, _LIMIT),
                min(size, _LIMIT),
                len(name),
                len(extra),
                0,
                0,
                0,
                _DIR_ATTR if self.kinds[i] == DIR else _FILE_ATTR,
                min(offset, _LIMIT),
            )
            + name
            + extra
        )

    def end_records(self) -> bytes:
        count, cd_size, cd_offset = len(self.kinds), self.cd_size, self.cd_offset
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
