"""A zip's central directory held compactly: its raw records, indexed, entries made on demand.

An archive of 300,000 members has a central directory of about 30 MB; one
Python object per member (a ``ZipInfo``, or a :class:`MemberEntry` with its
name and sizes) costs ten times that. :class:`CentralDirectory` keeps the
directory's bytes as they came and one 8-byte position per record (plus the
few records whose sizes need ZIP64 extras); it is a sequence of
:class:`MemberEntry`, each made when asked for. Every record is checked once,
when the directory is read: signature, bounds, and names that decode (UTF-8
when flagged so, else cp437; a name that does not is refused as unsafe).

:func:`locate` finds the directory from an archive's last bytes (the End Of
Central Directory record and its ZIP64 twin); :func:`read_file` reads a local
archive's directory.
"""

from __future__ import annotations

import bisect
import struct
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import overload

import attrs

from .. import errors
from .._validate import printable

__all__ = [
    "EOCD_SEARCH",
    "CentralDirectory",
    "MemberEntry",
    "Record",
    "locate",
    "read_file",
]

EOCD_SEARCH = 65536 + 22
"""Bytes from an archive's end that hold its End Of Central Directory record."""

_EOCD_SIG = b"PK\x05\x06"
_EOCD64_LOC_SIG = b"PK\x06\x07"
_EOCD64_SIG = b"PK\x06\x06"
_CDH_SIG = b"PK\x01\x02"
_EOCD = struct.Struct("<4s4H2LH")
_EOCD64_LOC = struct.Struct("<4sLQL")
_EOCD64 = struct.Struct("<4sQ2H2L4Q")
_CDH = struct.Struct("<4s6H3L5H2L")
_MAX32 = 0xFFFFFFFF

Record = tuple[int, bytes, int, int, int, int, int, int]
"""``(index, raw name, flags, method, crc, compress_size, file_size, header_offset)``."""


@attrs.frozen
class MemberEntry:
    """One central-directory record: where a member lives and how to check it."""

    name: str
    method: int
    flags: int
    crc: int
    compress_size: int
    file_size: int
    header_offset: int

    @property
    def is_dir(self) -> bool:
        """Whether this entry is a directory."""
        return self.name.endswith("/")


def _corrupt() -> errors.IntegrityError:
    return errors.IntegrityError("The output archive's central directory is corrupt.")


def _zip64_extra(extra: bytes, sizes: list[int]) -> list[int]:
    """Replace 0xFFFFFFFF values in ``[file_size, compress_size, header_offset]``."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, pos)
        if tag == 0x0001:
            body, i = extra[pos + 4 : pos + 4 + length], 0
            for index, value in enumerate(sizes):
                if value == _MAX32 and i + 8 <= len(body):
                    sizes[index] = struct.unpack_from("<Q", body, i)[0]
                    i += 8
            break
        pos += 4 + length
    return sizes


def decode_name(raw: bytes, flags: int) -> str:
    """A member's name as the archive declares it; UnsafeArchiveError if it does not decode."""
    try:
        return raw.decode("utf-8" if flags & 0x800 else "cp437")
    except UnicodeDecodeError as exc:
        raise errors.UnsafeArchiveError(
            f"The output archive has a member name that is not valid UTF-8 "
            f"({printable(repr(raw[:100]))}); nothing was extracted. Download the "
            "whole archive with uncompress=False to inspect it."
        ) from exc


