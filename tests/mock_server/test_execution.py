"""Running tasks as subprocesses: the era's methods, exit codes, kill and concurrency."""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections.abc import Callable

import httpx
from inductiva_mock.launcher import MockServer
from mock_helpers import (
    GROMACS,
    OPENFOAM,
    PROTEIN_SOLVATION,
    SYNTHETIC,
    client_for,
    process_alive,
    submit,
    wait_final,
    wait_status,
)

PDB = (
    "HEADER    TEST PROTEIN\n"
    "ATOM      1  N   ALA A   1      11.104   6.134  -6.504  1.00  0.00           N\n"
    "ATOM      2  CA  ALA A   1      11.639   6.071  -5.147  1.00  0.00           C\n"
    "ATOM      3  C   ALA A   1      13.155   5.926  -5.096  1.00  0.00           C\n"
    "END\n"
)
# The era's commands.json.jinja, rendered with max_warn 20.
SOLVATION_COMMANDS = [
    "gmx pdb2gmx -f protein.pdb -o protein.gro -water tip3p -ff amber99sb-ildn -ignh",
    "gmx editconf -f protein.gro -o protein_box.gro -c yes -d 1.0 -bt cubic",
    "gmx solvate -cp protein_box.gro -o protein_solv.gro -p topol.top",
    "gmx grompp -f ions.mdp -c protein_solv.gro -p topol.top -o ions.tpr -maxwarn 20",
    "gmx genion -s ions.tpr -o protein_solv_ions.gro -p topol.top -pname NA -nname CL -neutral yes",
    "gmx grompp -f energy_minimization.mdp -c protein_solv_ions.gro -p topol.top -o em.tpr "
    "-maxwarn 20",
    "gmx mdrun -deffnm em -v yes",
    "gmx grompp -f simulation.mdp -c em.gro -r em.gro -p topol.top -o solvated_protein.tpr "
    "-maxwarn 20",
    "gmx mdrun -deffnm solvated_protein -o full_trajectory.trr -x compressed_trajectory.xtc -v yes",
]
SOLVATION_INPUTS = {
    "protein.pdb": PDB,
    "ions.mdp": "integrator = steep\nnsteps = 500\n",
    "energy_minimization.mdp": "integrator = steep ; minimise\nnsteps = 100\nnstlog = 50\n",
    "simulation.mdp": (
        "integrator = md\nnsteps = 500 ; steps\ndt = 0.002\nnstlog = 100\n"
        "nstenergy = 100\nref_t = 310\n"
    ),
}
ENERGY_BLOCK = re.compile(
    r" {11}Step {11}Time\n {0,14}(\d+) {0,14}(\d+\.\d{5})\n\n"
    r"   Energies \(kJ/mol\)\n      Potential    Kinetic En.   Total Energy    Temperature\n"
    r"((?: *-?\d\.\d{5}e[+-]\d\d){4})\n\n"
)


def _zip_members(api: httpx.Client, task_id: str) -> dict[str, bytes]:
    """The task's files (artifacts/ of the full archive), named relative to artifacts/."""
    r = api.get(f"/tasks/{task_id}/output")
    assert r.status_code == 200
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        return {n[len("artifacts/") :]: zf.read(n) for n in zf.namelist() if n.startswith("art")}


def test_synthetic_outputs_and_stdio(api: httpx.Client, run_task: Callable[..., str]) -> None:
    """test.synthetic.run_simulation writes stdout/stderr and the files into artifacts/."""
    task_id = run_task(
        SYNTHETIC,
        {"stdout": "out!", "stderr": "err!", "files": [{"name": "d/e/f.txt", "size": 5000}]},
    )
    assert api.get(f"/tasks/{task_id}").json()["status"] == "success"
    members = _zip_members(api, task_id)
    assert members["stdout.txt"] == b"out!" and members["stderr.txt"] == b"err!"
    assert len(members["d/e/f.txt"]) == 5000


def test_nonzero_exit_code_fails_with_outputs(api: httpx.Client) -> None:
    """exit_code != 0 → failed, and the outputs still exist."""
    task_id = submit(api, SYNTHETIC, {"exit_code": 3, "stderr": "boom"})
    assert wait_final(api, task_id) == "failed"
    assert _zip_members(api, task_id)["stderr.txt"] == b"boom"


def test_unsimulated_and_old_method_names_fail(api: httpx.Client) -> None:
    """A later <area>.<sim>.run_simulation, or a pre-era name, fails with a clear stderr."""
    for method in (
        "fdm.fds.run_simulation",
        "synthetic.run",
        "md.gromacs.protein_solvation",
    ):
        task_id = submit(api, method, {})
        assert wait_final(api, task_id) == "failed", method
        stderr = _zip_members(api, task_id)["stderr.txt"]
        assert b"no simulator for method" in stderr and method.encode() in stderr


