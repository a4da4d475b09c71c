"""Reading a remote zip archive's central directory with HTTP Range requests.

One suffix request (``Range: bytes=-65536``) fetches the archive's tail,
whose ``Content-Range`` gives the total size and whose ``ETag`` pins the
version. The End Of Central Directory record (and its ZIP64 twin) locates the
central directory, fetched too if the tail did not hold it. :func:`plan_ranges`
then turns wanted members into few byte ranges: a member spans from its local
header to the next member's header (or the central directory), and ranges
closer than ``gap`` bytes are merged into one request.

The requests themselves are made by the flows of
:mod:`inductiva._transfers._directory`; this module only parses and plans.
"""

from __future__ import annotations

import bisect
import re
import struct
from collections.abc import Callable, Iterable, Sequence

import attrs

from .. import errors
from .._validate import printable

__all__ = [
    "TAIL_BYTES",
    "Fetch",
    "MemberEntry",
    "RangePlan",
    "RemoteZip",
    "build_remote_zip",
    "parse_central_directory",
    "parse_content_range",
    "plan_ranges",
    "tail_slice",
    "total_bytes",
]

TAIL_BYTES = 65536
MAX_ARCHIVE_BYTES = 2**53
"""Larger sizes in a Content-Range are refused (no real archive comes close)."""
MAX_DIRECTORY_BYTES = 64 * 1024**2
"""Largest central directory read into memory (about 700,000 members)."""
DEFAULT_GAP = 64 * 1024

_EOCD_SIG = b"PK\x05\x06"
_EOCD64_LOC_SIG = b"PK\x06\x07"
_EOCD64_SIG = b"PK\x06\x06"
_CDH_SIG = b"PK\x01\x02"
_EOCD = struct.Struct("<4s4H2LH")
_EOCD64_LOC = struct.Struct("<4sLQL")
_EOCD64 = struct.Struct("<4sQ2H2L4Q")
_CDH = struct.Struct("<4s6H3L5H2L")
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


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


@attrs.frozen
class RemoteZip:
    """The remote archive's size, version (ETag) and members, in archive order."""

    task_id: str
    size: int
    etag: str | None
    cd_offset: int
    members: tuple[MemberEntry, ...]

    def names(self) -> list[str]:
        """Names of the file members (directories left out)."""
        return [m.name for m in self.members if not m.is_dir]

    tail: bytes = attrs.field(default=b"", repr=False, eq=False)
    """The archive's last bytes, as read with the directory (a member wholly inside them
    needs no further request)."""

    offsets: tuple[int, ...] = attrs.field(init=False, repr=False, eq=False)

    @offsets.default
    def _sorted_offsets(self) -> tuple[int, ...]:
        return tuple(sorted({m.header_offset for m in self.members} | {self.cd_offset}))

    def span_end(self, entry: MemberEntry) -> int:
        """Exclusive end of ``entry``'s bytes: the next local header or the central directory."""
        offsets = self.offsets
        return offsets[min(bisect.bisect_right(offsets, entry.header_offset), len(offsets) - 1)]


@attrs.frozen
class RangePlan:
    """One request: bytes ``[start, end)`` covering ``members`` (sorted by offset)."""

    start: int
    end: int
    members: tuple[MemberEntry, ...]


def parse_content_range(value: str | None) -> tuple[int, int, int]:
    """``(first, last, total)`` from a ``Content-Range: bytes a-b/n`` header."""
    text = (value or "").strip()
    match = _CONTENT_RANGE.match(text) if len(text) <= 100 else None
    if match and match.group(3) != "*":
        first, last, total = (int(match.group(i)) for i in (1, 2, 3))
        if first <= last < total <= MAX_ARCHIVE_BYTES:
            return first, last, total
    raise errors.TransferError(
        f"The server sent an invalid Content-Range header ({printable(repr(text)[:120])}); "
        "the API URL may point at a proxy or a different server: check INDUCTIVA_API_URL, "
        "or try again later."
    )


Fetch = Callable[[str, int, int, "str | None"], bytes]
"""Reads bytes ``[start, end)`` of a task's archive of a given ETag."""


def _find_eocd(tail: bytes) -> int:
    pos = tail.rfind(_EOCD_SIG)
    while pos >= 0:
        if pos + _EOCD.size <= len(tail):
            comment_len = _EOCD.unpack_from(tail, pos)[-1]
            if pos + _EOCD.size + comment_len == len(tail):
                return pos
        pos = tail.rfind(_EOCD_SIG, 0, pos)
    raise errors.IntegrityError("The output archive is not a valid zip (no end-of-directory).")