class CentralDirectory(Sequence[MemberEntry]):
    """The ``count`` records of the raw central directory ``data``, checked and indexed."""

    def __init__(self, data: bytes, count: int) -> None:
        self._data = data
        self._starts = array("Q")
        self._big: dict[int, tuple[int, int, int]] = {}  # ZIP64: usize, csize, offset
        unpack, size, end = _CDH.unpack_from, _CDH.size, len(data)
        starts = self._starts
        pos = index = 0
        while pos < end:  # to the directory's end: the count may be capped at 0xFFFF
            if pos + size > end or data[pos : pos + 4] != _CDH_SIG:
                raise _corrupt()
            fields = unpack(data, pos)
            flags, name_len, extra_len, comment_len = fields[3], fields[10], fields[11], fields[12]
            start = pos + size
            stop = start + name_len + extra_len + comment_len
            if stop > end:
                raise _corrupt()
            decode_name(data[start : start + name_len], flags)
            if _MAX32 in (fields[8], fields[9], fields[16]):
                extra = data[start + name_len : start + name_len + extra_len]
                usize, csize, offset = _zip64_extra(extra, [fields[9], fields[8], fields[16]])
                self._big[index] = (usize, csize, offset)
            starts.append(pos)
            pos = stop
            index += 1
        if index != count and count != 0xFFFF:
            raise _corrupt()
        self._sorted: array[int] | None = None

    @classmethod
    def of(cls, entries: Iterable[MemberEntry]) -> CentralDirectory:
        """A directory holding ``entries`` (ZIP64 fields where values need them)."""
        parts: list[bytes] = []
        count = 0
        for e in entries:
            flags = e.flags
            try:
                raw = e.name.encode("utf-8" if flags & 0x800 else "cp437")
            except UnicodeEncodeError:
                raw, flags = e.name.encode("utf-8"), flags | 0x800
            big = [v for v in (e.file_size, e.compress_size, e.header_offset) if v >= _MAX32]
            extra = struct.pack(f"<HH{len(big)}Q", 1, 8 * len(big), *big) if big else b""
            parts.append(
                _CDH.pack(
                    _CDH_SIG,
                    45,
                    45,
                    flags,
                    e.method,
                    0,
                    0,
                    e.crc,
                    min(e.compress_size, _MAX32),
                    min(e.file_size, _MAX32),
                    len(raw),
                    len(extra),
                    0,
                    0,
                    0,
                    0,
                    min(e.header_offset, _MAX32),
                )
                + raw
                + extra
            )
            count += 1
        return cls(b"".join(parts), count)

    def __len__(self) -> int:
        return len(self._starts)

    def record(self, index: int) -> Record:
        """The record ``index`` as plain values (raw name bytes)."""
        pos = self._starts[index]
        f = _CDH.unpack_from(self._data, pos)
        raw = self._data[pos + 46 : pos + 46 + f[10]]
        usize, csize, offset = self._big.get(index) or (f[9], f[8], f[16])
        return index, raw, f[3], f[4], f[7], csize, usize, offset

    def layout(self) -> tuple[bytes, array[int], dict[int, tuple[int, int, int]]]:
        """The raw directory, each record's position in it, and the ZIP64 sizes of the
        records that have them (``usize, csize, offset``): for loops that unpack records
        themselves."""
        return self._data, self._starts, self._big

    def records(self) -> Iterator[Record]:
        """Every record in directory order (cheaper than making entries)."""
        data, unpack, big = self._data, _CDH.unpack_from, self._big
        for index, pos in enumerate(self._starts):
            f = unpack(data, pos)
            raw = data[pos + 46 : pos + 46 + f[10]]
            if big and index in big:
                usize, csize, offset = big[index]
                yield index, raw, f[3], f[4], f[7], csize, usize, offset
            else:
                yield index, raw, f[3], f[4], f[7], f[8], f[9], f[16]

    def name(self, index: int) -> str:
        """The name of record ``index``."""
        pos = self._starts[index]
        f = _CDH.unpack_from(self._data, pos)
        return decode_name(self._data[pos + 46 : pos + 46 + f[10]], f[3])

    def names(self) -> Iterator[str]:
        """Every member's name, in directory order."""
        for _i, raw, flags, *_rest in self.records():
            yield decode_name(raw, flags)

    def entry(self, index: int) -> MemberEntry:
        """The entry of record ``index``."""
        _i, raw, flags, method, crc, csize, usize, offset = self.record(index)
        return MemberEntry(decode_name(raw, flags), method, flags, crc, csize, usize, offset)

    @overload
    def __getitem__(self, index: int) -> MemberEntry: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[MemberEntry]: ...
    def __getitem__(self, index: int | slice) -> MemberEntry | Sequence[MemberEntry]:
        if isinstance(index, slice):
            return [self.entry(i) for i in range(len(self))[index]]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("central directory index out of range")
        return self.entry(index)

    def __iter__(self) -> Iterator[MemberEntry]:
        for _i, raw, flags, method, crc, csize, usize, offset in self.records():
            yield MemberEntry(decode_name(raw, flags), method, flags, crc, csize, usize, offset)

    def sorted_offsets(self, end: int) -> array[int]:
        """Every member's header offset and ``end``, sorted and deduplicated (made once)."""
        if self._sorted is None:
            order = self.by_offset()
            records = self.records() if isinstance(order, range) else map(self.record, order)
            offsets, last = array("Q"), -1
            for r in records:
                if r[7] != last:
                    offsets.append(r[7])
                    last = r[7]
            if last < end:
                offsets.append(end)
            elif end not in offsets:
                offsets = array("Q", sorted({*offsets, end}))
            self._sorted = offsets
        return self._sorted

    def span_end(self, offset: int, end: int) -> int:
        """The next header offset after ``offset`` (or ``end``, the central directory's)."""
        offsets = self.sorted_offsets(end)
        return offsets[min(bisect.bisect_right(offsets, offset), len(offsets) - 1)]

    def by_offset(self) -> Sequence[int]:
        """Record indices in header-offset order (the archive's order, as a rule)."""
        previous, ordered = -1, True
        for r in self.records():
            if r[7] < previous:
                ordered = False
                break
            previous = r[7]
        if ordered:
            return range(len(self))
        order = array("L", range(len(self)))
        keys = array("Q", (r[7] for r in self.records()))
        return array("L", sorted(order, key=keys.__getitem__))


