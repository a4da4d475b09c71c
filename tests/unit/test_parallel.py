"""Parallel ranges (_parallel, _ranges): one resume model across modes, cancellation, changes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from transfer_fakes import (
    TASK_ID,
    ArchiveServer,
    Download,
    downloader,
    listing,
    make_output,
    serve,
    unserve,
    use_handler,
)

import inductiva
from inductiva import errors
from inductiva._transfers import _parallel, _part, _unzip
from inductiva._transfers._download import download_flow
from inductiva._transfers._part import PartState
from inductiva._transfers._ranges import Closed, RangePlan

FILES = {"big.bin": os.urandom(1_200_000), "small.txt": b"small\n" * 100}
ARCHIVE = make_output(FILES, stored=True)
SIZE = len(ARCHIVE)
OTHER = {"sync": "async", "async": "sync"}


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ArchiveServer]:
    """A fake API; every connection counts as slow, so a download splits into 4 ranges."""
    srv = ArchiveServer(ARCHIVE)
    serve(monkeypatch, srv)
    monkeypatch.setattr(_parallel, "MIN_PARALLEL_BYTES", 1024)
    monkeypatch.setattr(_parallel, "SPLIT_BELOW", 1 << 60)
    monkeypatch.setattr(_parallel, "PROBE_BYTES", 64 * 1024)
    monkeypatch.setattr(inductiva, "download_connections", 4)
    yield srv
    unserve()


def _part_state(root: Path) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((root / ".inductiva/output.zip.part.json").read_text())
    return loaded


def _assert_files(out: Path) -> None:
    assert (out / "big.bin").read_bytes() == FILES["big.bin"]
    assert listing(out) == ["big.bin", "small.txt"]


def _interrupted(download: Download, server: ArchiveServer, root: Path) -> None:
    """A call whose 4 ranges all drop after 100,000 bytes, without retries: ranges kept."""
    server.drop_after, server.drop_times = 100_000, 4
    with pytest.raises(errors.ApiConnectionError, match="resumes on the next call"):
        download(TASK_ID, output_dir=root)
    server.drop_after, server.drop_times = None, 0


def test_ranges_give_the_same_files(
    download: Download, server: ArchiveServer, tmp_path: Path
) -> None:
    """The plain GET serves the first range, three more go at once, each pinned by If-Range."""
    _assert_files(download(TASK_ID, output_dir=tmp_path))
    ranges = server.ranges()
    assert ranges[0] is None and len(ranges) == 4
    ranged = [r.headers.get("If-Range") for r in server.requests if r.headers.get("Range")]
    assert ranged == [server.etag] * 3
    assert SIZE <= server.bytes_sent < SIZE + 65536  # at most one chunk past the first range


def test_interrupted_ranges_continue_in_a_later_extracting_call(
    driver: str, server: ArchiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ranges kept by one driver are continued by the other with uncompress=True (the default)."""
    monkeypatch.setattr(inductiva, "max_retries", 0)
    _interrupted(downloader(OTHER[driver]), server, tmp_path)
    state = _part_state(tmp_path)
    assert isinstance(state["segments"], list) and len(state["segments"]) == 4
    held = _check_kept_ranges(tmp_path)
    assert 100_000 <= held <= 4 * 100_000
    server.bytes_sent = 0
    _assert_files(downloader(driver)(TASK_ID, output_dir=tmp_path))
    assert server.bytes_sent == SIZE - held  # only what was missing


