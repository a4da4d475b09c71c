"""Uploads and downloads against the mock in both modes: full, kept zip, partial, resume.

Every flow runs against the default mock (all extensions) and the legacy mock
(the real API only: no byte ranges, so partial downloads use ``?filename=``
subsets and resumes restart from zero).
"""

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
from inductiva import _http, _simulation, errors
from inductiva._http._flow import call
from inductiva._transfers import _resume
from inductiva._transfers._download import download_flow
from inductiva._transfers._upload import build_input_zip

pytestmark = pytest.mark.contract

MIB = 1024 * 1024
SYNTHETIC = "test.synthetic.run_simulation"
FILES = [
    {"name": "bulk/trajectory.bin", "size": 6 * MIB, "compressible": False},
    {"name": "data/a.csv", "size": 300_000, "compressible": True},
    {"name": "data/b.bin", "size": 200_000, "compressible": False},
    {"name": "small.txt", "size": 1000, "compressible": True},
]
_TASKS: dict[str, str] = {}


def download_outputs(task_id: str, **kwargs: Any) -> Path:
    """The download flow on the default client, blocking (as ``Task.download_outputs``)."""
    return _http.default_core().run(download_flow(task_id, **kwargs), interruptible=True)


async def download_outputs_async(task_id: str, **kwargs: Any) -> Path:
    """The download flow on the default client, under asyncio."""
    return await _http.default_core().run_async(download_flow(task_id, **kwargs))


def api_call(endpoint: Any, **kwargs: Any) -> Any:
    """Call a generated endpoint on the default client (its parsed 2xx model)."""
    return _http.default_core().run(call(endpoint, **kwargs))


def point_at(server: MockServer, mp: pytest.MonkeyPatch) -> None:
    """Send the client to ``server`` with test-key, without bars."""
    mp.setattr(inductiva, "api_url", server.url)
    mp.setattr(inductiva, "api_key", "test-key")
    mp.setenv("INDUCTIVA_PROGRESS", "0")
    _http.reset()


def run_synthetic(files: list[dict[str, Any]], tmp: Path) -> str:
    """Submit a synthetic task producing ``files``, wait for success, return its id."""
    input_dir = tmp / "input"
    input_dir.mkdir(exist_ok=True)
    (input_dir / "params.txt").write_text("synthetic input\n" * 100)
    task = _simulation.submit(
        SYNTHETIC, {"duration": 0.1, "stdout": "ran\n", "files": files}, input_dir
    )
    assert task.get_status() == "success"
    return task.id


@pytest.fixture
def server(any_mock_server: MockServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockServer]:
    """The client pointed at the default or the legacy session mock, faults cleared after."""
    point_at(any_mock_server, monkeypatch)
    yield any_mock_server
    any_mock_server.clear_faults()
    _http.reset()


