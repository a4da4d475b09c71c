"""upload_input_async and its AheadReader: the sync path's streamed zip, made off the event loop."""

from __future__ import annotations

import asyncio
import io
import os
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from transfer_fakes import TASK_ID, ArchiveServer, serve, unserve

from inductiva import _client, errors
from inductiva._transfers import _ahead, _aupload, _upload, _zipwrite
from inductiva._transfers._aupload import upload_input_async
from inductiva._transfers._upload import upload_input

PARAMS = {"commands": [{"cmd": "simpleFoam", "prompts": []}], "n_cores": 2}
LAYOUT = [
    "sim_dir/",
    "sim_dir/mesh.bin",
    "sim_dir/constant/props.txt",
    "sim_dir/empty/",
    "input.json",
]


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ArchiveServer]:
    """A fake API accepting uploads for TASK_ID, on the sync and the async pool."""
    srv = ArchiveServer(b"")
    serve(monkeypatch, srv)
    _client.set_transport(srv.transport(), srv.transport())
    yield srv
    unserve()


@pytest.fixture
def input_dir(tmp_path: Path) -> Path:
    """An input directory with a text file, a random blob and an empty directory."""
    root = tmp_path / "input"
    (root / "constant").mkdir(parents=True)
    (root / "constant" / "props.txt").write_text("nu 1e-5\n" * 20_000)
    (root / "mesh.bin").write_bytes(os.urandom(300_000))
    (root / "empty").mkdir()
    return root


def _entries(data: bytes) -> list[tuple[str, int, int, int, bytes]]:
    """Each member in order: name, method, compressed size, CRC and content."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        return [
            (i.filename, i.compress_type, i.compress_size, i.CRC, zf.read(i)) for i in zf.infolist()
        ]


def _reader_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "inductiva-upload-reader"]


def _open_paths(root: Path) -> list[str]:
    """Files under ``root`` this process holds open (Linux; empty elsewhere)."""
    fds = Path("/proc/self/fd")
    if not fds.is_dir():
        return []
    paths = []
    for fd in fds.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(root)):
            paths.append(target)
    return paths


def test_async_upload_builds_no_temporary_archive_and_sends_the_sync_zip(
    server: ArchiveServer, input_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No temporary file or build_input_zip; the zip's members equal the sync upload's."""
    upload_input(TASK_ID, input_dir, PARAMS)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr("tempfile.tempdir", None)

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the async upload made a temporary archive")

    for name in ("mkstemp", "mkdtemp", "NamedTemporaryFile", "TemporaryDirectory"):
        monkeypatch.setattr(tempfile, name, forbidden)
    monkeypatch.setattr(_upload, "build_input_zip", forbidden)
    asyncio.run(upload_input_async(TASK_ID, input_dir, PARAMS))
    assert list(tmp.iterdir()) == []
    sync, async_ = server.uploads
    assert [e[0] for e in _entries(async_)] == LAYOUT
    assert _entries(async_)[:-1] == _entries(sync)[:-1]  # input.json's time may differ
    assert _entries(async_)[-1][1:] == _entries(sync)[-1][1:]
    assert server.upload_parts[1]["file"][0] == "input.zip"


def test_async_upload_deflates_text_and_stores_incompressible_files(
    server: ArchiveServer, input_dir: Path
) -> None:
    """Compressible input still shrinks on the async path; random bytes are stored."""
    asyncio.run(upload_input_async(TASK_ID, input_dir, PARAMS))
    with zipfile.ZipFile(io.BytesIO(server.uploads[0])) as zf:
        text = zf.getinfo("sim_dir/constant/props.txt")
        blob = zf.getinfo("sim_dir/mesh.bin")
    assert text.compress_type == zipfile.ZIP_DEFLATED
    assert text.compress_size < text.file_size // 10
    assert blob.compress_type == zipfile.ZIP_STORED and blob.compress_size == 300_000
    assert len(server.uploads[0]) < 400_000


