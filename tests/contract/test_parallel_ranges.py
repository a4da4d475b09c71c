"""Full downloads as concurrent byte ranges against the mock: identical, verified, resumable."""

from __future__ import annotations

import hashlib
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from inductiva_mock.launcher import MockServer

import inductiva
from inductiva import _client, _simulation, errors
from inductiva._transfers import _parallel
from inductiva._transfers._download import download_outputs

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
    _client.reset()


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
    _client.reset()


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
    assert list((tmp_path / "c").rglob("*.ranges.json"))
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
    _client.reset()
    server.reset_stats()
    with inductiva.Client("test-key", server.url) as client:
        task = inductiva.Task(task_id, client=client)
        out = task.download_outputs(output_dir=tmp_path / "c", uncompress=False)
    assert server.stats()["requests_by_route"]["GET /tasks/{task_id}/output"] == 1 + 4
    data = (out / "output.zip").read_bytes()
    assert hashlib.sha256(data).digest() == hashlib.sha256(_whole(server, task_id)).digest()
