"""Many-member extraction: compact central directory, one-pass unpacking, every guarantee kept."""

from __future__ import annotations

import errno
import io
import os
import struct
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
from hostile_zips import build_zip, liar
from transfer_fakes import listing, make_output, make_zip

from inductiva import errors
from inductiva._transfers import _cdir, _extract, _unzip
from inductiva._transfers._cdir import CentralDirectory, MemberEntry


def _tree(count: int) -> dict[str, bytes]:
    """``count`` small text files spread over nested directories (deterministic)."""
    return {
        f"proc{i % 7}/{i % 13 * 0.5:g}/field{i}.txt": (f"value {i} " * (i % 50 + 1)).encode()
        for i in range(count)
    }


def _entries_of(archive: bytes) -> list[tuple[str, int, int, int, int]]:
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        return [
            (i.filename, i.CRC, i.compress_size, i.file_size, i.header_offset)
            for i in zf.infolist()
        ]


def test_central_directory_matches_zipfile(tmp_path: Path) -> None:
    """Every record read compactly equals zipfile's view of the same archive."""
    archive = make_zip(_tree(500))
    (tmp_path / "a.zip").write_bytes(archive)
    table, cd_offset, size = _cdir.read_file(tmp_path / "a.zip")
    got = [(e.name, e.crc, e.compress_size, e.file_size, e.header_offset) for e in table]
    assert got == _entries_of(archive)
    assert len(table) == 500 and size == len(archive) and 0 < cd_offset < size
    assert table[-1] == table.entry(499) and list(table.names()) == [g[0] for g in got]


def test_central_directory_round_trips_entries_with_zip64_values() -> None:
    """CentralDirectory.of keeps names, methods, CRCs, sizes and 64-bit offsets intact."""
    entries = [
        MemberEntry("a.txt", 8, 0, 0x1234, 10, 20, 0),
        MemberEntry("ünï/b.bin", 0, 0x800, 7, 5 * 2**32, 5 * 2**32, 6 * 2**32),
    ]
    assert list(CentralDirectory.of(entries)) == entries


def test_central_directory_holds_no_object_per_member() -> None:
    """Reading 20,000 records allocates little beyond the directory's own bytes."""
    entries = [
        MemberEntry(f"dir{i % 100}/file{i}.txt", 8, 0, i, 100, 300, i * 200) for i in range(20_000)
    ]
    raw = CentralDirectory.of(entries)._data
    tracemalloc.start()
    table = CentralDirectory(raw, len(entries))
    size, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(table) == 20_000 and table[5432] == entries[5432]
    assert size < 12 * len(entries)  # an 8-byte position a record, not an object


def test_corrupt_central_directory_is_an_integrity_error() -> None:
    """A record cut short, or a count that does not match, raises IntegrityError."""
    raw = CentralDirectory.of([MemberEntry("a", 0, 0, 0, 1, 1, 0)])._data
    with pytest.raises(errors.IntegrityError, match="central directory"):
        CentralDirectory(raw[:-1], 1)
    with pytest.raises(errors.IntegrityError, match="central directory"):
        CentralDirectory(raw, 2)


def test_records_out_of_offset_order_are_read_in_archive_order() -> None:
    """by_offset and span_end follow header offsets even when the directory is shuffled."""
    table = CentralDirectory.of(
        [MemberEntry(n, 0, 0, 0, 1, 1, off) for n, off in (("c", 200), ("a", 0), ("b", 100))]
    )
    assert [table[i].name for i in table.by_offset()] == ["a", "b", "c"]
    assert table.span_end(100, 300) == 200 and table.span_end(200, 300) == 300


