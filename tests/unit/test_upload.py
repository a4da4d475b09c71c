"""inductiva._transfers._upload: input zips (sim_dir/ + input.json) and upload_flow, sent as
multipart while the zip is built, re-sent only when the body was not taken; under both drivers
(the asyncio one makes the zip's bytes in a thread, never on the event loop)."""

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
from task_fakes import FakeApi, Run, input_zip, simulated_time

import inductiva
from inductiva import errors
from inductiva._transfers import _progress, _upload, _zipwrite
from inductiva._transfers._upload import build_input_zip, upload_flow, zip_directory

TASK_ID = "1691150776862178362"
PARAMS = {"commands": [{"cmd": "simpleFoam", "prompts": []}], "n_cores": 2}
LAYOUT = [
    "input.json",
    "sim_dir/",
    "sim_dir/constant/props.txt",
    "sim_dir/empty/",
    "sim_dir/mesh.bin",
]


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> FakeApi:
    """The in-memory API with TASK_ID waiting for its input, on simulated time."""
    api = FakeApi()
    simulated_time(monkeypatch, api.clock)
    api.add(TASK_ID, "pending-input")
    return api


@pytest.fixture
def client(server: FakeApi) -> Iterator[inductiva.Client]:
    """A client of the server: 3 retries, no progress bars."""
    with server.client(max_retries=3, progress=False) as client:
        yield client


@pytest.fixture
def upload(client: inductiva.Client, run: Run) -> Any:
    """``upload(input_dir, params=PARAMS)``: upload_flow for TASK_ID, under the test's driver."""

    def send(input_dir: Path, params: dict[str, Any] = PARAMS) -> None:
        run(client._core.run, upload_flow(TASK_ID, input_dir, params))

    return send


@pytest.fixture
def input_dir(tmp_path: Path) -> Path:
    """An input directory with nested text, a random blob and an empty directory."""
    root = tmp_path / "input"
    (root / "constant").mkdir(parents=True)
    (root / "constant" / "props.txt").write_text("nu 1e-5\n" * 20_000)
    (root / "mesh.bin").write_bytes(os.urandom(300_000))
    (root / "empty").mkdir()
    return root


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        return {i.filename: zf.read(i) for i in zf.infolist()}


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


# -- the input zip --------------------------------------------------------------------------


def test_zip_directory_round_trips(input_dir: Path, tmp_path: Path) -> None:
    """Every file (relative POSIX names, deflated) and empty directory is zipped; size returned."""
    dest = tmp_path / "in.zip"
    size = zip_directory(input_dir, dest)
    assert size == dest.stat().st_size
    members = _members(dest.read_bytes())
    assert sorted(members) == ["constant/props.txt", "empty/", "mesh.bin"]
    assert members["mesh.bin"] == (input_dir / "mesh.bin").read_bytes()
    with zipfile.ZipFile(dest) as zf:
        assert zf.getinfo("constant/props.txt").compress_type == zipfile.ZIP_DEFLATED


def test_zip_directory_skips_its_own_destination(input_dir: Path) -> None:
    """A destination inside the source directory is not zipped into itself."""
    dest = input_dir / "self.zip"
    zip_directory(input_dir, dest)
    assert "self.zip" not in _members(dest.read_bytes())


def test_input_zip_has_the_eras_layout(input_dir: Path, tmp_path: Path) -> None:
    """The input directory goes under sim_dir/ and the params into input.json at the root."""
    dest = tmp_path / "in.zip"
    assert build_input_zip(input_dir, PARAMS, dest) == dest.stat().st_size
    members, document = input_zip(dest.read_bytes())
    assert sorted(members) == LAYOUT
    assert document == {**PARAMS, "sim_dir": "sim_dir"}
    assert members["sim_dir/mesh.bin"] == (input_dir / "mesh.bin").read_bytes()


def test_empty_input_dir_still_has_sim_dir(tmp_path: Path) -> None:
    """An empty input directory is zipped as the sim_dir/ entry, so the server finds it."""
    (tmp_path / "empty").mkdir()
    build_input_zip(tmp_path / "empty", {}, tmp_path / "in.zip")
    members, document = input_zip((tmp_path / "in.zip").read_bytes())
    assert sorted(members) == ["input.json", "sim_dir/"] and document == {"sim_dir": "sim_dir"}


