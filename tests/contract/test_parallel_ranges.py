"""Full downloads as concurrent byte ranges against the mock, blocking and asyncio: identical,
verified, resumable from either, interruptible."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from inductiva_mock.launcher import MockServer
from test_transfers import download_outputs, download_outputs_async

import inductiva
from inductiva import _http, _simulation, errors
from inductiva._transfers import _parallel

MIB = 1024 * 1024
SYNTHETIC = "test.synthetic.run_simulation"

pytestmark = pytest.mark.contract

FILES = [
    {"name": "big/a.bin", "size": 5 * MIB, "compressible": False},
    {"name": "big/b.txt", "size": 3 * MIB, "compressible": True},
    {"name": "small.txt", "size": 1000, "compressible": True},
]


def point_at(server: MockServer, mp: pytest.MonkeyPatch) -> None:
    """Send the client to ``server`` with test-key, without bars."""
    mp.setattr(inductiva, "api_url", server.url)
    mp.setattr(inductiva, "api_key", "test-key")
    mp.setenv("INDUCTIVA_PROGRESS", "0")
    _http.reset()


def run_synthetic(files: list[dict[str, object]], tmp: Path) -> str:
    """Submit a synthetic task producing ``files``; its id once it succeeded."""
    input_dir = tmp / "input"
    input_dir.mkdir(exist_ok=True)
    (input_dir / "params.txt").write_text("synthetic input\n")
    task = _simulation.submit(SYNTHETIC, {"duration": 0.0, "files": files}, input_dir)
    assert task.get_status() == "success"
    return task.id


@pytest.fixture
def ranged(
    mock_server: MockServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[tuple[MockServer, str]]:
    """The default mock, thresholds moved so an 8 MiB archive on loopback goes as 4 ranges."""
    point_at(mock_server, monkeypatch)
    monkeypatch.setattr(_parallel, "MIN_PARALLEL_BYTES", 1024)
    monkeypatch.setattr(_parallel, "SPLIT_BELOW", 1 << 60)  # every connection counts as slow
    monkeypatch.setattr(_parallel, "PROBE_BYTES", 64 * 1024)
    monkeypatch.setattr(inductiva, "download_connections", 4)
    task_id = run_synthetic(FILES, tmp_path)
    yield mock_server, task_id
    mock_server.clear_faults()
    _http.reset()


def _kept_ranges(root: Path) -> list[list[int]]:
    """The ranges the sidecar of ``root``'s .part records (one resume model, see _part)."""
    state = json.loads((root / ".inductiva" / "output.zip.part.json").read_text())
    segments: list[list[int]] = state["segments"]
    assert segments and all(have <= end - start for start, end, have in segments)
    return segments


def _whole(server: MockServer, task_id: str) -> bytes:
    r = httpx.get(f"{server.url}/tasks/{task_id}/output", headers={"X-API-Key": "test-key"})
    return r.content


def test_parallel_ranges_give_the_same_archive(
    ranged: tuple[MockServer, str], tmp_path: Path
) -> None:
    """4 concurrent ranges produce byte-for-byte the archive one stream gives, verified."""
    server, task_id = ranged
    server.reset_stats()
    out = download_outputs(task_id, output_dir=tmp_path / "out", uncompress=False)
    routes = server.stats()["requests_by_route"]
    # the directory, the plain GET (the first range), then 3 more ranges
    assert routes["GET /tasks/{task_id}/output"] == 1 + 4
    data = (out / "output.zip").read_bytes()
    assert hashlib.sha256(data).digest() == hashlib.sha256(_whole(server, task_id)).digest()
    assert not list((tmp_path / "out").rglob("*.part*"))


def test_parallel_ranges_extract_the_same_files(
    ranged: tuple[MockServer, str], tmp_path: Path
) -> None:
    """Extracting a download fetched as ranges gives the files of the archive."""
    server, task_id = ranged
    out = download_outputs(task_id, output_dir=tmp_path / "x")
    (tmp_path / "ref.zip").write_bytes(_whole(server, task_id))
    with zipfile.ZipFile(tmp_path / "ref.zip") as zf:
        for info in zf.infolist():
            if info.filename.startswith("artifacts/") and not info.is_dir():
                name = info.filename.removeprefix("artifacts/")
                assert (out / name).read_bytes() == zf.read(info)


