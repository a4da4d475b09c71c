"""Scenarios and simulators on httpx.MockTransport: validation, submission, output objects."""

from __future__ import annotations

import json
import pathlib
import uuid
from collections.abc import Iterator

import pytest
from task_fakes import FakeApi, installed

import inductiva
from inductiva import errors
from inductiva._outputs import TaskOutput, output_class, register_output
from inductiva.molecules import ProteinSolvationOutput
from inductiva.simulators import ForceCoefficients, OpenFOAMOutput

PDB = "ATOM      1  N   ALA A   1      11.104   6.134  -6.504  1.00  0.00           N\n"


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
    """The in-memory API behind the shared client."""
    yield from installed(monkeypatch)


@pytest.fixture
def pdb(tmp_path: pathlib.Path) -> pathlib.Path:
    """A one-atom PDB file."""
    path = tmp_path / "my_protein.pdb"
    path.write_text(PDB)
    return path


@pytest.fixture
def case(tmp_path: pathlib.Path) -> pathlib.Path:
    """A minimal OpenFOAM case directory."""
    (tmp_path / "case" / "system").mkdir(parents=True)
    (tmp_path / "case" / "system" / "controlDict").write_text("application simpleFoam;\n")
    return tmp_path / "case"


def _submissions(api: FakeApi) -> list[tuple[dict[str, object], str]]:
    return [
        (json.loads(r.content), r.headers.get("Idempotency-Key", ""))
        for r in api.requests
        if r.url.path == "/tasks/submit"
    ]


def test_missing_pdb_is_rejected_before_any_request(
    fake_api: FakeApi, tmp_path: pathlib.Path
) -> None:
    """A PDB path that does not exist is an InvalidArgumentError naming it; nothing is sent."""
    with pytest.raises(errors.InvalidArgumentError, match=r"nope\.pdb"):
        inductiva.molecules.ProteinSolvation(protein_pdb=tmp_path / "nope.pdb")
    assert fake_api.requests == []


def test_bad_simulation_parameters_are_rejected(fake_api: FakeApi, pdb: pathlib.Path) -> None:
    """Non-positive simulation_time_ns or temperature are rejected before any request."""
    scenario = inductiva.molecules.ProteinSolvation(protein_pdb=pdb)
    with pytest.raises(errors.InvalidArgumentError, match="simulation_time_ns"):
        scenario.simulate(simulation_time_ns=0)
    with pytest.raises(errors.InvalidArgumentError, match="temperature"):
        scenario.simulate(temperature=-5)
    assert fake_api.requests == []


def test_protein_solvation_async_submits_and_uploads(fake_api: FakeApi, pdb: pathlib.Path) -> None:
    """simulate(run_async=True) registers, uploads the PDB, and returns without waiting."""
    scenario = inductiva.molecules.ProteinSolvation(protein_pdb=str(pdb))
    task = scenario.simulate(simulation_time_ns=0.5, temperature=310, run_async=True)
    assert isinstance(task, inductiva.Task)
    assert fake_api.paths() == ["POST /tasks/submit", f"POST /tasks/{task.id}/input"]
    [(body, key)] = _submissions(fake_api)
    assert body == {
        "method": "md.gromacs.protein_solvation",
        "params": {
            "protein_pdb": "my_protein.pdb",
            "simulation_time_ns": 0.5,
            "temperature": 310.0,
        },
    }
    assert uuid.UUID(key).version == 4


def test_each_submission_has_a_fresh_idempotency_key(fake_api: FakeApi, pdb: pathlib.Path) -> None:
    """Two submissions carry two different Idempotency-Key headers."""
    scenario = inductiva.molecules.ProteinSolvation(protein_pdb=pdb)
    scenario.simulate(run_async=True)
    scenario.simulate(run_async=True)
    keys = [key for _, key in _submissions(fake_api)]
    assert len(set(keys)) == 2 and all(keys)


