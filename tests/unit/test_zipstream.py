"""StreamVerifier: CRC-checking an archive as it streams in, whatever the chunk boundaries."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest
from transfer_fakes import corrupt_member, make_zip

from inductiva import errors
from inductiva._transfers._remote_zip import MemberEntry
from inductiva._transfers._zipstream import StreamVerifier

MEMBERS = {
    "empty.txt": b"",
    "dir/": b"",
    "text.txt": b"hello world\n" * 3000,
    "random.bin": os.urandom(50_000),
}


def entries(archive: bytes) -> list[MemberEntry]:
    """The central directory of ``archive`` as MemberEntry records."""
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        return [
            MemberEntry(
                i.filename, i.compress_type, i.flag_bits, i.CRC, i.compress_size, i.file_size,
                i.header_offset,
            )
            for i in zf.infolist()
        ]  # fmt: skip


def push(archive: bytes, size: int, tmp: Path, directory: bytes | None = None) -> None:
    """Feed ``archive`` in ``size``-byte chunks to a verifier (of ``directory``'s entries)."""
    verifier = StreamVerifier(entries(directory or archive), tmp / "unused", 0)
    for pos in range(0, len(archive), size):
        verifier.feed(archive[pos : pos + size])
    verifier.close()


@pytest.mark.parametrize("size", [1, 7, 30, 4096, 10**7])
@pytest.mark.parametrize("stored", [True, False])
def test_valid_archive_passes_at_any_chunking(size: int, stored: bool, tmp_path: Path) -> None:
    """Stored and deflated archives verify whether fed byte by byte or all at once."""
    push(make_zip(MEMBERS, stored=stored), size, tmp_path)


@pytest.mark.parametrize("size", [1, 4096])
def test_corrupt_member_is_caught(size: int, tmp_path: Path) -> None:
    """One flipped data byte raises IntegrityError naming the member."""
    bad = corrupt_member(make_zip(MEMBERS, stored=True), "random.bin")
    with pytest.raises(errors.IntegrityError, match=r"random\.bin"):
        push(bad, size, tmp_path)


def test_truncated_archive_is_caught(tmp_path: Path) -> None:
    """An archive that stops inside a member fails on close."""
    archive = make_zip(MEMBERS)
    with pytest.raises(errors.IntegrityError, match="ended before"):
        push(archive[: len(archive) // 2], 4096, tmp_path, directory=archive)


def test_prefix_is_read_back_from_the_part_file(tmp_path: Path) -> None:
    """A resumed verifier checks the bytes already on disk before the new ones."""
    archive = make_zip(MEMBERS, stored=True)
    half = len(archive) // 2
    (tmp_path / "x.part").write_bytes(archive[:half])
    verifier = StreamVerifier(entries(archive), tmp_path / "x.part", half)
    verifier.feed(archive[half:])
    verifier.close()
    bad = corrupt_member(archive, "text.txt")
    (tmp_path / "x.part").write_bytes(bad[:half])
    with pytest.raises(errors.IntegrityError, match=r"text\.txt"):
        verifier = StreamVerifier(entries(archive), tmp_path / "x.part", half)
        verifier.feed(archive[half:])
        verifier.close()


def test_unsupported_compression_is_refused(tmp_path: Path) -> None:
    """A bzip2 member is a clear TransferError up front, not a bogus CRC failure."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_BZIP2) as zf:
        zf.writestr("a.txt", b"a" * 100)
    with pytest.raises(errors.TransferError, match="compression method 12"):
        push(buf.getvalue(), 4096, tmp_path)