def test_parallel_ranges_resume_after_a_drop(
    ranged: tuple[MockServer, str], tmp_path: Path
) -> None:
    """A range cut mid-way is continued from where it stopped; the archive is identical."""
    server, task_id = ranged
    server.set_faults(drop_download_after_bytes=100_000, drop_download_times=1)
    out = download_outputs(task_id, output_dir=tmp_path / "r", uncompress=False)
    assert (out / "output.zip").read_bytes() == _whole(server, task_id)


def test_parallel_ranges_continue_in_a_later_call(
    ranged: tuple[MockServer, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ranges kept after a failed call are continued by the next call, not fetched again."""
    server, task_id = ranged
    monkeypatch.setattr(inductiva, "max_retries", 0)
    server.set_faults(drop_download_after_bytes=200_000, drop_download_times=4)
    with pytest.raises(errors.ApiConnectionError):
        download_outputs(task_id, output_dir=tmp_path / "c", uncompress=False)
    assert _kept_ranges(tmp_path / "c")
    server.clear_faults()
    whole = _whole(server, task_id)
    server.reset_stats()
    out = download_outputs(task_id, output_dir=tmp_path / "c", uncompress=False)
    assert server.stats()["bytes_sent_output"] < len(whole) - 4 * 200_000 + 256 * 1024
    assert (out / "output.zip").read_bytes() == whole


def test_a_fast_connection_stays_one_stream(
    ranged: tuple[MockServer, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection faster than SPLIT_BELOW is not split: one GET, verified as it streams."""
    server, task_id = ranged
    monkeypatch.setattr(_parallel, "SPLIT_BELOW", 1)
    server.reset_stats()
    out = download_outputs(task_id, output_dir=tmp_path / "f", uncompress=False)
    assert server.stats()["requests_by_route"]["GET /tasks/{task_id}/output"] == 2
    assert (out / "output.zip").read_bytes() == _whole(server, task_id)


def test_bandwidth_cap_fault_limits_each_connection(
    ranged: tuple[MockServer, str],
) -> None:
    """With bandwidth_per_connection, one download response is no faster than the cap."""
    server, task_id = ranged
    size = len(_whole(server, task_id))
    server.set_faults(bandwidth_per_connection=16 * MIB)
    start = time.monotonic()
    assert len(_whole(server, task_id)) == size
    assert time.monotonic() - start >= size / (16 * MIB) * 0.9


def test_parallel_ranges_go_through_the_task_client(
    ranged: tuple[MockServer, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every range worker sends through the Client the task is bound to (not the default)."""
    server, task_id = ranged
    monkeypatch.setattr(inductiva, "api_url", "http://127.0.0.1:9")  # the default goes nowhere
    monkeypatch.setattr(inductiva, "max_retries", 0)
    _http.reset()
    server.reset_stats()
    with inductiva.Client("test-key", server.url) as client:
        task = inductiva.Task(task_id, client=client)
        out = task.download_outputs(output_dir=tmp_path / "c", uncompress=False)
    assert server.stats()["requests_by_route"]["GET /tasks/{task_id}/output"] == 1 + 4
    data = (out / "output.zip").read_bytes()
    assert hashlib.sha256(data).digest() == hashlib.sha256(_whole(server, task_id)).digest()


OUTPUT = "GET /tasks/{task_id}/output"


def _digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _download(task_id: str, out: Path, path: str, uncompress: bool = False) -> Path:
    """Download ``task_id``'s outputs into ``out`` on the ``sync`` or ``async`` path."""
    if path == "async":
        return asyncio.run(download_outputs_async(task_id, output_dir=out, uncompress=uncompress))
    return download_outputs(task_id, output_dir=out, uncompress=uncompress)


class _Recorder(httpx.AsyncBaseTransport):
    """The real async transport, recording (Range, status); may change the archive once.

    ``touch`` (the archive's file on the mock): its mtime, hence its ETag, changes
    just before the first request for a range of at least 1 MiB (a planned range,
    not a directory read) is sent.
    """

    def __init__(self, touch: Path | None = None) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.touch = touch
        self.seen: list[tuple[str | None, int]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` to the mock server and record the exchange."""
        rng = request.headers.get("Range")
        match = re.fullmatch(r"bytes=(\d+)-(\d+)", rng or "")
        if self.touch is not None and match and int(match[2]) - int(match[1]) >= MIB:
            ns = self.touch.stat().st_mtime_ns + 10**9
            os.utime(self.touch, ns=(ns, ns))
            self.touch = None
        response = await self._inner.handle_async_request(request)
        if request.url.path.endswith("/output"):
            self.seen.append((rng, response.status_code))
        return response

    async def aclose(self) -> None:
        """Close the real transport."""
        await self._inner.aclose()


def test_async_parallel_ranges_give_the_same_archive(
    ranged: tuple[MockServer, str], tmp_path: Path
) -> None:
    """download_outputs_async fetches 4 concurrent ranges: the same archive, verified."""
    server, task_id = ranged
    server.reset_stats()
    out = _download(task_id, tmp_path / "out", "async")
    # the directory, the plain GET (the first range), then 3 more ranges
    assert server.stats()["requests_by_route"][OUTPUT] == 1 + 4
    assert _digest((out / "output.zip").read_bytes()) == _digest(_whole(server, task_id))
    assert not list((tmp_path / "out").rglob("*.part*"))


def test_async_parallel_ranges_extract_the_same_files(
    ranged: tuple[MockServer, str], tmp_path: Path
) -> None:
    """An async download fetched as ranges extracts the files the sync one extracts."""
    server, task_id = ranged
    server.reset_stats()
    async_out = _download(task_id, tmp_path / "a", "async", uncompress=True)
    assert server.stats()["requests_by_route"][OUTPUT] == 4  # no directory read first
    sync_out = _download(task_id, tmp_path / "s", "sync", uncompress=True)
    files = sorted(p.relative_to(async_out) for p in async_out.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(sync_out) for p in sync_out.rglob("*") if p.is_file())
    for name in files:
        assert (async_out / name).read_bytes() == (sync_out / name).read_bytes()


def test_async_parallel_ranges_resume_after_a_drop(
    ranged: tuple[MockServer, str], tmp_path: Path
) -> None:
    """A range cut mid-way on the async path is continued from where it stopped."""
    server, task_id = ranged
    server.set_faults(drop_download_after_bytes=100_000, drop_download_times=2)
    server.reset_stats()
    out = _download(task_id, tmp_path / "r", "async")
    assert server.stats()["requests_by_route"][OUTPUT] == 1 + 4 + 2  # two ranges resumed
    assert (out / "output.zip").read_bytes() == _whole(server, task_id)


@pytest.mark.parametrize(
    ("first", "then"), [("async", "async"), ("async", "sync"), ("sync", "async")]
)
def test_ranges_kept_by_one_path_are_continued_by_the_other(
    ranged: tuple[MockServer, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    first: str,
    then: str,
) -> None:
    """Ranges kept after a failed call (sync or async) are continued by the next, not refetched."""
    server, task_id = ranged
    monkeypatch.setattr(inductiva, "max_retries", 0)
    server.set_faults(drop_download_after_bytes=200_000, drop_download_times=4)
    with pytest.raises(errors.ApiConnectionError):
        _download(task_id, tmp_path / "c", first)
    assert _kept_ranges(tmp_path / "c")
    server.clear_faults()
    whole = _whole(server, task_id)
    server.reset_stats()
    out = _download(task_id, tmp_path / "c", then)
    assert server.stats()["bytes_sent_output"] < len(whole) - 4 * 200_000 + 256 * 1024
    assert (out / "output.zip").read_bytes() == whole
    assert not list((tmp_path / "c").rglob("*.part*"))


def test_async_cancelled_download_keeps_its_ranges(
    ranged: tuple[MockServer, str], tmp_path: Path
) -> None:
    """Cancelling an async download mid-ranges keeps them; the next call only fetches the rest."""
    server, task_id = ranged
    server.set_faults(bandwidth_per_connection=MIB)  # about 2 s for the 4 ranges

    async def cancelled() -> None:
        fetch = download_outputs_async(task_id, output_dir=tmp_path / "k", uncompress=False)
        await asyncio.wait_for(fetch, timeout=1.0)

    with pytest.raises(asyncio.TimeoutError):
        asyncio.run(cancelled())
    space = tmp_path / "k" / ".inductiva"
    assert _kept_ranges(tmp_path / "k")
    assert not (space / "lock").exists()
    server.clear_faults()
    whole = _whole(server, task_id)
    server.reset_stats()
    out = _download(task_id, tmp_path / "k", "async")
    assert server.stats()["bytes_sent_output"] < len(whole) - MIB
    assert (out / "output.zip").read_bytes() == whole


def test_async_archive_changed_mid_ranges_falls_back_to_one_stream(
    ranged: tuple[MockServer, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Continued ranges answered 200 (the archive changed) end in one plain stream from byte 0."""
    server, task_id = ranged
    monkeypatch.setattr(inductiva, "max_retries", 0)
    server.set_faults(drop_download_after_bytes=200_000, drop_download_times=4)
    with pytest.raises(errors.ApiConnectionError):
        _download(task_id, tmp_path / "ch", "async")
    server.clear_faults()
    recorder = _Recorder(touch=server.data_dir / "outputs" / f"{task_id}.zip")
    _http.set_transport(None, recorder)
    out = _download(task_id, tmp_path / "ch", "async")
    ranged_answers = [status for rng, status in recorder.seen if rng and "=-" not in rng]
    assert ranged_answers and set(ranged_answers) == {200}  # If-Range refused every range
    assert recorder.seen[-1] == (None, 200)  # then the archive as one stream
    assert (out / "output.zip").read_bytes() == _whole(server, task_id)
    assert not list((tmp_path / "ch").rglob("*.part*"))


def test_async_archive_changed_in_a_fresh_download_starts_over(
    ranged: tuple[MockServer, str], tmp_path: Path
) -> None:
    """A fresh async download whose archive changes under its ranges starts over and verifies."""
    server, task_id = ranged
    recorder = _Recorder(touch=server.data_dir / "outputs" / f"{task_id}.zip")
    _http.set_transport(None, recorder)
    out = _download(task_id, tmp_path / "f", "async")
    assert 200 in [status for rng, status in recorder.seen if rng and "=-" not in rng]
    assert (out / "output.zip").read_bytes() == _whole(server, task_id)


def test_four_async_connections_beat_one_under_a_per_connection_cap(
    ranged: tuple[MockServer, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With bandwidth_per_connection, 4 async ranges finish well over twice as fast as 1 stream."""
    server, task_id = ranged
    server.set_faults(bandwidth_per_connection=4 * MIB)
    timings = {}
    for n in (1, 4):
        monkeypatch.setattr(inductiva, "download_connections", n)
        start = time.monotonic()
        out = _download(task_id, tmp_path / f"bw{n}", "async")
        timings[n] = time.monotonic() - start
        assert zip_ok(out / "output.zip")
    assert timings[1] / timings[4] > 2, timings


def zip_ok(path: Path) -> bool:
    """Whether ``path`` is a readable zip whose members all pass their CRC-32."""
    import zipfile

    with zipfile.ZipFile(path) as zf:
        return zf.testzip() is None


def test_client_download_connections_overrides_module_and_env(
    ranged: tuple[MockServer, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Client/AsyncClient(download_connections=) beats inductiva.download_connections and env."""
    server, task_id = ranged
    monkeypatch.setattr(inductiva, "download_connections", 1)
    monkeypatch.setenv("INDUCTIVA_DOWNLOAD_CONNECTIONS", "1")

    async def via_async_client(n: int, out: Path) -> Path:
        async with inductiva.AsyncClient(download_connections=n) as client:
            assert client.download_connections == n
            return await client.task(task_id).download_outputs_async(
                output_dir=out, uncompress=False
            )

    server.reset_stats()
    asyncio.run(via_async_client(4, tmp_path / "a4"))
    assert server.stats()["requests_by_route"][OUTPUT] == 1 + 4
    server.reset_stats()
    with inductiva.Client(download_connections=3) as client:
        client.task(task_id).download_outputs(output_dir=tmp_path / "s3", uncompress=False)
    assert server.stats()["requests_by_route"][OUTPUT] == 1 + 3
    monkeypatch.setattr(inductiva, "download_connections", 4)
    server.reset_stats()
    asyncio.run(via_async_client(1, tmp_path / "a1"))
    assert server.stats()["requests_by_route"][OUTPUT] == 1 + 1  # one stream
    whole = _whole(server, task_id)
    for name in ("a4", "s3", "a1"):
        assert (tmp_path / name / "output.zip").read_bytes() == whole


def test_ctrl_c_ends_blocking_ranges_within_a_second_and_keeps_them(
    ranged: tuple[MockServer, str], tmp_path: Path
) -> None:
    """SIGINT mid-ranges (sockets blocked on a slow server): raised within ~1 s, ranges kept."""
    server, task_id = ranged
    server.set_faults(bandwidth_per_connection=MIB // 2)  # about 4 s for the 4 ranges
    fired: list[float] = []

    def interrupt() -> None:
        fired.append(time.monotonic())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(1.0, interrupt)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            download_outputs(task_id, output_dir=tmp_path / "i", uncompress=False)
        ended = time.monotonic()
    finally:
        timer.cancel()
    assert fired and ended - fired[0] < 1.5
    assert _kept_ranges(tmp_path / "i")
    assert not (tmp_path / "i" / ".inductiva" / "lock").exists()
    server.clear_faults()
    whole = _whole(server, task_id)
    server.reset_stats()
    out = _download(task_id, tmp_path / "i", "async")
    assert server.stats()["bytes_sent_output"] < len(whole) - MIB // 2
    assert (out / "output.zip").read_bytes() == whole


BIG = 72 * MIB
"""Over MIN_PARALLEL_BYTES (64 MiB): split into ranges with the default thresholds."""
CLI = Path(sys.executable).with_name("inductiva")


@pytest.fixture(scope="module")
def big_task(mock_server: MockServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A task of test-key whose archive (72 MiB, incompressible) the CLI downloads as ranges."""
    with pytest.MonkeyPatch.context() as mp:
        point_at(mock_server, mp)
        task_id = run_synthetic(
            [{"name": "big.bin", "size": BIG, "compressible": False}],
            tmp_path_factory.mktemp("big"),
        )
        _http.reset()
    return task_id


def _cli_download(server: MockServer, task_id: str, out: Path, err: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INDUCTIVA_")}
    env |= {"INDUCTIVA_API_URL": server.url, "INDUCTIVA_API_KEY": "test-key"}
    with err.open("w") as stderr:
        return subprocess.Popen(
            [str(CLI), "-vv", "tasks", "download", task_id, "--dir", str(out)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=env,
        )


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_cli_interrupted_mid_ranges_ends_at_once_and_resumes(
    clean_faults: MockServer, big_task: str, tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    """`inductiva tasks download` of ranges, Ctrl-C or SIGTERM: exit 130/143 within ~1 s, the
    ranges kept; the next run fetches only the rest."""
    server = clean_faults
    server.set_faults(bandwidth_per_connection=8 * MIB)  # below SPLIT_BELOW: split into ranges
    out, err = tmp_path / "out", tmp_path / "err.txt"
    proc = _cli_download(server, big_task, out, err)
    try:
        deadline = time.monotonic() + 60
        while err.read_text().count('/output "HTTP/1.1 206') < 3:  # the ranges have started
            assert proc.poll() is None and time.monotonic() < deadline, err.read_text()
            time.sleep(0.02)
        time.sleep(0.3)
        sent = time.monotonic()
        proc.send_signal(sig)
        proc.wait(timeout=30)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = err.read_text()
    assert proc.returncode == code, stderr
    assert took < 3.0, f"exited {took:.1f} s after the signal"
    assert "Traceback" not in stderr
    kept = sum(have for _, _, have in _kept_ranges(out))
    assert kept > 0
    server.clear_faults()
    size = _archive_size(server, big_task)
    server.reset_stats()
    again = _cli_download(server, big_task, out, tmp_path / "err2.txt")
    stdout, _ = again.communicate(timeout=120)
    assert again.returncode == 0, (tmp_path / "err2.txt").read_text()
    assert stdout.strip() == str(out.resolve())
    assert (out / "big.bin").stat().st_size == BIG
    assert server.stats()["bytes_sent_output"] <= size - kept  # only what was missing
    assert not list(out.rglob("*.part*"))


def _archive_size(server: MockServer, task_id: str) -> int:
    listing = httpx.get(
        f"{server.url}/tasks/{task_id}/output/list", headers={"X-API-Key": "test-key"}
    )
    size: int = listing.json()["size"]
    return size