def test_blocking_simulate_waits_until_done(
    fake_api: FakeApi, pdb: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """simulate() without run_async returns only once the task has finished."""
    original_add = fake_api.add

    def scripted(task_id: str, status: str = "submitted", then: tuple[str, ...] = (), **kw: object):
        return original_add(task_id, status, then=("started", "success"), **kw)

    monkeypatch.setattr(fake_api, "add", scripted)
    task = inductiva.molecules.ProteinSolvation(protein_pdb=pdb).simulate()
    assert fake_api.tasks[task.id]["status"] == "success"


def test_interrupted_upload_kills_the_task(
    fake_api: FakeApi, pdb: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C during the upload kills the registered task and re-raises KeyboardInterrupt."""

    def interrupted(task_id: str, input_dir: pathlib.Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("inductiva._upload.upload_input", interrupted)
    with pytest.raises(KeyboardInterrupt):
        inductiva.molecules.ProteinSolvation(protein_pdb=pdb).simulate(run_async=True)
    [task] = fake_api.tasks.values()
    assert task["status"] == "killed"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"commands": []}, "non-empty list"),
        ({"commands": "simpleFoam"}, "non-empty list"),
        ({"commands": ["blockMesh", " "]}, "non-empty string"),
        ({"commands": ["simpleFoam"], "n_vcpus": 0}, "n_vcpus"),
    ],
)
def test_openfoam_validates_arguments(
    fake_api: FakeApi, case: pathlib.Path, kwargs: dict[str, object], message: str
) -> None:
    """Empty or malformed commands and bad n_vcpus are rejected before any request."""
    with pytest.raises(errors.InvalidArgumentError, match=message):
        inductiva.simulators.OpenFOAM().run(input_dir=case, **kwargs)  # type: ignore[arg-type]
    assert fake_api.requests == []


def test_openfoam_missing_input_dir(fake_api: FakeApi, tmp_path: pathlib.Path) -> None:
    """A missing input_dir is an InvalidArgumentError naming it."""
    with pytest.raises(errors.InvalidArgumentError, match="missing_case"):
        inductiva.simulators.OpenFOAM().run(input_dir=tmp_path / "missing_case", commands=["x"])
    assert fake_api.requests == []


def test_openfoam_submits_commands(fake_api: FakeApi, case: pathlib.Path) -> None:
    """run() sends the method, the commands and n_vcpus."""
    inductiva.simulators.OpenFOAM().run(
        input_dir=case, commands=["blockMesh", "simpleFoam"], n_vcpus=4, run_async=True
    )
    [(body, _)] = _submissions(fake_api)
    assert body == {
        "method": "fvm.openfoam.run_simulation",
        "params": {"commands": ["blockMesh", "simpleFoam"], "n_vcpus": 4},
    }


def test_protein_output_parses_files(tmp_path: pathlib.Path) -> None:
    """ProteinSolvationOutput exposes the structure, trajectory and parsed energies."""
    (tmp_path / "energy.csv").write_text("time_ps,potential_kj_mol\n0.000,-390.5\n2.5,-391.25\n")
    output = ProteinSolvationOutput(tmp_path)
    assert output.energies() == [(0.0, -390.5), (2.5, -391.25)]
    assert output.final_structure == tmp_path / "solvated_protein.gro"
    assert output.trajectory == tmp_path / "trajectory.pdb"


def test_openfoam_output_parses_files(tmp_path: pathlib.Path) -> None:
    """OpenFOAMOutput reads logs, time directories and force coefficients."""
    (tmp_path / "log.simpleFoam").write_text("End\n")
    (tmp_path / "log.blockMesh").write_text("mesh\n")
    for name in ("100", "0.5", "constant"):
        (tmp_path / name).mkdir()
    coeffs = tmp_path / "postProcessing" / "forceCoeffs" / "0"
    coeffs.mkdir(parents=True)
    (coeffs / "coefficient.dat").write_text("# Force\n# Time Cd Cl\n1\t0.5\t0.01\n2\t0.45\t-0.02\n")
    output = OpenFOAMOutput(tmp_path)
    assert output.logs() == {"blockMesh": "mesh\n", "simpleFoam": "End\n"}
    assert output.time_steps() == [0.5, 100.0]
    assert output.force_coefficients() == [
        ForceCoefficients(1.0, 0.5, 0.01),
        ForceCoefficients(2.0, 0.45, -0.02),
    ]


def test_generic_output_and_registry(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unknown methods get TaskOutput; register_output adds a class for a method."""
    monkeypatch.setattr("inductiva._outputs._REGISTRY", dict(inductiva._outputs._REGISTRY))
    (tmp_path / "stdout.txt").write_text("hello")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "f.txt").write_text("")
    output = output_class("new.thing.run")(tmp_path)
    assert type(output) is TaskOutput and output.stdout() == "hello"
    assert output.files() == ["stdout.txt", "sub/f.txt"]

    class Mine(TaskOutput):
        pass

    register_output("mine.run", Mine)
    assert output_class("mine.run") is Mine
