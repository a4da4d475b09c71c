"""Task, tasks.get/list and the scenarios against the mock server, in default and legacy mode."""

from __future__ import annotations

import asyncio
import datetime
import pathlib
import zipfile
from collections.abc import Iterator

import pytest
from inductiva_mock.launcher import MockServer

import inductiva
from inductiva import _http, errors
from inductiva.molecules import ProteinSolvationOutput
from inductiva.simulators import OpenFOAMOutput, Synthetic

pytestmark = pytest.mark.contract

PDB = "".join(
    f"ATOM  {i:5d}  CA  ALA A{i:4d}    {i * 1.5:8.3f}{i * 0.5:8.3f}{-i * 1.0:8.3f}  1.00  0.00\n"
    for i in range(1, 6)
)


@pytest.fixture
def server(
    any_mock_server: MockServer, monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> Iterator[MockServer]:
    """The client pointed at a session mock server (each mode), run from a temp directory."""
    monkeypatch.setattr(inductiva, "api_url", any_mock_server.url)
    monkeypatch.setattr(inductiva, "api_key", "test-key")
    monkeypatch.chdir(tmp_path)
    _http.reset()
    yield any_mock_server
    _http.reset()


@pytest.fixture
def pdb(tmp_path: pathlib.Path) -> pathlib.Path:
    """A small PDB file."""
    path = tmp_path / "my_protein.pdb"
    path.write_text(PDB)
    return path


@pytest.fixture
def case(tmp_path: pathlib.Path) -> pathlib.Path:
    """A tiny OpenFOAM case directory."""
    system = tmp_path / "case" / "system"
    system.mkdir(parents=True)
    (system / "controlDict").write_text("application simpleFoam;\n")
    return tmp_path / "case"


def test_synthetic_lifecycle(server: MockServer) -> None:
    """A blocking run ends in success with timing, machine type and output listing."""
    task = Synthetic().run(duration=0.2, stdout="hello", files=[("out/a.txt", 5000)])
    assert task.get_status() == "success"
    info = task.get_info()
    assert info.method_name == "test.synthetic.run_simulation"
    assert info.start_time and info.end_time and info.create_time
    assert info.start_time.tzinfo is not None
    assert task.get_machine_type() == info.vm_type is not None
    assert info.host_type == "gcloud" and info.cpu_count_logical and info.memory
    execution_time = task.get_execution_time()
    assert execution_time is not None and execution_time >= 0.2
    files = task.get_output_files_info()
    assert {"stdout.txt", "stderr.txt", "out/a.txt"} <= set(files.names)
    assert "Archive size:" in str(files)


def test_async_run_then_wait(server: MockServer) -> None:
    """run_async returns at once; wait() then follows the task to success."""
    task = Synthetic().run(duration=1.0, run_async=True)
    assert task.get_status() in {"submitted", "started"}
    assert task.wait(timeout=30) == "success"


def test_wait_timeout(server: MockServer) -> None:
    """wait(timeout=...) raises TaskTimeoutError while the task is still running."""
    task = Synthetic().run(duration=30, run_async=True)
    try:
        with pytest.raises(errors.TaskTimeoutError):
            task.wait(timeout=0.5)
    finally:
        task.kill()


def test_kill_is_confirmed_and_idempotent(server: MockServer) -> None:
    """kill() returns once the task is killed; killing again is fine."""
    task = Synthetic().run(duration=60, run_async=True)
    assert task.kill() == "killed"
    assert task.get_status() == "killed"
    assert task.kill() == "killed"


def test_get_async_status_and_kill_async(server: MockServer) -> None:
    """get_async lists tasks; get_status_async and kill_async work on them."""
    long_task = Synthetic().run(duration=60, run_async=True)

    async def main() -> tuple[list[inductiva.Task], str, str]:
        recent = await inductiva.tasks.get_async(last_n=3)
        status = await long_task.get_status_async()
        return recent, status, await long_task.kill_async()

    recent, status, killed = asyncio.run(main())
    assert recent[0] == long_task and status in {"submitted", "started"} and killed == "killed"
    with pytest.raises(errors.TaskFinishedError):
        asyncio.run(Synthetic().run(duration=0).kill_async())


def test_kill_finished_task(server: MockServer) -> None:
    """Killing a task that succeeded raises TaskFinishedError naming its status."""
    task = Synthetic().run(duration=0)
    with pytest.raises(errors.TaskFinishedError, match="'success'"):
        task.kill()


def test_sync_context_kills_on_exception(server: MockServer) -> None:
    """An exception inside sync_context kills the remote task and propagates."""
    task = Synthetic().run(duration=60, run_async=True)
    with pytest.raises(RuntimeError, match="boom"), task.sync_context():
        raise RuntimeError("boom")
    assert task.get_status() == "killed"


def test_failed_task_output_raises(server: MockServer) -> None:
    """get_output() of a failed task raises TaskFailedError."""
    task = Synthetic().run(duration=0, exit_code=3)
    assert task.get_status() == "failed"
    with pytest.raises(errors.TaskFailedError, match="'failed'"):
        task.get_output()


def test_unknown_task_is_not_found(server: MockServer) -> None:
    """A task id the key does not own is a NotFoundError."""
    with pytest.raises(errors.NotFoundError):
        inductiva.Task("1234567890123456789").get_status()


def test_protein_solvation_output(server: MockServer, pdb: pathlib.Path) -> None:
    """ProteinSolvation runs and its output object parses the mock's files."""
    task = inductiva.molecules.ProteinSolvation(protein_pdb=pdb).simulate(
        simulation_time_ns=0.02, temperature=310
    )
    output = task.get_output()
    assert isinstance(output, ProteinSolvationOutput)
    assert output.final_structure.is_file() and output.trajectory.is_file()
    energies = output.energies()
    # 0.02 ns with the default output_timestep_ps=1.0: a frame every ps from 0 to 20 ps
    assert [t for t, _ in energies] == pytest.approx([float(i) for i in range(21)])
    assert output.path == pathlib.Path("inductiva_output", task.id)


def test_openfoam_output(server: MockServer, case: pathlib.Path) -> None:
    """OpenFOAM runs commands and its output object reads logs, times and coefficients."""
    task = inductiva.simulators.OpenFOAM().run(
        input_dir=case, commands=["blockMesh", "simpleFoam"], n_vcpus=2
    )
    output = task.get_output()
    assert isinstance(output, OpenFOAMOutput)
    assert set(output.logs()) == {"blockMesh", "simpleFoam"}
    assert output.time_steps() == [100.0, 200.0]
    coefficients = output.force_coefficients()
    assert len(coefficients) == 200 and coefficients[0].time == 1.0


def test_get_output_of_task_from_history(server: MockServer, case: pathlib.Path) -> None:
    """A Task rebuilt by tasks.get() gets the same output class as the original."""
    task = inductiva.simulators.OpenFOAM().run(input_dir=case, commands=["simpleFoam"])
    [again] = [t for t in inductiva.tasks.get(last_n=5) if t == task]
    assert isinstance(again.get_output(output_dir="again"), OpenFOAMOutput)


def test_download_selected_and_archive(server: MockServer, tmp_path: pathlib.Path) -> None:
    """download_outputs() fetches chosen files, or keeps the whole zip with uncompress=False."""
    task = Synthetic().run(duration=0, files=[("important_file1.txt", 4000), ("big.bin", 90000)])
    out = task.download_outputs(filenames=["important_file1.txt"], output_dir=tmp_path / "some")
    assert sorted(p.name for p in out.iterdir()) == ["important_file1.txt"]
    raw = task.download_outputs(uncompress=False)
    assert raw == pathlib.Path("inductiva_output", task.id)
    [archive] = raw.glob("*.zip")
    assert "artifacts/big.bin" in zipfile.ZipFile(archive).namelist()


def test_tasks_get_and_list_use_one_request(
    server: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """get()/list() read the history one page per request, never one request per task."""
    server.seed(30, status="success", method="fvm.openfoam.run_simulation", api_key="test-key")
    server.reset_stats()
    tasks = inductiva.tasks.get(last_n=25, status="success")
    assert len(tasks) == 25 and all(t.info and t.info.status == "success" for t in tasks)
    inductiva.tasks.list(25, status="success")
    assert server.stats()["requests_by_path"] == {"/tasks": 2}
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 26 and lines[0].split()[:3] == ["ID", "Simulator", "Status"]
    assert all(line.split()[2] == "success" for line in lines[1:])
    assert [line.split()[0] for line in lines[1:]] == [t.id for t in tasks]


def test_tasks_get_rejects_bad_status(server: MockServer) -> None:
    """An invalid status is refused locally, naming the allowed values."""
    with pytest.raises(errors.InvalidArgumentError, match="spot-instance-preempted"):
        inductiva.tasks.get(last_n=3, status="finished")


@pytest.fixture
def default_server(
    mock_server: MockServer, monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> Iterator[MockServer]:
    """The client pointed at the default-mode (long-poll) mock server."""
    monkeypatch.setattr(inductiva, "api_url", mock_server.url)
    monkeypatch.setattr(inductiva, "api_key", "test-key")
    monkeypatch.chdir(tmp_path)
    _http.reset()
    yield mock_server
    _http.reset()


def test_long_poll_wait_returns_within_0_2s_of_completion(default_server: MockServer) -> None:
    """With the long-poll extension, wait() returns within 0.2 s of the task's end."""
    task = Synthetic().run(duration=1.5, run_async=True)
    assert task.wait(timeout=30) == "success"
    returned = datetime.datetime.now(datetime.UTC)
    end_time = task.get_info().end_time
    assert end_time is not None and (returned - end_time).total_seconds() < 0.2