def test_many_members_extract_byte_identical(tmp_path: Path) -> None:
    """3,000 files over nested directories come out as zipfile reads them, nothing else."""
    files = _tree(3000)
    files["big/large.txt"] = b"0123456789abcdef" * 200_000  # over the one-step size
    files["big/random.bin"] = os.urandom(_unzip.WHOLE + 1000)
    files["empty.txt"] = b""
    archive = tmp_path / "a.zip"
    archive.write_bytes(make_output(files))
    out = tmp_path / "out"
    _extract.extract_archive(archive, out)
    written = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert written == files
    assert not (out / ".inductiva").exists()


def test_stored_members_and_archive_order_unlike_directory_order(tmp_path: Path) -> None:
    """Stored members, and a directory listing members out of offset order, extract right."""
    a, b = b"alpha" * 100, b"beta" * 100
    body = build_zip(
        [(b"a.txt", a, 0, len(a), zlib.crc32(a), 0), (b"b.txt", b, 0, len(b), zlib.crc32(b), 0)]
    )
    cd = body.index(b"PK\x01\x02")
    second = body.index(b"PK\x01\x02", cd + 4)
    end = body.index(b"PK\x05\x06")
    shuffled = body[:cd] + body[second:end] + body[cd:second] + body[end:]
    (tmp_path / "a.zip").write_bytes(shuffled)
    _extract.extract_archive(tmp_path / "a.zip", tmp_path / "out")
    assert (tmp_path / "out" / "a.txt").read_bytes() == a
    assert (tmp_path / "out" / "b.txt").read_bytes() == b


def test_member_inflating_past_its_declared_size_is_stopped(tmp_path: Path) -> None:
    """A member declaring 1,000 bytes that inflates to 64 MiB is refused, nothing written."""
    (tmp_path / "a.zip").write_bytes(liar(1000, 64))
    with pytest.raises(errors.IntegrityError, match="more than the 1000 bytes"):
        _extract.extract_archive(tmp_path / "a.zip", tmp_path / "out")
    assert listing(tmp_path / "out") == []


def test_overlapping_members_are_refused(tmp_path: Path) -> None:
    """Two directory records pointing at the same bytes are an IntegrityError."""
    data = b"x" * 50
    body = build_zip([(b"a.txt", data, 0, 50, zlib.crc32(data), 0)])
    cd = body.index(b"PK\x01\x02")
    record = body[cd : body.index(b"PK\x05\x06")]
    twin = record.replace(b"a.txt", b"b.txt")
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 2, 2, 2 * len(record), cd, 0)
    (tmp_path / "a.zip").write_bytes(body[:cd] + record + twin + end)
    with pytest.raises(errors.IntegrityError, match="overlaps"):
        _extract.extract_archive(tmp_path / "a.zip", tmp_path / "out")
    assert listing(tmp_path / "out") == []


def test_local_header_naming_another_file_is_refused(tmp_path: Path) -> None:
    """The central directory's name must be the local header's too."""
    archive = make_zip({"good.txt": b"data"})
    first = archive.index(b"good.txt")
    forged = archive[:first] + b"evil.txt" + archive[first + 8 :]
    (tmp_path / "a.zip").write_bytes(forged)
    with pytest.raises(errors.IntegrityError, match="another file"):
        _extract.extract_archive(tmp_path / "a.zip", tmp_path / "out")


