"""Uploads and downloads against the mock server: full, kept zip, partial by Range, resume."""

from __future__ import annotations

import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from inductiva_api.api.tasks import get_task, list_task_outputs
from inductiva_mock.launcher import MockServer

import inductiva
from inductiva import _client, _resume, _simulation, errors
from inductiva._download import download_outputs
from inductiva._upload import zip_directory

pytestmark = pytest.mark.contract

MIB = 1024 * 1024
FILES = [
    {"name": "bulk/trajectory.bin", "size": 6 * MIB, "compressible": False},
    {"name": "data/a.csv", "size": 300_000, "compressible": True},
    {"name": "data/b.bin", "size": 200_000, "compressible": False},
    {"name": "small.txt", "size": 1000, "compressible": True},
]


def point_at(server: MockServer, mp: pytest.MonkeyPatch) -> None:
    """Send the client to ``server`` with test-key, without bars."""
    mp.setattr(inductiva, "api_url", server.url)
    mp.setattr(inductiva, "api_key", "test-key")
    mp.setenv("INDUCTIVA_PROGRESS", "0")
    _client.reset()


def run_synthetic(files: list[dict[str, Any]], tmp: Path) -> str:
    """Submit a synthetic task producing ``files``, wait for success, return its id."""
    input_dir = tmp / "input"
    input_dir.mkdir(exist_ok=True)
    (input_dir / "params.txt").write_text("synthetic input\n" * 100)
    task = _simulation.submit(
        "synthetic.run", {"duration": 0.1, "stdout": "ran\n", "files": files}, input_dir
    )
    assert task.get_status() == "success"
    return task.id


@pytest.fixture(scope="module")
def task_id(mock_server: MockServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One finished synthetic task with FILES as outputs, shared by the module."""
    with pytest.MonkeyPatch.context() as mp:
        point_at(mock_server, mp)
        try:
            return run_synthetic(FILES, tmp_path_factory.mktemp("synthetic"))
        finally:
            _client.reset()


@pytest.fixture
def server(mock_server: MockServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockServer]:
    """The client pointed at the session mock server, faults cleared afterwards."""
    point_at(mock_server, monkeypatch)
    yield mock_server
    mock_server.clear_faults()
    _client.reset()


def _members(archive: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(archive) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_uploaded_input_size_is_recorded(server: MockServer, task_id: str) -> None:
    """The API records the streamed input zip (its size is that of a zip of the dir)."""
    task = _client.call(get_task.sync_detailed, task_id=task_id)
    assert task.input_size_bytes and task.input_size_bytes > 0


def test_uncompress_false_keeps_a_verified_zip(
    server: MockServer, task_id: str, tmp_path: Path
) -> None:
    """The kept output.zip has every listed member with the listed sizes."""
    out = download_outputs(task_id, output_dir=tmp_path, uncompress=False)
    assert _files(out) == ["output.zip"]
    listing = _client.call(list_task_outputs.sync_detailed, task_id=task_id)
    assert (out / "output.zip").stat().st_size == listing.size
    members = _members(out / "output.zip")
    assert {m.name: m.size for m in listing.contents} == {n: len(d) for n, d in members.items()}


def test_full_download_extracts_the_same_bytes(
    server: MockServer, task_id: str, tmp_path: Path
) -> None:
    """Extracted files equal the members of the archive, and nothing else is left."""
    download_outputs(task_id, output_dir=tmp_path / "zip", uncompress=False)
    reference = _members(tmp_path / "zip" / "output.zip")
    out = download_outputs(task_id, output_dir=tmp_path / "files")
    assert _files(out) == sorted(reference)
    for name, data in reference.items():
        assert (out / name).read_bytes() == data


def test_partial_download_moves_only_the_wanted_bytes(
    server: MockServer, task_id: str, tmp_path: Path
) -> None:
    """Two small files out of the archive cost less than their size plus 256 KiB."""
    download_outputs(task_id, output_dir=tmp_path / "zip", uncompress=False)
    reference = _members(tmp_path / "zip" / "output.zip")
    wanted = ["data/a.csv", "small.txt"]
    server.reset_stats()
    out = download_outputs(task_id, filenames=wanted, output_dir=tmp_path / "part")
    moved = server.stats()["bytes_sent_output"]
    assert _files(out) == wanted
    for name in wanted:
        assert (out / name).read_bytes() == reference[name]
    with zipfile.ZipFile(tmp_path / "zip" / "output.zip") as zf:
        compressed = sum(zf.getinfo(n).compress_size for n in wanted)
    assert moved < compressed + 256 * 1024


def test_unknown_filenames_create_nothing(server: MockServer, task_id: str, tmp_path: Path) -> None:
    """A misspelt name raises UnknownFilesError suggesting the right one; no dir appears."""
    with pytest.raises(errors.UnknownFilesError, match=r"small\.txt"):
        download_outputs(task_id, filenames=["smal.txt"], output_dir=tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_default_output_dir(
    server: MockServer, task_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without output_dir the files land in inductiva_output/<task id>."""
    monkeypatch.chdir(tmp_path)
    out = download_outputs(task_id, filenames=["small.txt"])
    assert (tmp_path / out / "small.txt").is_file()
    assert out == Path("inductiva_output", task_id)


def test_outputs_of_unfinished_task_are_a_conflict(server: MockServer, tmp_path: Path) -> None:
    """A task still running answers 409: ConflictError, and no directory is created."""
    input_dir = tmp_path / "in"
    input_dir.mkdir()
    (input_dir / "x").write_text("x")
    task = _simulation.submit("synthetic.run", {"duration": 30}, input_dir, run_async=True)
    try:
        with pytest.raises(errors.ConflictError):
            download_outputs(task.id, output_dir=tmp_path / "o")
        assert not (tmp_path / "o").exists()
    finally:
        task.kill()


def test_zip_directory_matches_what_the_server_stores(tmp_path: Path) -> None:
    """zip_directory output is a valid deflated zip of the directory (what upload sends)."""
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "f.txt").write_text("content\n" * 1000)
    size = zip_directory(src, tmp_path / "in.zip")
    with zipfile.ZipFile(tmp_path / "in.zip") as zf:
        assert zf.testzip() is None and zf.namelist() == ["sub/f.txt"]
    assert size == (tmp_path / "in.zip").stat().st_size


def test_full_download_reads_the_socket_in_large_chunks(
    server: MockServer, task_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Socket reads are widened beyond httpcore's 64 KiB default (fewer parser round trips)."""
    sizes: list[int] = []
    original = _resume._Writer.put

    def put(self: _resume._Writer, chunk: bytes) -> None:
        sizes.append(len(chunk))
        original(self, chunk)

    monkeypatch.setattr(_resume._Writer, "put", put)
    download_outputs(task_id, output_dir=tmp_path, uncompress=False)
    assert max(sizes) > 64 * 1024


def test_full_download_memory_does_not_grow_with_the_archive(
    server: MockServer, tmp_path: Path
) -> None:
    """Peak Python allocations stay bounded (~6 MiB of buffers) while 48 MiB streams to disk."""
    big = [{"name": "big.bin", "size": 48 * MIB, "compressible": False}]
    task_id = run_synthetic(big, tmp_path)
    for uncompress in (False, True):
        tracemalloc.start()
        try:
            download_outputs(task_id, output_dir=tmp_path / str(uncompress), uncompress=uncompress)
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 12 * MIB, (uncompress, peak)