def _locate_directory(
    task_id: str, tail: bytes, tail_start: int, etag: str | None, fetch: Fetch
) -> tuple[int, int, int]:
    """``(cd_offset, cd_size, entry_count)``, following ZIP64 records when present."""
    pos = _find_eocd(tail)
    _sig, _d, _dcd, _n_disk, count, cd_size, cd_offset, _c = _EOCD.unpack_from(tail, pos)
    loc_pos = pos - _EOCD64_LOC.size
    if loc_pos >= 0 and tail[loc_pos : loc_pos + 4] == _EOCD64_LOC_SIG:
        _s, _disk, eocd64_offset, _ndisks = _EOCD64_LOC.unpack_from(tail, loc_pos)
        rel = eocd64_offset - tail_start
        if rel >= 0 and rel + _EOCD64.size <= len(tail):
            record = tail[rel : rel + _EOCD64.size]
        else:
            record = fetch(task_id, eocd64_offset, eocd64_offset + _EOCD64.size, etag)
        if record[:4] != _EOCD64_SIG:
            raise errors.IntegrityError("The output archive's ZIP64 directory record is corrupt.")
        fields = _EOCD64.unpack(record)
        count, cd_size, cd_offset = fields[7], fields[8], fields[9]
    return cd_offset, cd_size, count


def _zip64_extra(extra: bytes, sizes: list[int]) -> list[int]:
    """Replace 0xFFFFFFFF values in ``[file_size, compress_size, header_offset]``."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, pos)
        if tag == 0x0001:
            body, i = extra[pos + 4 : pos + 4 + length], 0
            for index, value in enumerate(sizes):
                if value == 0xFFFFFFFF and i + 8 <= len(body):
                    sizes[index] = struct.unpack_from("<Q", body, i)[0]
                    i += 8
            break
        pos += 4 + length
    return sizes


def parse_central_directory(data: bytes, count: int) -> tuple[MemberEntry, ...]:
    """The entries of a raw central directory holding ``count`` records."""
    entries: list[MemberEntry] = []
    pos = 0
    for _ in range(count):
        if data[pos : pos + 4] != _CDH_SIG or pos + _CDH.size > len(data):
            raise errors.IntegrityError("The output archive's central directory is corrupt.")
        fields = _CDH.unpack_from(data, pos)
        flags, method, crc, csize, usize = fields[3], fields[4], fields[7], fields[8], fields[9]
        name_len, extra_len, comment_len, offset = fields[10], fields[11], fields[12], fields[16]
        start = pos + _CDH.size
        raw_name = data[start : start + name_len]
        extra = data[start + name_len : start + name_len + extra_len]
        try:
            name = raw_name.decode("utf-8" if flags & 0x800 else "cp437")
        except UnicodeDecodeError as exc:
            raise errors.UnsafeArchiveError(
                f"The output archive has a member name that is not valid UTF-8 "
                f"({printable(repr(raw_name[:100]))}); nothing was extracted. Download the "
                "whole archive with uncompress=False to inspect it."
            ) from exc
        usize, csize, offset = _zip64_extra(extra, [usize, csize, offset])
        entries.append(MemberEntry(name, method, flags, crc, csize, usize, offset))
        pos = start + name_len + extra_len + comment_len
    return tuple(entries)


def build_remote_zip(
    task_id: str, tail: bytes, total: int, etag: str | None, fetch: Fetch
) -> RemoteZip:
    """The archive's directory from its ``tail``; ``fetch`` reads what the tail lacks."""
    tail_start = total - len(tail)
    cd_offset, cd_size, count = _locate_directory(task_id, tail, tail_start, etag, fetch)
    if cd_offset + cd_size > total:
        raise errors.IntegrityError("The output archive's directory lies past its end.")
    if cd_size > MAX_DIRECTORY_BYTES:
        raise errors.ArchiveTooLargeError(
            f"The output archive's directory is {cd_size} bytes, over the "
            f"{MAX_DIRECTORY_BYTES}-byte limit of partial downloads; download the whole "
            "archive (no filenames=) instead."
        )
    if cd_offset >= tail_start:
        data = tail[cd_offset - tail_start : cd_offset - tail_start + cd_size]
    else:
        data = fetch(task_id, cd_offset, cd_offset + cd_size, etag)
    members = parse_central_directory(data, count)
    return RemoteZip(task_id, total, etag, cd_offset, members, tail)


def tail_slice(archive: RemoteZip, start: int, end: int) -> bytes | None:
    """Bytes ``[start, end)`` of the archive if the tail read with the directory holds them."""
    tail_start = archive.size - len(archive.tail)
    if archive.tail and tail_start <= start <= end <= archive.size:
        return archive.tail[start - tail_start : end - tail_start]
    return None


def plan_ranges(
    archive: RemoteZip, wanted: Iterable[MemberEntry], gap: int = DEFAULT_GAP
) -> list[RangePlan]:
    """Few requests covering ``wanted``: spans closer than ``gap`` bytes are merged."""
    spans = sorted(((m.header_offset, archive.span_end(m), m) for m in wanted), key=lambda s: s[0])
    plans: list[RangePlan] = []
    cur: list[MemberEntry] = []
    start = end = 0
    for s, e, m in spans:
        if cur and s - end < gap:
            end = max(end, e)
            cur.append(m)
            continue
        if cur:
            plans.append(RangePlan(start, end, tuple(cur)))
        start, end, cur = s, e, [m]
    if cur:
        plans.append(RangePlan(start, end, tuple(cur)))
    return plans


def total_bytes(plans: Sequence[RangePlan]) -> int:
    """Bytes the plans will fetch."""
    return sum(p.end - p.start for p in plans)
