"""Parsing a zip's central directory (ZIP64 included) and planning the ranges of members."""

from __future__ import annotations

import struct

import pytest
from transfer_fakes import (
    TASK_ID,
)

from inductiva import errors
from inductiva._transfers._remote_zip import (
    MemberEntry,
    RemoteZip,
    parse_central_directory,
    parse_content_range,
    plan_ranges,
)


def _entry(name: str, offset: int) -> MemberEntry:
    return MemberEntry(name, 0, 0, 0, 10, 10, offset)


def test_zip64_extra_field_replaces_maxed_sizes() -> None:
    """Central entries with 0xFFFFFFFF sizes/offset take the 64-bit values from extra 0x0001."""
    name = b"huge.bin"
    extra_body = struct.pack("<3Q", 5 * 2**32, 4 * 2**32, 3 * 2**32)
    extra = struct.pack("<HH", 0x0001, len(extra_body)) + extra_body
    header = struct.pack(
        "<4s6H3L5H2L",
        b"PK\x01\x02",
        45, 45, 0, 0, 0, 0,
        0x1234, 0xFFFFFFFF, 0xFFFFFFFF,
        len(name), len(extra), 0, 0, 0, 0, 0xFFFFFFFF,
    )  # fmt: skip
    (entry,) = parse_central_directory(header + name + extra, 1)
    assert (entry.file_size, entry.compress_size, entry.header_offset) == (
        5 * 2**32,
        4 * 2**32,
        3 * 2**32,
    )


def test_plan_merges_near_spans_and_splits_far_ones() -> None:
    """Spans closer than the gap share a request; far ones get their own."""
    members = (
        _entry("a", 0),
        _entry("b", 100),
        _entry("c", 200),
        _entry("d", 300),
        _entry("e", 500_000),
    )
    remote = RemoteZip(TASK_ID, 600_000, '"e"', 600_000, members)
    plans = plan_ranges(remote, [members[4], members[0], members[2]], gap=64 * 1024)
    assert [(p.start, p.end, [m.name for m in p.members]) for p in plans] == [
        (0, 300, ["a", "c"]),
        (500_000, 600_000, ["e"]),
    ]
    tight = plan_ranges(remote, [members[0], members[2]], gap=50)
    assert [(p.start, p.end) for p in tight] == [(0, 100), (200, 300)]


def test_content_range_parsing() -> None:
    """Valid Content-Range headers parse; malformed or unknown-length ones are errors."""
    assert parse_content_range("bytes 10-19/100") == (10, 19, 100)
    for bad in (None, "", "bytes 10-19/*", "items 1-2/3"):
        with pytest.raises(errors.TransferError, match="Content-Range"):
            parse_content_range(bad)
