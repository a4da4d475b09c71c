"""Async transfers against the mock: download_outputs_async, async upload/submit, one pool."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from inductiva_mock.launcher import MockServer

import inductiva
from inductiva import _http, _simulation
from inductiva._transfers import _progress, _resume, _upload, _zipwrite

pytestmark = pytest.mark.contract

MIB = 1024 * 1024
SYNTHETIC = "test.synthetic.run_simulation"
FILES = [
    {"name": "bulk/trajectory.bin", "size": 3 * MIB, "compressible": False},
    {"name": "data/a.csv", "size": 300_000, "compressible": True},
    {"name": "small.txt", "size": 1000, "compressible": True},
]
_TASKS: dict[str, str] = {}


def _point_at(server: MockServer, mp: pytest.MonkeyPatch) -> None:
    mp.setattr(inductiva, "api_url", server.url)
    mp.setattr(inductiva, "api_key", "test-key")
    mp.setenv("INDUCTIVA_PROGRESS", "0")
    _http.reset()


def _input_dir(tmp: Path) -> Path:
    input_dir = tmp / "input"
    input_dir.mkdir(exist_ok=True)
    (input_dir / "params.txt").write_text("synthetic input\n" * 100)
    return input_dir


def _params(files: list[dict[str, Any]]) -> dict[str, Any]:
    return {"duration": 0.1, "stdout": "ran\n", "files": files}


@pytest.fixture
def server(any_mock_server: MockServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockServer]:
    """The client pointed at the default or the legacy session mock, faults cleared after."""
    _point_at(any_mock_server, monkeypatch)
    yield any_mock_server
    any_mock_server.clear_faults()
    _http.reset()


@pytest.fixture
def task_id(server: MockServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One finished synthetic task with FILES as outputs, one per mock server."""
    if server.url not in _TASKS:
        tmp = tmp_path_factory.mktemp("async-synthetic")
        task = _simulation.submit(SYNTHETIC, _params(FILES), _input_dir(tmp))
        assert task.get_status() == "success"
        _TASKS[server.url] = task.id
    return _TASKS[server.url]


def _reference(task_id: str, tmp: Path) -> dict[str, bytes]:
    """The task's files as the sync engine gets them (archive kept), relative to artifacts/."""
    inductiva.Task(task_id).download_outputs(output_dir=tmp / "reference", uncompress=False)
    with zipfile.ZipFile(tmp / "reference" / "output.zip") as zf:
        return {
            i.filename.removeprefix("artifacts/"): zf.read(i)
            for i in zf.infolist()
            if not i.is_dir() and i.filename != "output.json"
        }


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".inductiva" not in p.parts
    }


def test_async_full_download_matches_the_sync_one(
    server: MockServer, task_id: str, tmp_path: Path
) -> None:
    """download_outputs_async extracts the same verified files, and keeps a zip on request."""
    reference = _reference(task_id, tmp_path)

    async def main() -> tuple[Path, Path]:
        task = inductiva.Task(task_id)
        files = await task.download_outputs_async(output_dir=tmp_path / "files")
        kept = await task.download_outputs_async(output_dir=tmp_path / "zip", uncompress=False)
        return files, kept

    files, kept = asyncio.run(main())
    assert _files(files) == reference
    assert sorted(p.name for p in kept.iterdir()) == ["output.zip"]
    assert zipfile.ZipFile(kept / "output.zip").testzip() is None


def test_async_partial_download(server: MockServer, task_id: str, tmp_path: Path) -> None:
    """filenames= fetches just those files (byte ranges, or ?filename= on the legacy mock)."""
    reference = _reference(task_id, tmp_path)
    wanted = ["data/a.csv", "small.txt"]
    server.reset_stats()

    async def main() -> Path:
        task = inductiva.Task(task_id)
        return await task.download_outputs_async(filenames=wanted, output_dir=tmp_path / "part")

    out = asyncio.run(main())
    assert _files(out) == {name: reference[name] for name in wanted}
    assert server.stats()["bytes_sent_output"] < 2 * MIB  # the 3 MiB member never moved


def test_async_download_resumes_after_a_dropped_connection(
    server: MockServer, task_id: str, tmp_path: Path
) -> None:
    """A connection dropped mid-archive resumes (Range on the default mock) and verifies."""
    reference = _reference(task_id, tmp_path)
    server.set_faults(drop_download_after_bytes=MIB, drop_download_times=1)
    out = asyncio.run(inductiva.Task(task_id).download_outputs_async(output_dir=tmp_path / "o"))
    assert _files(out) == reference
    assert not (out / ".inductiva").exists()


