"""The whole archive (_resume): resumed after drops, now and later, verified as it streams."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from transfer_fakes import (
    TASK_ID,
    ArchiveServer,
    Download,
    corrupt_member,
    listing,
    make_output,
    make_zip,
    serve,
    unserve,
    use_handler,
)

import inductiva
from inductiva import errors
from inductiva._transfers import _extract

MEMBERS = {
    "stdout.txt": b"step 1\n" * 2000,
    "stderr.txt": b"",
    "results/data.bin": os.urandom(700_000),
    "results/summary.csv": b"time,value\n" + b"1,2\n" * 5000,
}


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ArchiveServer]:
    """A fake API serving MEMBERS (under artifacts/, with output.json) as the output archive."""
    srv = ArchiveServer(make_output(MEMBERS))
    serve(monkeypatch, srv)
    yield srv
    unserve()


def _assert_extracted(out: Path) -> None:
    for name, data in MEMBERS.items():
        assert (out / name).read_bytes() == data, name
    assert listing(out) == ["results", *sorted(MEMBERS)]


@pytest.fixture
def legacy(monkeypatch: pytest.MonkeyPatch) -> Iterator[ArchiveServer]:
    """A fake API without byte ranges (200 and the whole archive, no ETag)."""
    srv = ArchiveServer(make_output(MEMBERS), ranges=False)
    serve(monkeypatch, srv)
    yield srv
    unserve()


def test_dropped_connection_resumes_within_the_call(
    download: Download, server: ArchiveServer, tmp_path: Path
) -> None:
    """Drops mid-stream resume with Range + If-Range; fewer than 2x the archive is sent."""
    server.drop_after, server.drop_times = 300_000, 2
    out = download(TASK_ID, output_dir=tmp_path / "out")
    _assert_extracted(out)
    assert server.ranges() == [None, "bytes=300000-", "bytes=600000-"]
    assert [r.headers.get("If-Range") for r in server.requests[1:]] == [server.etag] * 2
    assert server.bytes_sent == len(server.archive)


def test_a_later_call_resumes_a_kept_partial_download(
    download: Download, server: ArchiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Out of retries, the .part and its ETag sidecar are kept; the next call continues them."""
    monkeypatch.setattr(inductiva, "max_retries", 0)
    server.drop_after, server.drop_times = 250_000, 1
    with pytest.raises(errors.ApiConnectionError, match="resumes on the next call"):
        download(TASK_ID, output_dir=tmp_path, uncompress=False)
    assert listing(tmp_path) == [
        ".inductiva",
        ".inductiva/output.zip.part",
        ".inductiva/output.zip.part.json",
    ]
    assert (tmp_path / ".inductiva" / "output.zip.part").stat().st_size == 250_000
    sidecar = json.loads((tmp_path / ".inductiva" / "output.zip.part.json").read_text())
    assert sidecar["etag"] == server.etag
    download(TASK_ID, output_dir=tmp_path, uncompress=False)
    assert server.ranges()[-1] == "bytes=250000-"
    assert listing(tmp_path) == ["output.zip"]
    assert (tmp_path / "output.zip").read_bytes() == server.archive