def test_a_complete_ranged_part_is_extracted_without_downloading_again(
    download: Download, server: ArchiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ranges complete, extraction interrupted: the next call only extracts (answered 416)."""

    def interrupted(self: _unzip.BatchWriter, job: _unzip.Job) -> None:
        raise KeyboardInterrupt

    original = _unzip.BatchWriter.add
    monkeypatch.setattr(_unzip.BatchWriter, "add", interrupted)
    with pytest.raises(KeyboardInterrupt):
        download(TASK_ID, output_dir=tmp_path)
    assert _part_state(tmp_path)["segments"] is None  # whole: recorded as a plain prefix
    monkeypatch.setattr(_unzip.BatchWriter, "add", original)
    sent = server.bytes_sent
    _assert_files(download(TASK_ID, output_dir=tmp_path))
    assert server.bytes_sent == sent and server.ranges()[-1] == f"bytes={SIZE}-"


def test_a_single_stream_part_continues_as_ranges(
    download: Download, server: ArchiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A prefix kept by one stream is continued from its end, the rest split into ranges."""
    monkeypatch.setattr(inductiva, "max_retries", 0)
    monkeypatch.setattr(_parallel, "SPLIT_BELOW", 1)  # fast: one stream
    server.drop_after, server.drop_times = 100_000, 1
    with pytest.raises(errors.ApiConnectionError):
        download(TASK_ID, output_dir=tmp_path)
    monkeypatch.setattr(_parallel, "SPLIT_BELOW", 1 << 60)
    server.bytes_sent = 0
    _assert_files(download(TASK_ID, output_dir=tmp_path))
    ranges = server.ranges()
    assert ranges[1] == "bytes=100000-" and len(ranges) == 2 + 3  # it serves 1 of 4 ranges
    assert SIZE - 100_000 <= server.bytes_sent < SIZE - 100_000 + 65536


def test_archive_changed_under_ranges_is_fetched_again_as_one_stream(
    download: Download, server: ArchiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A range answered 200 (If-Range refused) ends the ranges; one plain stream follows."""
    new_files = {**FILES, "small.txt": b"newer\n"}
    original = server.handle
    swapped: list[bool] = []

    def swap(request: httpx.Request) -> httpx.Response:
        if not swapped and request.headers.get("If-Range"):
            server.archive, server.etag = make_output(new_files, stored=True), '"v2"'
            swapped.append(True)
        return original(request)

    use_handler(swap)
    out = download(TASK_ID, output_dir=tmp_path)
    assert (out / "small.txt").read_bytes() == b"newer\n"
    assert server.ranges()[-1] is None  # the last request: the whole new archive
    assert not (tmp_path / ".inductiva").exists()


class _Slow(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body trickling in 16 KiB chunks, 0.1 s apart."""

    def __init__(self, server: ArchiveServer, data: bytes) -> None:
        self.server, self.data = server, data

    def _pieces(self) -> Iterator[bytes]:
        for pos in range(0, len(self.data), 16384):
            piece = self.data[pos : pos + 16384]
            self.server.bytes_sent += len(piece)
            yield piece

    def __iter__(self) -> Iterator[bytes]:
        for piece in self._pieces():
            time.sleep(0.1)
            yield piece

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self._pieces():
            await asyncio.sleep(0.1)
            yield piece


def _slowly(server: ArchiveServer) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        response = server.handle(request)
        if not request.url.path.endswith("/output"):
            return response
        body = response.read()
        return httpx.Response(
            response.status_code, headers=response.headers, stream=_Slow(server, body)
        )

    use_handler(handle)


def _check_kept_ranges(root: Path) -> int:
    """The sidecar's ranges hold exactly the archive's bytes; the number of bytes held."""
    state = _part_state(root)
    data = (root / ".inductiva/output.zip.part").read_bytes()
    assert len(data) == SIZE and isinstance(state["segments"], list)
    held = 0
    for start, _end, have in state["segments"]:
        assert data[start : start + have] == ARCHIVE[start : start + have]
        held += have
    assert not (root / ".inductiva/lock").exists()
    return held


def test_ctrl_c_stops_every_range_within_a_second_and_keeps_them(
    driver: str, server: ArchiveServer, tmp_path: Path
) -> None:
    """Ctrl-C during blocking ranges ends the call within ~1 s; the next call resumes them."""
    _slowly(server)
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            downloader("sync")(TASK_ID, output_dir=tmp_path)
    finally:
        timer.cancel()
    held = _check_kept_ranges(tmp_path)
    assert 0 < held < SIZE
    use_handler(server.handle)
    server.bytes_sent = 0
    _assert_files(downloader(driver)(TASK_ID, output_dir=tmp_path))
    assert server.bytes_sent == SIZE - held


def test_ctrl_c_during_ranges_returns_promptly(server: ArchiveServer, tmp_path: Path) -> None:
    """From the signal to the KeyboardInterrupt reaching the caller: under 1.5 s."""
    _slowly(server)
    fired: list[float] = []

    def interrupt() -> None:
        fired.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(1.0, interrupt)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            downloader("sync")(TASK_ID, output_dir=tmp_path)
        ended = time.monotonic()
    finally:
        timer.cancel()
    assert fired and ended - fired[0] < 1.5


def test_asyncio_cancel_stops_the_ranges_and_keeps_them(
    server: ArchiveServer, tmp_path: Path
) -> None:
    """Cancelling the awaiting task ends the ranges within ~1 s, keeping what they wrote."""
    _slowly(server)
    core = inductiva._http.default_core()

    async def main() -> float:
        job = asyncio.ensure_future(core.run_async(download_flow(TASK_ID, output_dir=tmp_path)))
        await asyncio.sleep(1.0)
        job.cancel()
        start = time.monotonic()
        with pytest.raises(asyncio.CancelledError):
            await job
        return time.monotonic() - start

    assert asyncio.run(main()) < 1.0
    assert 0 < _check_kept_ranges(tmp_path) < SIZE


def test_writes_after_the_plan_closed_are_refused(tmp_path: Path) -> None:
    """A range abandoned after close() writes nothing and counts nothing; the sidecar is exact."""
    part = tmp_path / "output.zip.part"
    plan = RangePlan(TASK_ID, part, PartState(TASK_ID, '"e"', 100, ((0, 100, 0),)), 2)
    plan.open()
    first = plan.take()
    assert first is not None
    plan.write(first, b"a" * 10, lambda _n: None)
    plan.close()
    with pytest.raises(Closed):
        plan.write(first, b"b" * 10, lambda _n: None)
    assert part.read_bytes()[:20] == b"a" * 10 + bytes(10)
    loaded = _part.load(part, TASK_ID)
    assert loaded is not None and loaded.held == 10


def test_kept_ranges_are_split_again_for_the_connections_of_the_call(tmp_path: Path) -> None:
    """Complete ranges merge into the next; what is missing is spread over the connections."""
    part = tmp_path / "output.zip.part"
    state = PartState(TASK_ID, '"e"', 400, ((0, 100, 100), (100, 200, 50), (200, 400, 0)))
    plan = RangePlan(TASK_ID, part, state, 5)
    assert plan.segments == [
        [0, 200, 150],
        [200, 250, 0],
        [250, 300, 0],
        [300, 350, 0],
        [350, 400, 0],
    ]
    assert plan.held == 150 and plan.todo() == 5