def test_params_that_are_not_json_are_rejected(input_dir: Path, tmp_path: Path) -> None:
    """A parameter JSON cannot hold is an InvalidArgumentError, not a TypeError."""
    with pytest.raises(errors.InvalidArgumentError, match="not JSON"):
        build_input_zip(input_dir, {"when": object()}, tmp_path / "in.zip")


# -- the upload -------------------------------------------------------------------------------


def test_upload_is_multipart_with_part_file(server: FakeApi, upload: Any, input_dir: Path) -> None:
    """The body is multipart/form-data with one part `file` (input.zip) and a Content-Length."""
    upload(input_dir)
    (request,) = server.requests
    assert request.url.path == f"/tasks/{TASK_ID}/input"
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert int(request.headers["Content-Length"]) == len(request.content)
    (parts,) = server.upload_parts
    assert list(parts) == ["file"] and parts["file"][0] == "input.zip"
    members, document = input_zip(server.uploads[0])
    assert sorted(members) == LAYOUT and document["sim_dir"] == "sim_dir"
    props = (input_dir / "constant" / "props.txt").read_bytes()
    assert members["sim_dir/constant/props.txt"] == props
    assert server.tasks[TASK_ID]["status"] == "submitted"


def test_async_upload_sends_the_blocking_uploads_zip(
    server: FakeApi, client: inductiva.Client, input_dir: Path
) -> None:
    """The asyncio upload sends the zip the blocking one sends (input.json's time aside)."""
    client._core.run(upload_flow(TASK_ID, input_dir, PARAMS))
    asyncio.run(client._core.run_async(upload_flow(TASK_ID, input_dir, PARAMS)))
    sync, async_ = server.uploads
    assert [e[0] for e in _entries(async_)] == [e[0] for e in _entries(sync)]
    assert sorted(e[0] for e in _entries(async_)) == LAYOUT
    assert _entries(async_)[:-1] == _entries(sync)[:-1]  # input.json's time may differ
    assert _entries(async_)[-1][1:] == _entries(sync)[-1][1:]
    assert server.upload_parts[1]["file"][0] == "input.zip"


def test_upload_deflates_text_and_stores_incompressible_files(
    server: FakeApi, upload: Any, input_dir: Path
) -> None:
    """Compressible input shrinks; random bytes are stored, not deflated again."""
    upload(input_dir)
    with zipfile.ZipFile(io.BytesIO(server.uploads[0])) as zf:
        text = zf.getinfo("sim_dir/constant/props.txt")
        blob = zf.getinfo("sim_dir/mesh.bin")
    assert text.compress_type == zipfile.ZIP_DEFLATED
    assert text.compress_size < text.file_size // 10
    assert blob.compress_type == zipfile.ZIP_STORED and blob.compress_size == 300_000
    assert len(server.uploads[0]) < 400_000


