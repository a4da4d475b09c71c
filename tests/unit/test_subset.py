"""Selected files on a server without byte ranges (_subset): ?filename= subset archives."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from transfer_fakes import (
    TASK_ID,
    ArchiveServer,
    Download,
    listing,
    make_output,
    make_zip,
    serve,
    unserve,
)

from inductiva import errors
from inductiva._transfers import _subset

BIG = os.urandom(3_000_000)


MEMBERS = {
    "stdout.txt": b"log line\n" * 500,
    "stderr.txt": b"",
    "important_file1.txt": os.urandom(200_000),
    "important_file2.txt": os.urandom(100_000),
    "bulk/trajectory.bin": BIG,
    "bulk/frames/0.dat": b"frame0" * 1000,
    "bulk/frames/1.dat": b"frame1" * 1000,
    "tail.txt": b"the end\n",
}


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ArchiveServer]:
    """A fake API serving MEMBERS (deflated, under artifacts/) as the task's output archive."""
    srv = ArchiveServer(make_output(MEMBERS))
    serve(monkeypatch, srv)
    yield srv
    unserve()


@pytest.fixture
def legacy(monkeypatch: pytest.MonkeyPatch) -> Iterator[ArchiveServer]:
    """A fake API without byte ranges: a Range request gets 200 and the whole archive."""
    srv = ArchiveServer(make_output(MEMBERS), ranges=False)
    serve(monkeypatch, srv)
    yield srv
    unserve()


def test_range_answered_200_is_closed_unread_and_the_subset_is_fetched(
    download: Download, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A server declaring byte-ranges but answering 200: closed unread, ?filename= used."""
    srv = ArchiveServer(make_output(MEMBERS), ranges=False, claims_ranges=True)
    serve(monkeypatch, srv)
    names = ["important_file1.txt", "tail.txt"]
    try:
        out = download(TASK_ID, filenames=names, output_dir=tmp_path)
    finally:
        unserve()
    assert listing(out) == sorted(names)
    for name in names:
        assert (out / name).read_bytes() == MEMBERS[name]
    assert srv.ranges() == ["bytes=-65536"]
    assert srv.subset_requests() == [names]
    subset = len(make_zip({n: MEMBERS[n] for n in names}))
    assert srv.bytes_sent == subset  # not one byte of the 3 MB full archive
    paths = [r.url.path for r in srv.requests]
    assert paths[-2:] == [f"/tasks/{TASK_ID}/output/list", f"/tasks/{TASK_ID}/output"]


def test_server_without_byte_ranges_gets_no_range_request(
    download: Download, legacy: ArchiveServer, tmp_path: Path
) -> None:
    """No byte-ranges in GET /version (404 here): straight to output/list and the subset."""
    out = download(TASK_ID, filenames=["tail.txt"], output_dir=tmp_path)
    assert listing(out) == ["tail.txt"]
    assert legacy.ranges() == []
    assert [r.url.path.rsplit("/", 1)[-1] for r in legacy.requests] == ["version", "list", "output"]
    assert legacy.bytes_sent == len(make_zip({"tail.txt": MEMBERS["tail.txt"]}))


def test_legacy_unknown_names_are_resolved_before_any_download(
    download: Download, legacy: ArchiveServer, tmp_path: Path
) -> None:
    """Unknown names raise UnknownFilesError with hints from output/list; no subset is fetched."""
    with pytest.raises(errors.UnknownFilesError, match=r"important_file2\.txt") as info:
        download(TASK_ID, filenames=["importnt_file2.txt"], output_dir=tmp_path / "o")
    assert info.value.missing == ["importnt_file2.txt"]
    assert legacy.subset_requests() == []
    assert not (tmp_path / "o").exists()


def test_legacy_subset_missing_a_file_is_an_integrity_error(
    download: Download, legacy: ArchiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A subset archive lacking an asked-for file raises IntegrityError; nothing is left."""
    original = legacy._subset
    monkeypatch.setattr(legacy, "_subset", lambda names: original(names[:1]))
    with pytest.raises(errors.IntegrityError, match=r"tail\.txt"):
        download(TASK_ID, filenames=["stdout.txt", "tail.txt"], output_dir=tmp_path / "o")
    assert listing(tmp_path) == []


def test_legacy_dropped_subset_is_fetched_again(
    download: Download, legacy: ArchiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection dropped while reading the subset fetches it again, then succeeds."""
    original = legacy._subset
    drops = [1]

    def dropping(names: list[str]) -> httpx.Response:
        response = original(names)
        if drops:
            drops.pop()
            response.stream = _Broken()
        return response

    class _Broken(httpx.SyncByteStream, httpx.AsyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield b"PK"
            raise httpx.ReadError("dropped")

        async def __aiter__(self) -> AsyncIterator[bytes]:
            for chunk in self:
                yield chunk

    monkeypatch.setattr(legacy, "_subset", dropping)
    out = download(TASK_ID, filenames=["stdout.txt"], output_dir=tmp_path)
    assert listing(out) == ["stdout.txt"]
    assert len(legacy.subset_requests()) == 2


def test_long_name_lists_are_split_over_requests(
    download: Download, legacy: ArchiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No subset URL grows past the query limit: the names go in several requests."""
    monkeypatch.setattr(_subset, "MAX_QUERY", 60)
    monkeypatch.setattr(_subset.subset_batches, "__defaults__", (60,))
    names = ["important_file1.txt", "important_file2.txt", "stdout.txt", "tail.txt"]
    out = download(TASK_ID, filenames=names, output_dir=tmp_path)
    assert listing(out) == sorted(names)
    batches = legacy.subset_requests()
    assert len(batches) > 1 and [n for batch in batches for n in batch] == names