def test_async_refused_upload_is_sent_again_from_the_start(
    server: ArchiveServer, input_dir: Path
) -> None:
    """A 429 then a 503 (body not taken) are re-sent whole; the last body is a valid zip."""
    refusals = [429, 503]
    seen: list[int] = []

    def refusing(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/input") and refusals:
            seen.append(len(request.read()))
            status = refusals.pop(0)
            return httpx.Response(status, json={"detail": "busy"}, headers={"Retry-After": "0"})
        return server.handle(request)

    transport = httpx.MockTransport(refusing)
    _client.set_transport(transport, transport)
    asyncio.run(upload_input_async(TASK_ID, input_dir, PARAMS))
    (upload,) = server.uploads
    assert [e[0] for e in _entries(upload)] == LAYOUT
    assert seen[0] == seen[1] == len(server.requests[0].content)  # each attempt sent it whole


def test_async_upload_does_not_deflate_on_the_event_loop(
    server: ArchiveServer, input_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files beyond the cache are deflated again while sending, never on the loop's thread."""
    monkeypatch.setattr(_zipwrite, "CACHE_BYTES", 0)
    threads: set[int] = set()
    original = _zipwrite._deflate_file

    def recording(path: str, size: int) -> Iterator[tuple[bytes, bytes]]:
        for step in original(path, size):
            threads.add(threading.get_ident())
            yield step

    monkeypatch.setattr(_zipwrite, "_deflate_file", recording)

    async def main() -> int:
        await upload_input_async(TASK_ID, input_dir, PARAMS)
        return threading.get_ident()

    loop_thread = asyncio.run(main())
    assert threads and loop_thread not in threads
    assert [e[0] for e in _entries(server.uploads[0])] == LAYOUT


def test_async_upload_raises_the_readers_error_and_leaves_no_thread(
    server: ArchiveServer, input_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that changes size after planning is the sync path's TransferError; no thread stays."""
    planned = _upload.input_zip

    def plan_then_change(path: Path, params: Any) -> _zipwrite.InputZip:
        stream = planned(path, params)
        (input_dir / "mesh.bin").write_bytes(os.urandom(1000))
        return stream

    monkeypatch.setattr(_upload, "input_zip", plan_then_change)
    before = set(threading.enumerate())
    with pytest.raises(errors.TransferError, match="changed size"):
        asyncio.run(upload_input_async(TASK_ID, input_dir, PARAMS))
    assert _reader_threads() == []
    assert set(threading.enumerate()) <= before
    assert _open_paths(input_dir) == []
    assert server.uploads == []


def test_async_upload_of_a_missing_directory_is_a_clear_error(
    server: ArchiveServer, tmp_path: Path
) -> None:
    """A path that does not exist raises InvalidArgumentError; nothing is sent."""
    with pytest.raises(errors.InvalidArgumentError, match="does not exist"):
        asyncio.run(upload_input_async(TASK_ID, tmp_path / "nope", PARAMS))
    assert server.requests == []
    assert _aupload.__all__ == ["upload_input_async"]


def test_ahead_reader_reads_rewinds_and_stops_its_thread(input_dir: Path) -> None:
    """The reader yields the stream's bytes, restarts on seek(0) and ends its thread on close."""
    stream = _upload.input_zip(input_dir, PARAMS)
    reference = b"".join(iter(lambda: stream.read(65536), b""))
    reader = _ahead.AheadReader(stream, stream.size, chunk=4096, depth=2)
    assert reader.seek(0, os.SEEK_END) == stream.size and reader.tell() == 0
    first = reader.read(100_000)
    assert first == reference[: len(first)] and reader.tell() == len(first)
    with pytest.raises(io.UnsupportedOperation):
        reader.seek(10)
    assert reader.seek(0) == 0
    assert b"".join(iter(lambda: reader.read(65536), b"")) == reference
    reader.seek(0)
    reader.read(10)  # the thread now waits on a full queue
    assert len(_reader_threads()) == 1
    reader.close()
    assert _reader_threads() == [] and stream.closed
    assert _open_paths(input_dir) == []
    with pytest.raises(ValueError, match="closed"):
        reader.read(1)


def test_ahead_reader_raises_the_producers_error_until_rewound() -> None:
    """An error raised while producing comes out of read(); seek(0) starts over."""

    class Flaky(io.BytesIO):
        fail = True

        def read(self, size: int | None = -1) -> bytes:
            if self.tell() >= 10 and self.fail:
                raise errors.TransferError("disk went away")
            return super().read(size)

    source = Flaky(b"x" * 100)
    with _ahead.AheadReader(source, 100, chunk=10) as reader:
        assert reader.read(10) == b"x" * 10
        with pytest.raises(errors.TransferError, match="disk went away"):
            reader.read(10)
        with pytest.raises(errors.TransferError, match="disk went away"):
            reader.read(10)
        source.fail = False
        reader.seek(0)
        assert reader.read() == b"x" * 100
    assert _reader_threads() == []