def test_changed_archive_restarts_from_zero(
    download: Download, server: ArchiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If-Range with a stale ETag gets a 200: the .part is replaced by the new archive."""
    monkeypatch.setattr(inductiva, "max_retries", 0)
    server.drop_after, server.drop_times = 100_000, 1
    with pytest.raises(errors.ApiConnectionError):
        download(TASK_ID, output_dir=tmp_path, uncompress=False)
    server.archive, server.etag = make_zip({"new.txt": b"new" * 50_000}), '"v2"'
    download(TASK_ID, output_dir=tmp_path, uncompress=False)
    assert (tmp_path / "output.zip").read_bytes() == server.archive
    assert listing(tmp_path) == ["output.zip"]


def test_complete_part_with_unchanged_etag_is_not_fetched_again(
    download: Download, server: ArchiveServer, tmp_path: Path
) -> None:
    """A .part already holding the whole archive is answered 416 and just verified."""
    size = len(server.archive)
    (tmp_path / ".inductiva").mkdir()
    (tmp_path / ".inductiva" / "output.zip.part").write_bytes(server.archive)
    state = {"task_id": TASK_ID, "etag": server.etag, "size": size}
    (tmp_path / ".inductiva" / "output.zip.part.json").write_text(json.dumps(state))
    download(TASK_ID, output_dir=tmp_path, uncompress=False)
    assert server.ranges() == ["bytes=-65536", f"bytes={size}-"]
    assert server.bytes_sent == 65536  # the directory tail only
    assert listing(tmp_path) == ["output.zip"]


def test_crc_mismatch_raises_integrity_error_and_leaves_nothing(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A corrupt member fails verification: no extracted file, no zip, no .part remain."""
    archive = corrupt_member(make_output(MEMBERS, stored=True), "artifacts/results/data.bin")
    serve(monkeypatch, ArchiveServer(archive))
    try:
        for uncompress in (True, False):
            with pytest.raises(errors.IntegrityError, match=r"results/data\.bin"):
                download(TASK_ID, output_dir=tmp_path / "out", uncompress=uncompress)
            assert listing(tmp_path) == []
    finally:
        unserve()


def test_truncated_body_is_an_integrity_error(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A body shorter than its Content-Length is caught, never saved as the archive."""
    srv = ArchiveServer(make_output(MEMBERS))

    def short(request: httpx.Request) -> httpx.Response:
        full = srv.handle(request)
        body = full.read()[:-1000]
        return httpx.Response(200, headers={"Content-Length": str(len(full.content))}, content=body)

    serve(monkeypatch, srv)
    use_handler(short)
    try:
        with pytest.raises(errors.IntegrityError, match="bytes of a"):
            download(TASK_ID, output_dir=tmp_path / "out", uncompress=False)
        assert listing(tmp_path) == []
    finally:
        unserve()


def test_timeout_before_any_byte_leaves_no_part(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A timeout on every attempt raises ApiTimeoutError with no partial file left."""

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    serve(monkeypatch, ArchiveServer(b""), max_retries=1)
    use_handler(slow)
    try:
        with pytest.raises(errors.ApiTimeoutError):
            download(TASK_ID, output_dir=tmp_path / "out")
        assert listing(tmp_path) == []
    finally:
        unserve()


def test_kept_zip_is_verified_while_streaming(
    download: Download, server: ArchiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With uncompress=False the CRCs are checked during the download, not in a second pass."""

    def second_pass(_path: Path) -> int:
        raise AssertionError("the archive was read again after downloading")

    monkeypatch.setattr(_extract, "verify_archive", second_pass)
    server.drop_after, server.drop_times = 200_000, 1
    download(TASK_ID, output_dir=tmp_path, uncompress=False)
    assert (tmp_path / "output.zip").read_bytes() == server.archive


def test_corrupted_partial_file_on_disk_is_caught_on_resume(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Bytes damaged in a kept .part are caught when the next call resumes; nothing is kept."""
    archive = make_output(MEMBERS, stored=True)
    srv = ArchiveServer(archive)
    serve(monkeypatch, srv, max_retries=0)
    try:
        srv.drop_after, srv.drop_times = 400_000, 1
        with pytest.raises(errors.ApiConnectionError):
            download(TASK_ID, output_dir=tmp_path, uncompress=False)
        part = tmp_path / ".inductiva" / "output.zip.part"
        data = bytearray(part.read_bytes())
        data[300_000] ^= 0xFF
        part.write_bytes(bytes(data))
        with pytest.raises(errors.IntegrityError, match="corrupt"):
            download(TASK_ID, output_dir=tmp_path, uncompress=False)
        assert listing(tmp_path) == []
    finally:
        unserve()


def test_legacy_dropped_connection_restarts_from_zero(
    download: Download, legacy: ArchiveServer, tmp_path: Path
) -> None:
    """Without ETag/Range a drop is retried from byte 0, with no Range header and no error."""
    legacy.drop_after, legacy.drop_times = 300_000, 2
    out = download(TASK_ID, output_dir=tmp_path / "out")
    _assert_extracted(out)
    assert legacy.ranges() == [None, None, None]
    assert listing(out) == ["results", *sorted(MEMBERS)]


def test_legacy_kept_partial_download_restarts_on_the_next_call(
    download: Download, legacy: ArchiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A .part left by a dropped legacy download is replaced by the next call's fresh copy."""
    monkeypatch.setattr(inductiva, "max_retries", 0)
    legacy.drop_after, legacy.drop_times = 250_000, 1
    with pytest.raises(errors.ApiConnectionError):
        download(TASK_ID, output_dir=tmp_path)
    assert (tmp_path / ".inductiva" / "output.zip.part").stat().st_size == 250_000
    download(TASK_ID, output_dir=tmp_path)
    _assert_extracted(tmp_path)
    assert legacy.ranges() == [None, None]
