"""Fault injection on the mock server: each case ends correct and complete, or in a clear error.

After an error no final-named file holds partial data; the only thing a dropped
full download may leave is its resumable ``output.zip.part`` + sidecar pair,
which the next call continues (tested below).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from inductiva_api.api.tasks import get_task_status, list_task_outputs
from inductiva_mock.launcher import MockServer
from test_transfers import point_at, run_synthetic

import inductiva
from inductiva import _client, errors
from inductiva._download import download_outputs

pytestmark = pytest.mark.contract

MIB = 1024 * 1024
FILES = [
    {"name": "bulk/a.bin", "size": 3 * MIB, "compressible": False},
    {"name": "bulk/b.bin", "size": 3 * MIB, "compressible": False},
    {"name": "notes.txt", "size": 50_000, "compressible": True},
]


@pytest.fixture(scope="module")
def task_id(mock_server: MockServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One finished synthetic task with ~6 MiB of incompressible outputs."""
    with pytest.MonkeyPatch.context() as mp:
        point_at(mock_server, mp)
        try:
            return run_synthetic(FILES, tmp_path_factory.mktemp("faults"))
        finally:
            _client.reset()


@pytest.fixture
def server(mock_server: MockServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockServer]:
    """The session server with faults cleared and stats zeroed; faults cleared afterwards."""
    point_at(mock_server, monkeypatch)
    monkeypatch.setattr(inductiva, "max_retries", 4)
    mock_server.clear_faults()
    mock_server.reset_stats()
    yield mock_server
    mock_server.clear_faults()
    _client.reset()


def _archive_size(task_id: str) -> int:
    return int(_client.call(list_task_outputs.sync_detailed, task_id=task_id).size)


def _leftovers(root: Path) -> list[str]:
    """Partial or temporary files under root."""
    if not root.exists():
        return []
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if ".part" in p.name or p.name.startswith(".inductiva-partial")
    )


def _assert_complete(out: Path) -> None:
    sizes = {f["name"]: f["size"] for f in FILES}
    for name, size in sizes.items():
        assert (out / name).stat().st_size == size, name
    assert _leftovers(out) == []


def test_503_burst_is_retried_until_success(server: MockServer, task_id: str) -> None:
    """Three 503s with Retry-After: 0 are absorbed; the stats show four requests."""
    server.set_faults(fail_next=3, fail_status=503, retry_after=0, path_regex=r"/status$")
    status = _client.call(get_task_status.sync_detailed, task_id=task_id)
    assert str(status.status) == "success"
    assert server.stats()["requests_by_path"][f"/tasks/{task_id}/status"] == 4


def test_429_burst_on_download_is_retried(server: MockServer, task_id: str, tmp_path: Path) -> None:
    """Rate limiting during a full download is waited out; the result is complete."""
    server.set_faults(fail_next=2, fail_status=429, retry_after=0, path_regex=r"/output$")
    out = download_outputs(task_id, output_dir=tmp_path)
    _assert_complete(out)
    assert server.stats()["requests_by_path"][f"/tasks/{task_id}/output"] == 3


def test_persistent_503_is_a_server_error_and_leaves_nothing(
    server: MockServer, task_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More 503s than retries raise ServerError; no directory or partial file is created."""
    monkeypatch.setattr(inductiva, "max_retries", 1)
    server.set_faults(fail_next=10, fail_status=503, retry_after=0, path_regex=r"/output$")
    with pytest.raises(errors.ServerError):
        download_outputs(task_id, output_dir=tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_dropped_download_resumes_and_completes(
    server: MockServer, task_id: str, tmp_path: Path
) -> None:
    """Two connection drops mid-archive are resumed; under 2x the archive is sent in total."""
    size = _archive_size(task_id)
    server.set_faults(drop_download_after_bytes=2 * MIB, drop_download_times=2)
    server.reset_stats()
    out = download_outputs(task_id, output_dir=tmp_path)
    _assert_complete(out)
    sent = server.stats()["bytes_sent_output"]
    assert size <= sent < 2 * size
    assert server.stats()["requests_by_path"][f"/tasks/{task_id}/output"] == 3


def test_dropped_download_kept_zip_is_crc_verified(
    server: MockServer, task_id: str, tmp_path: Path
) -> None:
    """A resumed download kept as a zip passes every member's CRC check."""
    server.set_faults(drop_download_after_bytes=MIB, drop_download_times=1)
    out = download_outputs(task_id, output_dir=tmp_path, uncompress=False)
    with zipfile.ZipFile(out / "output.zip") as zf:
        assert zf.testzip() is None
    assert _leftovers(out) == []


def test_out_of_retries_keeps_only_resumable_state_then_resumes(
    server: MockServer, task_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no retries a drop is a clear error and no final file; the next call completes."""
    monkeypatch.setattr(inductiva, "max_retries", 0)
    server.set_faults(drop_download_after_bytes=2 * MIB, drop_download_times=1)
    with pytest.raises(errors.ApiConnectionError, match="resumes on the next call"):
        download_outputs(task_id, output_dir=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output.zip.part", "output.zip.part.json"]
    size = _archive_size(task_id)
    server.reset_stats()
    out = download_outputs(task_id, output_dir=tmp_path)
    _assert_complete(out)
    assert server.stats()["bytes_sent_output"] < size
    assert not (out / "output.zip").exists()


def test_dropped_partial_download_resumes(server: MockServer, task_id: str, tmp_path: Path) -> None:
    """A drop while fetching selected members re-fetches only what is missing."""
    server.set_faults(drop_download_after_bytes=MIB, drop_download_times=1)
    out = download_outputs(task_id, filenames=["bulk/b.bin", "notes.txt"], output_dir=tmp_path)
    assert (out / "bulk" / "b.bin").stat().st_size == 3 * MIB
    assert (out / "notes.txt").stat().st_size == 50_000
    assert not (out / "bulk" / "a.bin").exists()
    assert _leftovers(out) == []


def test_slow_server_still_gives_a_correct_result(
    server: MockServer, task_id: str, tmp_path: Path
) -> None:
    """A 0.3 s delay on every output request only slows the download down."""
    server.set_faults(delay_seconds=0.3, path_regex=r"/output$")
    out = download_outputs(task_id, output_dir=tmp_path)
    _assert_complete(out)


def test_slow_server_with_low_timeout_is_a_clear_timeout(
    server: MockServer, task_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A delay longer than inductiva.timeout raises ApiTimeoutError and leaves nothing."""
    monkeypatch.setattr(inductiva, "timeout", 0.2)
    monkeypatch.setattr(inductiva, "max_retries", 1)
    server.set_faults(delay_seconds=1.0, path_regex=r"/output$")
    with pytest.raises(errors.ApiTimeoutError, match="INDUCTIVA_TIMEOUT"):
        download_outputs(task_id, output_dir=tmp_path / "o")
    assert not (tmp_path / "o").exists()
