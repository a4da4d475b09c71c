"""Reading a remote archive's central directory with Range requests (_directory)."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from transfer_fakes import (
    TASK_ID,
    ArchiveServer,
    Download,
    listing,
    make_zip,
    run_flow,
    serve,
    unserve,
)

from inductiva import errors
from inductiva._transfers._directory import RangesUnsupportedError, open_remote_zip


def to_zip64(archive: bytes) -> bytes:
    """Rewrite a small zip's end records as ZIP64 (EOCD64 + locator, EOCD fields maxed)."""
    eocd = archive.rfind(b"PK\x05\x06")
    _sig, _d, _dcd, _nd, count, cd_size, cd_offset, _cl = struct.unpack_from(
        "<4s4H2LH", archive, eocd
    )
    body = archive[:eocd]
    eocd64_offset = len(body)
    eocd64 = struct.pack(
        "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, cd_size, cd_offset
    )
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, eocd64_offset, 1)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return body + eocd64 + locator + end


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[ArchiveServer]:
    """A fake API; tests put their own archive in it."""
    srv = ArchiveServer(b"")
    serve(monkeypatch, srv)
    yield srv
    unserve()


def test_reads_size_etag_and_members(driver: str, fake: ArchiveServer) -> None:
    """One suffix request yields the size, the ETag and every entry with its CRC."""
    fake.archive = make_zip({"a.txt": b"alpha", "dir/b.txt": b"beta" * 100})
    remote = run_flow(driver, open_remote_zip(TASK_ID))
    assert remote.size == len(fake.archive) and remote.etag == fake.etag
    with zipfile.ZipFile(io.BytesIO(fake.archive)) as zf:
        expected = [(i.filename, i.CRC, i.file_size, i.header_offset) for i in zf.infolist()]
    got = [(m.name, m.crc, m.file_size, m.header_offset) for m in remote.members]
    assert got == expected
    assert fake.ranges() == ["bytes=-65536"]


def test_zip64_end_records_are_followed(
    driver: str, download: Download, fake: ArchiveServer, tmp_path: Path
) -> None:
    """An archive with ZIP64 end records is read and partially downloaded correctly."""
    fake.archive = to_zip64(make_zip({"a.txt": b"alpha", "b.txt": b"beta"}))
    with zipfile.ZipFile(io.BytesIO(fake.archive)) as zf:
        assert zf.read("b.txt") == b"beta"
    assert run_flow(driver, open_remote_zip(TASK_ID)).names() == ["a.txt", "b.txt"]
    out = download(TASK_ID, filenames=["b.txt"], output_dir=tmp_path)
    assert (out / "b.txt").read_bytes() == b"beta"


def test_large_central_directory_is_fetched_separately(driver: str, fake: ArchiveServer) -> None:
    """When the directory is bigger than the tail, one more range request reads it."""
    fake.archive = make_zip({f"file_{i:05d}_{'x' * 40}.txt": b"" for i in range(1500)})
    remote = run_flow(driver, open_remote_zip(TASK_ID))
    assert len(remote.members) == 1500
    assert len(fake.ranges()) == 2


def test_archive_comment_does_not_confuse_eocd_search(driver: str, fake: ArchiveServer) -> None:
    """A trailing archive comment containing the EOCD signature is skipped over."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.txt", b"A")
        zf.comment = b"tricky PK\x05\x06 comment"
    fake.archive = buf.getvalue()
    assert run_flow(driver, open_remote_zip(TASK_ID)).names() == ["a.txt"]


def test_not_a_zip_is_an_integrity_error(
    download: Download, fake: ArchiveServer, tmp_path: Path
) -> None:
    """Garbage instead of an archive raises IntegrityError and writes nothing."""
    fake.archive = b"this is not a zip" * 100
    with pytest.raises(errors.IntegrityError, match="not a valid zip"):
        download(TASK_ID, filenames=["x"], output_dir=tmp_path / "o")
    assert listing(tmp_path) == []


def test_server_ignoring_ranges_is_detected_without_reading_the_archive(
    driver: str,
    fake: ArchiveServer,
) -> None:
    """A 200 to the suffix Range raises RangesUnsupportedError; none of the body is pulled."""
    fake.archive = make_zip({"a.bin": bytes(200_000), "b.txt": b"b"}, stored=True)
    fake.ranges_supported = False
    with pytest.raises(RangesUnsupportedError, match="HTTP 200"):
        run_flow(driver, open_remote_zip(TASK_ID))
    assert fake.bytes_sent == 0
    assert issubclass(RangesUnsupportedError, errors.TransferError)


def test_small_archive_answered_200_is_still_no_range_support(
    driver: str, fake: ArchiveServer
) -> None:
    """Even an archive smaller than the tail is not taken from a 200: ranges are unsupported."""
    fake.archive = make_zip({"b.txt": b"b"})
    fake.ranges_supported = False
    with pytest.raises(RangesUnsupportedError):
        run_flow(driver, open_remote_zip(TASK_ID))