def test_protein_solvation_runs_the_era_commands(api: httpx.Client) -> None:
    """protein_solvation.gromacs.run_simulation interprets the gmx commands into their files."""
    commands = [{"cmd": c, "prompts": ["SOL"] if "genion" in c else []} for c in SOLVATION_COMMANDS]
    task_id = submit(api, PROTEIN_SOLVATION, {"commands": commands}, SOLVATION_INPUTS)
    assert wait_final(api, task_id) == "success"
    m = _zip_members(api, task_id)
    expected = {
        "protein.gro",
        "topol.top",
        "protein_box.gro",
        "protein_solv.gro",
        "protein_solv_ions.gro",
        "em.gro",
        "em.log",
        "solvated_protein.tpr",
        "solvated_protein.gro",
        "solvated_protein.log",
        "solvated_protein.edr",
        "compressed_trajectory.xtc",
        "full_trajectory.trr",
        *SOLVATION_INPUTS,
    }
    assert expected <= set(m), sorted(expected - set(m))
    assert b"SOL" in m["topol.top"] and b"NA" in m["topol.top"]
    blocks = ENERGY_BLOCK.findall(m["solvated_protein.log"].decode())
    assert [int(step) for step, _, _ in blocks] == [0, 100, 200, 300, 400, 500]
    assert [float(t) for _, t, _ in blocks] == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    temperatures = [float(values.split()[3]) for _, _, values in blocks]
    assert all(300 < t < 320 for t in temperatures)
    assert all(float(values.split()[0]) < 0 for _, _, values in blocks)  # potential


def test_energy_block_format_is_exact() -> None:
    """An energy block is the md.log layout of the plan, 15-character columns."""
    from inductiva_mock.runners.gromacs import energy_block

    block = energy_block(
        0,
        0.0,
        {
            "Potential": -1.23456e04,
            "Kinetic En.": 3.45678e03,
            "Total Energy": -8.88882e03,
            "Temperature": 3.0e02,
        },
    )
    assert block == (
        "           Step           Time\n"
        "              0        0.00000\n"
        "\n"
        "   Energies (kJ/mol)\n"
        "      Potential    Kinetic En.   Total Energy    Temperature\n"
        "   -1.23456e+04    3.45678e+03   -8.88882e+03    3.00000e+02\n"
        "\n"
    )


def test_gromacs_accepts_string_commands(api: httpx.Client) -> None:
    """md.gromacs.run_simulation runs commands given as plain strings."""
    task_id = submit(api, GROMACS, {"commands": SOLVATION_COMMANDS[:3]}, {"protein.pdb": PDB})
    assert wait_final(api, task_id) == "success"
    assert {"protein.gro", "protein_box.gro", "protein_solv.gro"} <= set(_zip_members(api, task_id))


def test_gromacs_missing_input_fails(api: httpx.Client) -> None:
    """A command naming a missing input file → failed with a clear stderr message."""
    task_id = submit(api, GROMACS, {"commands": ["gmx pdb2gmx -f missing.pdb -o p.gro"]})
    assert wait_final(api, task_id) == "failed"
    assert b"'missing.pdb'" in _zip_members(api, task_id)["stderr.txt"]


def test_gromacs_unknown_tool_fails(api: httpx.Client) -> None:
    """An unknown gmx tool or a non-gmx command → failed."""
    for cmd in ("gmx frobnicate -f x", "rm -rf /"):
        task_id = submit(api, GROMACS, {"commands": [cmd]})
        assert wait_final(api, task_id) == "failed", cmd


def test_openfoam_outputs(api: httpx.Client) -> None:
    """fvm.openfoam.run_simulation ({cmd, prompts} commands, n_cores) writes logs and results."""
    commands = [{"cmd": "blockMesh", "prompts": []}, {"cmd": "simpleFoam", "prompts": []}]
    task_id = submit(
        api,
        OPENFOAM,
        {"commands": commands, "n_cores": 2},
        {"system/controlDict": "application simpleFoam;"},
    )
    assert wait_final(api, task_id) == "success"
    m = _zip_members(api, task_id)
    assert {"log.blockMesh", "log.simpleFoam", "100/U", "200/U", "200/p"} <= set(m)
    assert b"nProcs : 2" in m["log.simpleFoam"]
    coeff = m["postProcessing/forceCoeffs/0/coefficient.dat"].decode()
    assert "# Time Cd Cl" in coeff