def test_full_disk_while_writing_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write failing in the writer thread is raised; staging goes, nothing is extracted."""
    calls = 0
    original = _unzip._write_file

    def full(path: str, data: bytes | memoryview) -> None:
        nonlocal calls
        calls += 1
        if calls > 300:
            raise OSError(errno.ENOSPC, "No space left on device", path)
        original(path, data)

    monkeypatch.setattr(_unzip, "_write_file", full)
    (tmp_path / "a.zip").write_bytes(make_zip(_tree(2000)))
    with pytest.raises(OSError, match="No space"):
        _extract.extract_archive(tmp_path / "a.zip", tmp_path / "out")
    assert listing(tmp_path / "out") == []


def test_existing_directories_are_merged_into_and_files_replaced(tmp_path: Path) -> None:
    """New directories move in whole; existing ones keep their other files; files are replaced."""
    out = tmp_path / "out"
    (out / "d").mkdir(parents=True)
    (out / "d" / "keep.txt").write_bytes(b"mine")
    (out / "d" / "same.txt").write_bytes(b"old")
    (tmp_path / "a.zip").write_bytes(make_zip({"d/same.txt": b"new", "n/e/w.txt": b"w"}))
    _extract.extract_archive(tmp_path / "a.zip", out)
    assert (out / "d" / "keep.txt").read_bytes() == b"mine"
    assert (out / "d" / "same.txt").read_bytes() == b"new"
    assert (out / "n" / "e" / "w.txt").read_bytes() == b"w"


def test_symlinked_file_pointing_outside_is_refused(tmp_path: Path) -> None:
    """A member whose target is a symlink to a file outside output_dir is refused."""
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"secret")
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(outside, out / "x.txt")
    (tmp_path / "a.zip").write_bytes(make_zip({"x.txt": b"overwrite"}))
    with pytest.raises(errors.UnsafeArchiveError, match="outside"):
        _extract.extract_archive(tmp_path / "a.zip", out)
    assert outside.read_bytes() == b"secret"


def test_symlinked_directory_inside_the_output_is_followed(tmp_path: Path) -> None:
    """A symlink to a directory inside output_dir is written through, as before."""
    out = tmp_path / "out"
    (out / "real").mkdir(parents=True)
    os.symlink(out / "real", out / "link")
    (tmp_path / "a.zip").write_bytes(make_zip({"link/x.txt": b"x"}))
    _extract.extract_archive(tmp_path / "a.zip", out)
    assert (out / "real" / "x.txt").read_bytes() == b"x"


def test_other_compression_methods_go_through_zipfile(tmp_path: Path) -> None:
    """A bzip2 member is still extracted and verified (zipfile decodes it)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_BZIP2) as zf:
        zf.writestr("b.txt", b"bzip2 " * 1000)
    (tmp_path / "a.zip").write_bytes(buf.getvalue())
    _extract.extract_archive(tmp_path / "a.zip", tmp_path / "out")
    assert (tmp_path / "out" / "b.txt").read_bytes() == b"bzip2 " * 1000
    assert _extract.verify_archive(tmp_path / "a.zip") == 1


def test_verify_archive_checks_every_member_without_writing(tmp_path: Path) -> None:
    """verify_archive counts every member of a large archive and writes nothing."""
    (tmp_path / "a.zip").write_bytes(make_output(_tree(1500)))
    assert _extract.verify_archive(tmp_path / "a.zip") == 1502
    assert listing(tmp_path) == ["a.zip"]


def test_batch_writer_reports_the_threads_failure() -> None:
    """A failure in a writing thread is raised by close(), and the threads end."""
    writer = _unzip.BatchWriter(threads=2)
    writer.add(("x.txt", "/nonexistent-dir/for/sure/x.txt", 0, b"x", 1, zlib.crc32(b"x")))
    with pytest.raises(FileNotFoundError):
        writer.close()
    assert not any(thread.is_alive() for thread in writer._threads)


def test_corrupt_deflate_data_is_an_integrity_error(tmp_path: Path) -> None:
    """Damaged deflate bytes (small and large members) raise IntegrityError, nothing written."""
    for size in (3000, 3 * _unzip.WHOLE):
        data = bytes(range(256)) * (size // 256)
        archive = bytearray(make_zip({"a.txt": b"fine", "d.bin": data}))
        start = archive.index(b"d.bin") + 5 + 10  # inside d.bin's deflate stream
        archive[start : start + 40] = b"\xff" * 40
        (tmp_path / "a.zip").write_bytes(archive)
        with pytest.raises(errors.IntegrityError, match=r"d\.bin"):
            _extract.extract_archive(tmp_path / "a.zip", tmp_path / "out")
        assert listing(tmp_path / "out") == []
