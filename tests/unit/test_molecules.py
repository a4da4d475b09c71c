"""inductiva.molecules on httpx.MockTransport: ProteinSolvation's validation, its submission
(blocking and asyncio: simulate / simulate_async), its rendered inputs and its output object."""

from __future__ import annotations

import json
import pathlib
import uuid
from collections.abc import Iterator

import pytest
from task_fakes import FakeApi, Run, input_zip, installed, multipart_parts

import inductiva
from inductiva import errors
from inductiva._http._flow import Flow
from inductiva.molecules import ProteinSolvationOutput, parse_energies

PDB = "ATOM      1  N   ALA A   1      11.104   6.134  -6.504  1.00  0.00           N\n"


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
    """The in-memory API behind the default client, on simulated time."""
    yield from installed(monkeypatch)


@pytest.fixture
def pdb(tmp_path: pathlib.Path) -> pathlib.Path:
    """A one-atom PDB file."""
    path = tmp_path / "my_protein.pdb"
    path.write_text(PDB)
    return path


ERA_COMMANDS = [
    "gmx pdb2gmx -f protein.pdb -o protein.gro -water tip3p -ff amber99sb-ildn -ignh",
    "gmx editconf -f protein.gro -o protein_box.gro -c yes -d 1.0 -bt cubic",
    "gmx solvate -cp protein_box.gro -o protein_solv.gro -p topol.top",
    "gmx grompp -f ions.mdp -c protein_solv.gro -p topol.top -o ions.tpr -maxwarn 0",
    "gmx genion -s ions.tpr -o protein_solv_ions.gro -p topol.top -pname NA -nname CL -neutral yes",
    "gmx grompp -f energy_minimization.mdp -c protein_solv_ions.gro -p topol.top -o em.tpr"
    " -maxwarn 0",
    "gmx mdrun -deffnm em -v yes",
    "gmx grompp -f simulation.mdp -c em.gro -r em.gro -p topol.top -o solvated_protein.tpr"
    " -maxwarn 0",
    "gmx mdrun -deffnm solvated_protein -o full_trajectory.trr -x compressed_trajectory.xtc -v yes",
]

LOG = """\
           Step           Time
              0        0.00000

   Energies (kJ/mol)
          Angle    Proper Dih.  Ryckaert-Bell.          LJ-14     Coulomb-14
    9.74139e+03    4.34956e+03    2.30122e+03   -1.06332e+03    2.16268e+04
        LJ (SR)  Disper. corr.   Coulomb (SR)   Coul. recip.      Potential
    1.80591e+05   -6.55022e+03   -1.55287e+06    6.85015e+03   -1.33558e+06
    Kinetic En.   Total Energy    Temperature
    3.45678e+03   -8.88882e+03    3.00000e+02

           Step           Time
            500        1.00000

   Energies (kJ/mol)
      Potential    Kinetic En.   Total Energy    Temperature
   -1.23456e+04    3.45678e+03   -8.88882e+03    3.00000e+02

\t<====  A V E R A G E S  ====>

   Energies (kJ/mol)
      Potential    Kinetic En.   Total Energy    Temperature
   -9.99999e+04    3.45678e+03   -8.88882e+03    3.00000e+02
"""


def _upload(api: FakeApi) -> tuple[dict[str, bytes], dict[str, object]]:
    """The input zip of the one upload so far, and its input.json."""
    [request] = [r for r in api.requests if r.url.path.endswith("/input")]
    parts = multipart_parts(request)
    assert list(parts) == ["file"]
    return input_zip(parts["file"][1])


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


@pytest.mark.parametrize("bad", [None, 3, 1.5, True, ["a.pdb"], ""])
def test_pdb_that_is_not_a_path_is_rejected(fake_api: FakeApi, bad: object) -> None:
    """A protein_pdb that is not a non-empty str/Path is an InvalidArgumentError (no TypeError)."""
    with pytest.raises(errors.InvalidArgumentError, match="protein_pdb"):
        inductiva.molecules.ProteinSolvation(protein_pdb=bad)  # type: ignore[arg-type]
    assert fake_api.requests == []


def test_bad_simulation_parameters_are_rejected(
    fake_api: FakeApi, pdb: pathlib.Path, run: Run
) -> None:
    """Non-positive simulation_time_ns or temperature are rejected before any request."""
    scenario = inductiva.molecules.ProteinSolvation(protein_pdb=pdb)
    with pytest.raises(errors.InvalidArgumentError, match="simulation_time_ns"):
        run(scenario.simulate, simulation_time_ns=0)
    with pytest.raises(errors.InvalidArgumentError, match="temperature"):
        run(scenario.simulate, temperature=-5)
    assert fake_api.requests == []


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 10**400, 1e16])
@pytest.mark.parametrize("name", ["simulation_time_ns", "temperature", "output_timestep_ps"])
def test_non_finite_or_huge_parameters_are_rejected(
    fake_api: FakeApi, pdb: pathlib.Path, run: Run, name: str, bad: float
) -> None:
    """NaN, infinity or absurdly large numbers are InvalidArgumentErrors naming the parameter."""
    scenario = inductiva.molecules.ProteinSolvation(protein_pdb=pdb)
    with pytest.raises(errors.InvalidArgumentError, match=name):
        run(scenario.simulate, **{name: bad})
    assert fake_api.requests == []


