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

import re
from collections.abc import Callable, Iterable, Sequence

import attrs

from .. import errors
from .._validate import printable
from ._cdir import CentralDirectory, MemberEntry, locate

__all__ = [
    "TAIL_BYTES",
    "CentralDirectory",
    "Fetch",
    "MemberEntry",
    "RangeBuffer",
    "RangePlan",
    "RemoteZip",
    "build_remote_zip",
    "check_range_data",
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

_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


def _table(members: Iterable[MemberEntry]) -> CentralDirectory:
    return members if isinstance(members, CentralDirectory) else CentralDirectory.of(members)


@attrs.frozen
class RemoteZip:
    """The remote archive's size, version (ETag) and members, in archive order.

    ``members`` is held compactly (:class:`~inductiva._transfers._cdir.CentralDirectory`:
    the raw directory, entries made on demand); any sequence of entries is turned into one.
    """

    task_id: str
    size: int
    etag: str | None
    cd_offset: int
    members: CentralDirectory = attrs.field(converter=_table)

    def names(self) -> list[str]:
        """Names of the file members (directories left out)."""
        return [n for n in self.members.names() if not n.endswith("/")]

    tail: bytes = attrs.field(default=b"", repr=False, eq=False)
    """The archive's last bytes, as read with the directory (a member wholly inside them
    needs no further request)."""

    def span_end(self, entry: MemberEntry) -> int:
        """Exclusive end of ``entry``'s bytes: the next local header or the central directory."""
        return self.members.span_end(entry.header_offset, self.cd_offset)


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


def check_range_data(data: bytes, start: int, end: int) -> bytes:
    """``data`` if it holds exactly bytes ``[start, end)``, else IntegrityError."""
    if len(data) != end - start:
        raise errors.IntegrityError(f"Asked for {end - start} archive bytes, got {len(data)}.")
    return data


class RangeBuffer:
    """Bytes ``[start, end)`` of the archive gathered in place as they arrive.

    A 300,000-member central directory is 30 MB: read into one preallocated
    buffer, not as chunks joined at the end (which holds it twice).
    """

    def __init__(self, start: int, end: int) -> None:
        self._data = bytearray(end - start)
        self._pos = 0

    def add(self, chunk: bytes) -> None:
        """Append ``chunk``; IntegrityError if it runs past the range."""
        end = self._pos + len(chunk)
        if end > len(self._data):
            raise errors.IntegrityError(
                f"Asked for {len(self._data)} archive bytes, got more than that."
            )
        self._data[self._pos : end] = chunk
        self._pos = end

    def result(self) -> bytes:
        """The range's bytes; IntegrityError if fewer came."""
        if self._pos != len(self._data):
            raise errors.IntegrityError(
                f"Asked for {len(self._data)} archive bytes, got {self._pos}."
            )
        return self._data  # type: ignore[return-value]  # a bytearray reads as bytes


Fetch = Callable[[str, int, int, "str | None"], bytes]
"""Reads bytes ``[start, end)`` of a task's archive of a given ETag."""


def _locate_directory(
    task_id: str, tail: bytes, tail_start: int, etag: str | None, fetch: Fetch
) -> tuple[int, int, int]:
    """``(cd_offset, cd_size, entry_count)``, following ZIP64 records when present."""
    return locate(tail, tail_start, lambda start, end: fetch(task_id, start, end, etag))


def parse_central_directory(data: bytes, count: int) -> CentralDirectory:
    """The entries of a raw central directory holding ``count`` records (held compactly)."""
    return CentralDirectory(data, count)


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