def _find_eocd(tail: bytes) -> int:
    pos = tail.rfind(_EOCD_SIG)
    while pos >= 0:
        if pos + _EOCD.size <= len(tail):
            comment_len = _EOCD.unpack_from(tail, pos)[-1]
            if pos + _EOCD.size + comment_len == len(tail):
                return pos
        pos = tail.rfind(_EOCD_SIG, 0, pos)
    raise errors.IntegrityError("The output archive is not a valid zip (no end-of-directory).")


def locate(tail: bytes, tail_start: int, read: Callable[[int, int], bytes]) -> tuple[int, int, int]:
    """``(cd_offset, cd_size, entry_count)`` from an archive's ``tail`` (at ``tail_start``).

    ZIP64 end records are followed; ``read(start, end)`` fetches the ZIP64 record
    when the tail does not hold it.
    """
    pos = _find_eocd(tail)
    _sig, _d, _dcd, _n_disk, count, cd_size, cd_offset, _c = _EOCD.unpack_from(tail, pos)
    loc_pos = pos - _EOCD64_LOC.size
    if loc_pos >= 0 and tail[loc_pos : loc_pos + 4] == _EOCD64_LOC_SIG:
        _s, _disk, eocd64_offset, _ndisks = _EOCD64_LOC.unpack_from(tail, loc_pos)
        rel = eocd64_offset - tail_start
        if rel >= 0 and rel + _EOCD64.size <= len(tail):
            record = tail[rel : rel + _EOCD64.size]
        else:
            record = read(eocd64_offset, eocd64_offset + _EOCD64.size)
        if len(record) != _EOCD64.size or record[:4] != _EOCD64_SIG:
            raise errors.IntegrityError("The output archive's ZIP64 directory record is corrupt.")
        fields = _EOCD64.unpack(record)
        count, cd_size, cd_offset = fields[7], fields[8], fields[9]
    return cd_offset, cd_size, count


def read_file(path: Path) -> tuple[CentralDirectory, int, int]:
    """The central directory of the local archive ``path``: ``(directory, cd_offset, size)``."""
    with path.open("rb") as fh:
        size = fh.seek(0, 2)
        tail_start = max(0, size - EOCD_SEARCH)
        fh.seek(tail_start)
        tail = fh.read()

        def read(start: int, end: int) -> bytes:
            fh.seek(start)
            return fh.read(end - start)

        cd_offset, cd_size, count = locate(tail, tail_start, read)
        if cd_offset + cd_size > size:
            raise errors.IntegrityError("The output archive's directory lies past its end.")
        if cd_offset >= tail_start:
            data = tail[cd_offset - tail_start : cd_offset - tail_start + cd_size]
        else:
            data = read(cd_offset, cd_offset + cd_size)
    return CentralDirectory(data, count), cd_offset, size


def encode_ascii(text: str) -> bytes:
    """``text`` (ASCII) as the raw bytes of a name (the same in UTF-8 and cp437)."""
    return text.encode("ascii")