@pytest.fixture
def task_id(server: MockServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One finished synthetic task with FILES as outputs, one per mock server."""
    if server.url not in _TASKS:
        _TASKS[server.url] = run_synthetic(FILES, tmp_path_factory.mktemp("synthetic"))
    return _TASKS[server.url]


def _members(archive: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(archive) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}


def _artifacts(archive: Path) -> dict[str, bytes]:
    """The task's files in a full archive, named relative to artifacts/."""
    members = _members(archive)
    assert "output.json" in members
    return {n.removeprefix("artifacts/"): d for n, d in members.items() if n != "output.json"}


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_uploaded_input_is_recorded(server: MockServer, task_id: str) -> None:
    """The multipart upload was taken: the task has an input time and ran the era's method."""
    task = api_call(get_task.sync_detailed, task_id=task_id)
    assert task.input_submit_time is not None
    assert task.method_name == SYNTHETIC and str(task.status) == "success"


def test_uncompress_false_keeps_a_verified_zip(
    server: MockServer, task_id: str, tmp_path: Path
) -> None:
    """The kept output.zip (output.json + artifacts/) has every listed file at its size."""
    out = download_outputs(task_id, output_dir=tmp_path, uncompress=False)
    assert _files(out) == ["output.zip"]
    listing = api_call(list_task_outputs.sync_detailed, task_id=task_id)
    assert (out / "output.zip").stat().st_size == listing.size
    files = _artifacts(out / "output.zip")
    assert {m.name: m.size for m in listing.contents} == {n: len(d) for n, d in files.items()}


def test_full_download_extracts_the_same_bytes(
    server: MockServer, task_id: str, tmp_path: Path
) -> None:
    """The task's files land directly in the output dir, output.json left out, nothing else."""
    download_outputs(task_id, output_dir=tmp_path / "zip", uncompress=False)
    reference = _artifacts(tmp_path / "zip" / "output.zip")
    out = download_outputs(task_id, output_dir=tmp_path / "files")
    assert _files(out) == sorted(reference)
    assert {"stdout.txt", "stderr.txt", "small.txt"} <= set(reference)
    for name, data in reference.items():
        assert (out / name).read_bytes() == data


def test_partial_download_moves_only_the_wanted_bytes(
    server: MockServer, task_id: str, tmp_path: Path
) -> None:
    """Two small files out of the archive cost less than their size plus 256 KiB."""
    download_outputs(task_id, output_dir=tmp_path / "zip", uncompress=False)
    reference = _artifacts(tmp_path / "zip" / "output.zip")
    wanted = ["data/a.csv", "small.txt"]
    server.reset_stats()
    out = download_outputs(task_id, filenames=wanted, output_dir=tmp_path / "part")
    moved = server.stats()["bytes_sent_output"]
    assert _files(out) == wanted
    for name in wanted:
        assert (out / name).read_bytes() == reference[name]
    with zipfile.ZipFile(tmp_path / "zip" / "output.zip") as zf:
        compressed = sum(zf.getinfo(f"artifacts/{n}").compress_size for n in wanted)
    assert moved < compressed + 256 * 1024


def test_partial_download_of_a_directory_has_the_same_layout(
    server: MockServer, task_id: str, tmp_path: Path
) -> None:
    """A directory name selects the files under it, laid out as in the full download."""
    out = download_outputs(task_id, filenames=["data", "small.txt"], output_dir=tmp_path)
    assert _files(out) == ["data/a.csv", "data/b.bin", "small.txt"]
    assert (out / "data" / "b.bin").stat().st_size == 200_000


def test_legacy_partial_download_moves_far_less_than_the_archive(
    legacy_mock_server: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without byte ranges, the refused range is closed at once: bytes moved << the archive."""
    point_at(legacy_mock_server, monkeypatch)
    big = [{"name": "huge.bin", "size": 64 * MIB, "compressible": False}, FILES[3]]
    task_id = run_synthetic(big, tmp_path)
    size = int(api_call(list_task_outputs.sync_detailed, task_id=task_id).size)
    legacy_mock_server.reset_stats()
    out = download_outputs(task_id, filenames=["small.txt"], output_dir=tmp_path / "o")
    moved = legacy_mock_server.stats()["bytes_sent_output"]
    assert _files(out) == ["small.txt"]
    assert moved < size / 4, (moved, size)


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
    task = _simulation.submit(SYNTHETIC, {"duration": 30}, input_dir, run_async=True)
    try:
        with pytest.raises(errors.ConflictError):
            download_outputs(task.id, output_dir=tmp_path / "o")
        assert not (tmp_path / "o").exists()
    finally:
        task.kill()


def test_input_zip_has_the_layout_the_server_reads(tmp_path: Path) -> None:
    """The upload's zip is sim_dir/... plus input.json, a valid deflated zip."""
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "f.txt").write_text("content\n" * 1000)
    size = build_input_zip(src, {"duration": 1}, tmp_path / "in.zip")
    with zipfile.ZipFile(tmp_path / "in.zip") as zf:
        assert zf.testzip() is None
        assert zf.namelist() == ["sim_dir/", "sim_dir/sub/f.txt", "input.json"]
    assert size == (tmp_path / "in.zip").stat().st_size


def test_large_download_reads_the_network_stream_directly(
    server: MockServer, task_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large archive's body skips h11 (reads of up to 1 MiB, not 64 KiB) and still verifies."""
    sizes: list[int] = []
    original = _resume.ArchiveWriter.write

    def put(self: _resume.ArchiveWriter, chunk: bytes) -> None:
        sizes.append(len(chunk))
        original(self, chunk)

    monkeypatch.setattr(_resume.ArchiveWriter, "write", put)
    download_outputs(task_id, output_dir=tmp_path, uncompress=False)
    assert max(sizes) > 64 * 1024  # httpcore's own loop reads 64 KiB at a time
    assert sum(sizes) == (tmp_path / "output.zip").stat().st_size
    with zipfile.ZipFile(tmp_path / "output.zip") as zf:
        assert zf.testzip() is None


def test_full_download_memory_does_not_grow_with_the_archive(
    mock_server: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Peak Python allocations stay bounded (~6 MiB of buffers) while 48 MiB streams to disk."""
    point_at(mock_server, monkeypatch)
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


def test_openfoam_run_lands_its_logs_and_coefficients(server: MockServer, tmp_path: Path) -> None:
    """OpenFOAM submits the era's method and params; its outputs land at the output dir root."""
    case = tmp_path / "case"
    (case / "system").mkdir(parents=True)
    (case / "system" / "controlDict").write_text("application simpleFoam;\n")
    task = inductiva.simulators.OpenFOAM().run(
        input_dir=case, commands=["blockMesh", "simpleFoam"], n_cores=2
    )
    assert task.get_status() == "success"
    output = task.get_output(output_dir=tmp_path / "out")
    assert isinstance(output, inductiva.simulators.OpenFOAMOutput)
    assert set(output.logs()) == {"blockMesh", "simpleFoam"}
    assert output.force_coefficients()
    assert not (tmp_path / "out" / "output.json").exists()


def test_protein_solvation_renders_inputs_and_parses_energies(
    server: MockServer, tmp_path: Path
) -> None:
    """ProteinSolvation's rendered inputs and era commands run; energies() parses the MD log."""
    pdb = tmp_path / "p.pdb"
    pdb.write_text(
        "ATOM      1  N   ALA A   1      11.104   6.134  -6.504  1.00  0.00           N\n"
    )
    task = inductiva.molecules.ProteinSolvation(protein_pdb=pdb).simulate(simulation_time_ns=0.01)
    assert task.get_status() == "success"
    output = task.get_output(output_dir=tmp_path / "out")
    assert isinstance(output, inductiva.molecules.ProteinSolvationOutput)
    assert output.final_structure.is_file() and output.trajectory.is_file()
    energies = output.energies()
    assert energies and energies[0][0] == 0.0