def test_protein_solvation_async_submits_and_uploads(
    fake_api: FakeApi, pdb: pathlib.Path, run: Run
) -> None:
    """simulate(run_async=True) registers the era's method and commands, uploads, returns."""
    scenario = inductiva.molecules.ProteinSolvation(protein_pdb=str(pdb))
    task = run(scenario.simulate, simulation_time_ns=0.5, temperature=310, run_async=True)
    assert isinstance(task, inductiva.Task)
    assert fake_api.paths()[-2:] == ["POST /tasks/submit", f"POST /tasks/{task.id}/input"]
    [(body, key)] = _submissions(fake_api)
    assert body["method"] == "protein_solvation.gromacs.run_simulation"
    params = body["params"]
    assert isinstance(params, dict) and list(params) == ["sim_dir", "commands"]
    assert params["sim_dir"] == "sim_dir"
    assert [c["cmd"] for c in params["commands"]] == ERA_COMMANDS
    assert [c["prompts"] for c in params["commands"]][4] == ["SOL"]
    assert uuid.UUID(key).version == 4
    members, document = _upload(fake_api)
    assert document == params
    assert sorted(members) == [
        "input.json",
        "sim_dir/",
        "sim_dir/energy_minimization.mdp",
        "sim_dir/ions.mdp",
        "sim_dir/protein.pdb",
        "sim_dir/simulation.mdp",
    ]
    assert members["sim_dir/protein.pdb"] == PDB.encode()


def test_protein_solvation_renders_its_mdp_files(
    fake_api: FakeApi, pdb: pathlib.Path, run: Run
) -> None:
    """nsteps, ref_t, integrator, output frequency and minimisation steps reach the .mdp files."""
    scenario = inductiva.molecules.ProteinSolvation(protein_pdb=pdb, temperature=290)
    run(
        scenario.simulate,
        simulation_time_ns=0.5,
        output_timestep_ps=2,
        integrator="sd",
        n_steps_min=100,
        ignore_warnings=True,
        run_async=True,
    )
    members, document = _upload(fake_api)
    sim = members["sim_dir/simulation.mdp"].decode()
    assert "nsteps                  = 250000 " in sim
    assert "ref_t                   = 290.0 " in sim
    assert "integrator              = sd " in sim
    assert "nstxout                 = 1000 " in sim and "$" not in sim
    em = members["sim_dir/energy_minimization.mdp"].decode()
    assert "nsteps          = 100 " in em
    assert "integrator      = steep" in members["sim_dir/ions.mdp"].decode()
    commands = document["commands"]
    assert isinstance(commands, list) and commands[3]["cmd"].endswith("-maxwarn -1")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"integrator": "verlet"}, "integrator"),
        ({"output_timestep_ps": 0}, "output_timestep_ps"),
        ({"n_steps_min": 1.5}, "n_steps_min"),
        ({"simulation_time_ns": 1e-7}, "2 fs step"),
    ],
)
def test_protein_solvation_validates_md_settings(
    fake_api: FakeApi, pdb: pathlib.Path, kwargs: dict[str, object], message: str, run: Run
) -> None:
    """Bad integrator, output interval, minimisation steps or too short a run: no request."""
    scenario = inductiva.molecules.ProteinSolvation(protein_pdb=pdb)
    with pytest.raises(errors.InvalidArgumentError, match=message):
        run(scenario.simulate, **kwargs)  # type: ignore[arg-type]
    assert fake_api.requests == []


def test_each_submission_has_a_fresh_idempotency_key(
    fake_api: FakeApi, pdb: pathlib.Path, run: Run
) -> None:
    """Two submissions carry two different Idempotency-Key headers."""
    scenario = inductiva.molecules.ProteinSolvation(protein_pdb=pdb)
    run(scenario.simulate, run_async=True)
    run(scenario.simulate, run_async=True)
    keys = [key for _, key in _submissions(fake_api)]
    assert len(set(keys)) == 2 and all(keys)


def test_blocking_simulate_waits_until_done(
    fake_api: FakeApi, pdb: pathlib.Path, monkeypatch: pytest.MonkeyPatch, run: Run
) -> None:
    """simulate() without run_async returns only once the task has finished."""
    original_add = fake_api.add

    def scripted(task_id: str, status: str = "submitted", then: tuple[str, ...] = (), **kw: object):
        return original_add(task_id, status, then=("started", "success"), **kw)

    monkeypatch.setattr(fake_api, "add", scripted)
    task = run(inductiva.molecules.ProteinSolvation(protein_pdb=pdb).simulate)
    assert fake_api.tasks[task.id]["status"] == "success"


def test_protein_output_parses_files(tmp_path: pathlib.Path) -> None:
    """ProteinSolvationOutput names the era's files and parses energies from the MD log."""
    (tmp_path / "solvated_protein.log").write_text(LOG)
    output = ProteinSolvationOutput(tmp_path)
    assert output.energies() == [(0.0, -1.33558e06), (1.0, -1.23456e04)]
    assert output.final_structure == tmp_path / "solvated_protein.gro"
    assert output.trajectory == tmp_path / "compressed_trajectory.xtc"
    assert output.log == tmp_path / "solvated_protein.log"


def test_energy_parser_skips_blocks_without_a_frame() -> None:
    """An Energies block with no Step/Time before it (the averages) is not a frame."""
    assert parse_energies("   Energies (kJ/mol)\n      Potential\n   -1.0e+00\n\n") == []
    assert parse_energies("") == []


def test_interrupted_upload_kills_the_task(
    fake_api: FakeApi, pdb: pathlib.Path, monkeypatch: pytest.MonkeyPatch, run: Run
) -> None:
    """Ctrl-C during the upload kills the registered task and re-raises KeyboardInterrupt."""

    def interrupted(task_id: str, input_dir: pathlib.Path, params: object) -> Flow[None]:
        raise KeyboardInterrupt
        yield  # a flow

    monkeypatch.setattr("inductiva._transfers._upload.upload_flow", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(inductiva.molecules.ProteinSolvation(protein_pdb=pdb).simulate, run_async=True)
    [task] = fake_api.tasks.values()
    assert task["status"] == "killed"