def test_upload_streams_in_chunks_with_progress(
    server: FakeApi, upload: Any, input_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The zip is read in bounded chunks through the progress reader, never whole."""
    reads: list[int] = []
    original = _progress.ProgressReader.read

    def spy(self: _progress.ProgressReader, size: int | None = -1) -> bytes:
        data = original(self, size)
        reads.append(len(data))
        return data

    monkeypatch.setattr(_progress.ProgressReader, "read", spy)
    upload(input_dir)
    assert len([n for n in reads if n]) >= 4
    assert max(reads) <= 64 * 1024
    assert sum(reads) == len(server.uploads[0])  # the zip, read once through the bar


def test_progress_bar_counts_every_byte(
    server: FakeApi, input_dir: Path, monkeypatch: pytest.MonkeyPatch, run: Run
) -> None:
    """The upload bar (progress on) ends at the zip's size."""
    bars: list[object] = []
    original = _upload.byte_bar

    def recording(*args: object, **kwargs: object) -> object:
        bar = original(*args, **kwargs)  # type: ignore[arg-type]
        bars.append(bar)
        return bar

    monkeypatch.setattr(_upload, "byte_bar", recording)
    monkeypatch.setenv("INDUCTIVA_PROGRESS", "1")
    with server.client() as client:
        run(client._core.run, upload_flow(TASK_ID, input_dir, PARAMS))
    (bar,) = bars
    assert bar.n == bar.total == len(server.uploads[0])  # type: ignore[attr-defined]


def test_missing_directory_is_a_clear_error(server: FakeApi, upload: Any, tmp_path: Path) -> None:
    """A path that does not exist or is a file raises InvalidArgumentError; nothing is sent."""
    with pytest.raises(errors.InvalidArgumentError, match="does not exist"):
        upload(tmp_path / "nope")
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(errors.InvalidArgumentError, match="not a directory"):
        upload(tmp_path / "f.txt")
    assert server.requests == []


def test_refused_upload_is_sent_again_from_the_start(
    server: FakeApi, upload: Any, input_dir: Path
) -> None:
    """A 429 then a 503 (body not taken) are re-sent whole; the last body is a valid zip."""
    server.upload_status = [429, 503]
    upload(input_dir)
    assert len(server.requests) == 3
    assert sorted(_members(server.uploads[0])) == LAYOUT
    sizes = {len(r.content) for r in server.requests}
    assert len(sizes) == 1  # each attempt sent it whole


@pytest.mark.parametrize(
    ("failure", "resent"),
    [(httpx.ConnectError("refused"), True), (httpx.ReadError("reset after sending"), False)],
)
def test_upload_is_resent_only_after_failures_before_sending(
    server: FakeApi,
    input_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    run: Run,
    failure: httpx.TransportError,
    resent: bool,
) -> None:
    """A connection never made is re-sent; one that may have delivered the body is raised."""
    calls: list[httpx.Request] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            raise failure
        return server(request)

    transport = httpx.MockTransport(flaky)
    client = inductiva.Client(
        "k", "http://fake.test", transport=transport, async_transport=transport, progress=False
    )
    flow = upload_flow(TASK_ID, input_dir, PARAMS)
    if resent:
        run(client._core.run, flow)
        assert sorted(_members(server.uploads[0])) == LAYOUT
    else:
        with pytest.raises(errors.ApiConnectionError, match="reset after sending"):
            run(client._core.run, flow)
    assert len(calls) == (2 if resent else 1)


def test_conflict_is_not_retried(server: FakeApi, upload: Any, input_dir: Path) -> None:
    """A 409 (task not pending-input) raises ConflictError after one attempt."""
    server.upload_status = [409]
    with pytest.raises(errors.ConflictError):
        upload(input_dir)
    assert len(server.requests) == 1


def test_upload_writes_no_temporary_file(
    server: FakeApi, upload: Any, input_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The upload streams the zip as it is built: no temporary file, not even a removed one."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr("tempfile.tempdir", None)

    def forbidden(*args: object, **kwargs: object) -> object:
        raise AssertionError("the upload made a temporary file")

    for name in ("mkstemp", "mkdtemp", "NamedTemporaryFile", "TemporaryFile", "TemporaryDirectory"):
        monkeypatch.setattr(tempfile, name, forbidden)
    monkeypatch.setattr(_upload, "build_input_zip", forbidden)
    upload(input_dir)
    assert list(tmp.iterdir()) == []
    with zipfile.ZipFile(io.BytesIO(server.uploads[-1])) as zf:
        assert zf.testzip() is None


def test_async_upload_does_not_deflate_on_the_event_loop(
    server: FakeApi, client: inductiva.Client, input_dir: Path, monkeypatch: pytest.MonkeyPatch
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
        await client._core.run_async(upload_flow(TASK_ID, input_dir, PARAMS))
        return threading.get_ident()

    loop_thread = asyncio.run(main())
    assert threads and loop_thread not in threads
    assert sorted(_members(server.uploads[0])) == LAYOUT


def test_upload_raises_the_readers_error_and_leaves_no_thread_or_file(
    server: FakeApi, upload: Any, input_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that changes size after planning is a TransferError; no thread or file stays open."""
    planned = _upload.input_zip

    def plan_then_change(path: Path, params: Any) -> _zipwrite.InputZip:
        stream = planned(path, params)
        (input_dir / "mesh.bin").write_bytes(os.urandom(1000))
        return stream

    monkeypatch.setattr(_upload, "input_zip", plan_then_change)
    before = set(threading.enumerate())
    with pytest.raises(errors.TransferError, match="changed size"):
        upload(input_dir)
    assert _reader_threads() == []
    assert set(threading.enumerate()) <= before
    assert _open_paths(input_dir) == []
    assert server.uploads == []