def test_openfoam_string_commands_and_unknown_command(api: httpx.Client) -> None:
    """Plain string commands run; an unknown OpenFOAM command → failed."""
    ok = submit(api, OPENFOAM, {"commands": ["blockMesh"]})
    assert wait_final(api, ok) == "success"
    bad = submit(api, OPENFOAM, {"commands": [{"cmd": "frobnicateFoam", "prompts": []}]})
    assert wait_final(api, bad) == "failed"


def test_kill_before_start_never_runs(mock_server: MockServer, api: httpx.Client) -> None:
    """Killing a pending-input task: 200 killed; it never starts and has no outputs."""
    task_id = submit(api, SYNTHETIC, {"stdout": "should not run"}, upload=False)
    r = api.post(f"/tasks/{task_id}/kill")
    assert r.status_code == 200 and r.json() == {"id": task_id, "status": "killed"}
    time.sleep(0.3)
    task = api.get(f"/tasks/{task_id}").json()
    assert task["status"] == "killed" and task["start_time"] is None
    assert api.get(f"/tasks/{task_id}/output").status_code == 409
    assert not (mock_server.data_dir / "tasks" / task_id / "runner.pid").exists()


def test_kill_queued_submitted_task_never_starts() -> None:
    """With all slots busy, a submitted task killed in the queue never starts."""
    with (
        MockServer(api_keys=["k"], extra_args=["--max-concurrent", "1"]) as s,
        client_for(s, "k") as c,
    ):
        blocker = submit(c, SYNTHETIC, {"duration": 30})
        wait_status(c, blocker, "started")
        queued = submit(c, SYNTHETIC, {"stdout": "x"})
        assert c.get(f"/tasks/{queued}/status").json()["status"] == "submitted"
        assert c.post(f"/tasks/{queued}/kill").json()["status"] == "killed"
        c.post(f"/tasks/{blocker}/kill")
        assert wait_final(c, blocker) == "killed"
        later = submit(c, SYNTHETIC, {})  # queued behind it: runs only after its turn
        assert wait_final(c, later) == "success"
        assert c.get(f"/tasks/{queued}").json()["start_time"] is None
        assert not (s.data_dir / "tasks" / queued / "runner.pid").exists()


def test_kill_running_terminates_process(mock_server: MockServer, api: httpx.Client) -> None:
    """Killing a started task → 200 pending-kill, the process group dies, status killed."""
    task_id = submit(api, SYNTHETIC, {"duration": 60, "stdout": "working"})
    wait_status(api, task_id, "started")
    pid = int((mock_server.data_dir / "tasks" / task_id / "runner.pid").read_text())
    assert process_alive(pid)
    stdout = mock_server.data_dir / "tasks" / task_id / "stdout.txt"
    deadline = time.monotonic() + 10
    while stdout.read_bytes() != b"working":  # the runner printed before it is killed
        assert time.monotonic() < deadline, "the runner never printed"
        time.sleep(0.02)
    r = api.post(f"/tasks/{task_id}/kill")
    assert r.status_code == 200 and r.json()["status"] in ("pending-kill", "killed")
    assert wait_final(api, task_id) == "killed"
    assert not process_alive(pid)
    r = api.post(f"/tasks/{task_id}/kill")  # idempotent
    assert r.status_code == 200 and r.json()["status"] == "killed"
    assert _zip_members(api, task_id)["stdout.txt"] == b"working"


def test_kill_finished_task_is_200_status_unchanged(
    api: httpx.Client, run_task: Callable[..., str]
) -> None:
    """Killing a finished task → 200 with its final status, which stays unchanged."""
    for params, final in (({}, "success"), ({"exit_code": 1}, "failed")):
        task_id = run_task(SYNTHETIC, params)
        r = api.post(f"/tasks/{task_id}/kill")
        assert r.status_code == 200 and r.json() == {"id": task_id, "status": final}
        assert api.get(f"/tasks/{task_id}").json()["status"] == final
        assert api.get(f"/tasks/{task_id}/output").status_code == 200


def test_max_concurrent_limits_running_tasks() -> None:
    """No more than --max-concurrent tasks are started at once."""
    with (
        MockServer(api_keys=["k"], extra_args=["--max-concurrent", "2"]) as s,
        client_for(s, "k") as c,
    ):
        ids = [submit(c, SYNTHETIC, {"duration": 30}) for _ in range(3)]
        wait_status(c, ids[0], "started")
        wait_status(c, ids[1], "started")
        time.sleep(0.3)
        assert c.get(f"/tasks/{ids[2]}/status").json()["status"] == "submitted"
        c.post(f"/tasks/{ids[0]}/kill")
        wait_status(c, ids[2], "started")
        for t in ids:
            c.post(f"/tasks/{t}/kill")