def test_async_cancelled_download_keeps_the_part_for_the_next_call(
    server: MockServer, task_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancelling the asyncio task keeps the .part; the next (sync) call resumes and verifies."""
    reference = _reference(task_id, tmp_path)
    original = _resume.ArchiveWriter.write

    def put(self: _resume.ArchiveWriter, chunk: bytes) -> None:
        original(self, chunk)
        raise asyncio.CancelledError  # as if the awaiting task were cancelled mid-stream

    monkeypatch.setattr(_resume.ArchiveWriter, "write", put)
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(inductiva.Task(task_id).download_outputs_async(output_dir=tmp_path / "o"))
    assert (tmp_path / "o" / ".inductiva" / "output.zip.part").stat().st_size > 0
    assert not (tmp_path / "o" / ".inductiva" / "lock").exists()
    monkeypatch.setattr(_resume.ArchiveWriter, "write", original)
    out = inductiva.Task(task_id).download_outputs(output_dir=tmp_path / "o")
    assert _files(out) == reference


def test_async_upload_and_submit(server: MockServer, tmp_path: Path) -> None:
    """submit_async uploads the input on the async pool and awaits the task (or not)."""

    async def main() -> tuple[str, str, Path]:
        done = await _simulation.submit_async(SYNTHETIC, _params([]), _input_dir(tmp_path))
        queued = await _simulation.submit_async(
            SYNTHETIC, _params([]), _input_dir(tmp_path), run_async=True
        )
        out = await done.download_outputs_async(output_dir=tmp_path / "out")
        return await done.get_status_async(), await queued.wait_async(), out

    status, queued_status, out = asyncio.run(main())
    assert status == "success" and queued_status == "success"
    assert (out / "stdout.txt").read_text() == "ran\n"


def test_async_client_binds_transfers_to_its_own_pool(
    mock_server: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An AsyncClient's scenario-free submit and download use its own key, not the module's."""
    _point_at(mock_server, monkeypatch)
    monkeypatch.setattr(inductiva, "api_key", "no-such-key")

    async def main() -> Path:
        async with inductiva.AsyncClient(api_key="test-key", api_url=mock_server.url) as client:
            task = await _simulation.submit_async(
                SYNTHETIC, _params(FILES[2:]), _input_dir(tmp_path), client=client
            )
            return await task.download_outputs_async(output_dir=tmp_path / "out")

    out = asyncio.run(main())
    assert (out / "small.txt").stat().st_size == 1000


def test_200_concurrent_async_downloads_share_one_bounded_pool(
    mock_server: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """200 concurrent downloads of small archives on one pool: all verify, connections bounded."""
    _point_at(mock_server, monkeypatch)
    small = [{"name": "small.txt", "size": 2000, "compressible": True}]
    ids = []
    for _ in range(4):
        task = _simulation.submit(SYNTHETIC, _params(small), _input_dir(tmp_path), run_async=True)
        ids.append(task.id)
    for task_id in ids:
        assert inductiva.Task(task_id).wait() == "success"
    reference = _reference(ids[0], tmp_path)
    peak: list[int] = [0]
    pools: set[int] = set()

    async def watch(stop: asyncio.Event) -> None:
        while not stop.is_set():
            http = _http.default_core().api_async().get_async_httpx_client()
            pools.add(id(http))
            wrapped = http._transport  # retries, then bounds, then the pool's transport
            while not hasattr(wrapped, "_pool"):
                wrapped = wrapped._wrapped  # type: ignore[attr-defined]
            peak[0] = max(peak[0], len(wrapped._pool.connections))
            await asyncio.sleep(0.005)

    async def main() -> list[Path]:
        stop = asyncio.Event()
        watcher = asyncio.create_task(watch(stop))
        try:
            return await asyncio.gather(
                *(
                    inductiva.Task(ids[i % len(ids)]).download_outputs_async(
                        output_dir=tmp_path / f"d{i}"
                    )
                    for i in range(200)
                )
            )
        finally:
            stop.set()
            await watcher

    outs = asyncio.run(main())
    assert len(outs) == 200
    for out in outs:
        assert _files(out).keys() == reference.keys()
        assert (out / "small.txt").stat().st_size == 2000
        assert not (out / ".inductiva").exists()
    assert len(pools) == 1
    assert 0 < peak[0] <= 100


def test_scenario_simulate_async(
    mock_server: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ProteinSolvation.simulate_async uploads on the async pool; run_async=True returns early."""
    from inductiva.molecules import ProteinSolvation

    _point_at(mock_server, monkeypatch)
    pdb = tmp_path / "p.pdb"
    pdb.write_text(
        "ATOM      1  N   ALA A   1      0.000   0.000   0.000  1.00  0.00           N\n"
    )

    async def main() -> tuple[str, str]:
        scenario = ProteinSolvation(protein_pdb=pdb)
        done = await scenario.simulate_async()
        queued = await scenario.simulate_async(run_async=True)
        return await done.get_status_async(), await queued.wait_async()

    assert asyncio.run(main()) == ("success", "success")


def _upload_dir(tmp: Path, text_bytes: int = 2 * MIB) -> Path:
    """An input tree: compressible text (16 letters, random), a random blob, a nested file."""
    root = tmp / "upload"
    (root / "sub").mkdir(parents=True)
    letters = bytes.maketrans(bytes(range(256)), b"ACGTacgt01234567" * 16)
    (root / "text.dat").write_bytes(os.urandom(text_bytes).translate(letters))
    (root / "blob.bin").write_bytes(os.urandom(MIB))
    (root / "sub" / "notes.txt").write_text("residual 1e-5\n" * 1000)
    return root


def _received(server: MockServer, task_id: str) -> list[tuple[str, int, int, bytes]]:
    """The input zip the mock stored for ``task_id``: each member's name, method, size, bytes."""
    with zipfile.ZipFile(server.data_dir / "tasks" / task_id / "input.zip") as zf:
        assert zf.testzip() is None
        return [(i.filename, i.compress_type, i.compress_size, zf.read(i)) for i in zf.infolist()]


def _open_paths(root: Path) -> list[str]:
    """Files under ``root`` this process holds open (Linux; empty elsewhere)."""
    fds = Path("/proc/self/fd")
    paths = []
    for fd in fds.iterdir() if fds.is_dir() else []:
        with contextlib.suppress(OSError):
            paths.append(os.readlink(fd))
    return [p for p in paths if p.startswith(str(root))]


def _reader_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "inductiva-upload-reader"]


def test_async_upload_streams_the_sync_zip_without_a_temporary_archive(
    server: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mock stores the same zip from submit_async as from submit; no temp file is made."""
    src = _upload_dir(tmp_path)
    sync = _simulation.submit(SYNTHETIC, _params([]), src, run_async=True)

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the async upload made a temporary archive")

    for name in ("mkstemp", "NamedTemporaryFile", "TemporaryDirectory"):
        monkeypatch.setattr(tempfile, name, forbidden)
    monkeypatch.setattr(_upload, "build_input_zip", forbidden)
    task = asyncio.run(_simulation.submit_async(SYNTHETIC, _params([]), src, run_async=True))
    received, reference = _received(server, task.id), _received(server, sync.id)
    assert [m[0] for m in received] == [
        "sim_dir/",
        "sim_dir/blob.bin",
        "sim_dir/text.dat",
        "sim_dir/sub/notes.txt",
        "input.json",
    ]
    assert received == reference
    methods = {name: (method, size) for name, method, size, _ in received}
    assert methods["sim_dir/blob.bin"] == (zipfile.ZIP_STORED, MIB)
    assert methods["sim_dir/text.dat"][0] == zipfile.ZIP_DEFLATED
    assert methods["sim_dir/text.dat"][1] < 0.7 * 2 * MIB  # compressible input still shrinks
    assert task.wait() == "success"


@pytest.mark.parametrize("status", [429, 503])
def test_async_refused_upload_is_sent_again_from_the_start(
    server: MockServer, tmp_path: Path, status: int
) -> None:
    """A refused async upload is re-sent whole: the mock stores a valid zip and runs the task."""
    src = _upload_dir(tmp_path)
    server.set_faults(fail_next=1, fail_status=status, retry_after=0, path_regex=r"/input$")
    server.reset_stats()
    task = asyncio.run(_simulation.submit_async(SYNTHETIC, _params([]), src))
    assert task.get_status() == "success"
    assert [m[0] for m in _received(server, task.id)][-1] == "input.json"
    uploads = [n for p, n in server.stats()["requests_by_path"].items() if p.endswith("/input")]
    assert uploads == [2]


def test_async_upload_keeps_the_event_loop_responsive(
    mock_server: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While 24 MiB of text is deflated and sent (nothing cached), a ticker never stalls 0.5 s."""
    _point_at(mock_server, monkeypatch)
    monkeypatch.setattr(_zipwrite, "CACHE_BYTES", 0)  # every deflate is redone while sending
    src = _upload_dir(tmp_path, text_bytes=24 * MIB)

    async def main() -> tuple[float, int, inductiva.Task]:
        stop = asyncio.Event()
        gaps: list[float] = []

        async def tick() -> None:
            while not stop.is_set():
                start = time.monotonic()
                await asyncio.sleep(0.01)
                gaps.append(time.monotonic() - start)

        ticker = asyncio.create_task(tick())
        try:
            task = await _simulation.submit_async(SYNTHETIC, _params([]), src, run_async=True)
        finally:
            stop.set()
            await ticker
        return max(gaps), len(gaps), task

    largest, ticks, task = asyncio.run(main())
    assert largest < 0.5, f"the event loop stalled {largest:.2f}s"
    assert ticks > 10
    assert task.wait() == "success"
    assert _reader_threads() == []


def test_cancelled_async_upload_stops_its_reader_thread(
    mock_server: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancelling submit_async mid-upload ends the reader thread and closes every input file."""
    _point_at(mock_server, monkeypatch)
    monkeypatch.setattr(_zipwrite, "CACHE_BYTES", 0)
    src = _upload_dir(tmp_path, text_bytes=24 * MIB)
    sent = [0]
    original = _progress.ProgressReader.read

    def counting(self: _progress.ProgressReader, size: int | None = -1) -> bytes:
        data = original(self, size)
        sent[0] += len(data)
        return data

    monkeypatch.setattr(_progress.ProgressReader, "read", counting)

    async def main() -> None:
        job = asyncio.create_task(_simulation.submit_async(SYNTHETIC, _params([]), src))
        while sent[0] < MIB and not job.done():
            await asyncio.sleep(0.001)
        assert not job.done() and _reader_threads()
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job

    asyncio.run(main())
    assert _reader_threads() == []
    assert _open_paths(src) == []
