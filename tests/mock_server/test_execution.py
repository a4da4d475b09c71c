"""Running tasks as subprocesses: methods, exit codes, kill and concurrency."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable

import httpx
from inductiva_mock.launcher import MockServer
from mock_helpers import client_for, process_alive, submit, wait_final, wait_status

PDB = (
    "HEADER    TEST PROTEIN\n"
    "ATOM      1  N   ALA A   1      11.104   6.134  -6.504  1.00  0.00           N\n"
    "ATOM      2  CA  ALA A   1      11.639   6.071  -5.147  1.00  0.00           C\n"
    "ATOM      3  C   ALA A   1      13.155   5.926  -5.096  1.00  0.00           C\n"
    "END\n"
)


def _zip_members(api: httpx.Client, task_id: str) -> dict[str, bytes]:
    r = api.get(f"/tasks/{task_id}/output")
    assert r.status_code == 200
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def test_synthetic_outputs_and_stdio(api: httpx.Client, run_task: Callable[..., str]) -> None:
    """synthetic.run writes stdout/stderr and the requested files into the zip."""
    task_id = run_task(
        "synthetic.run",
        {"stdout": "out!", "stderr": "err!", "files": [{"name": "d/e/f.txt", "size": 5000}]},
    )
    assert api.get(f"/tasks/{task_id}").json()["status"] == "success"
    members = _zip_members(api, task_id)
    assert members["stdout.txt"] == b"out!" and members["stderr.txt"] == b"err!"
    assert len(members["d/e/f.txt"]) == 5000


def test_nonzero_exit_code_fails_with_outputs(api: httpx.Client) -> None:
    """exit_code != 0 → failed, and the outputs still exist."""
    task_id = submit(api, "synthetic.run", {"exit_code": 3, "stderr": "boom"})
    assert wait_final(api, task_id) == "failed"
    assert _zip_members(api, task_id)["stderr.txt"] == b"boom"


def test_unknown_method_fails(api: httpx.Client) -> None:
    """A method without a simulator fails with a message on stderr."""
    task_id = submit(api, "nope.nothing", {})
    assert wait_final(api, task_id) == "failed"
    assert b"no simulator" in _zip_members(api, task_id)["stderr.txt"]


def test_protein_solvation_outputs(api: httpx.Client) -> None:
    """md.gromacs.protein_solvation writes .gro, trajectory, energy.csv and md.log."""
    task_id = submit(
        api,
        "md.gromacs.protein_solvation",
        {"protein_pdb": "prot.pdb", "simulation_time_ns": 0.1, "temperature": 300},
        {"prot.pdb": PDB},
    )
    assert wait_final(api, task_id) == "success"
    m = _zip_members(api, task_id)
    assert {"solvated_protein.gro", "trajectory.pdb", "energy.csv", "md.log"} <= set(m)
    assert m["energy.csv"].splitlines()[0] == b"time_ps,potential_kj_mol"
    assert m["trajectory.pdb"].count(b"MODEL") == len(m["energy.csv"].splitlines()) - 1


def test_protein_solvation_missing_pdb_fails(api: httpx.Client) -> None:
    """A missing PDB → failed with a clear stderr message."""
    task_id = submit(api, "md.gromacs.protein_solvation", {"protein_pdb": "missing.pdb"})
    assert wait_final(api, task_id) == "failed"
    assert b"not found" in _zip_members(api, task_id)["stderr.txt"]


def test_openfoam_outputs(api: httpx.Client) -> None:
    """fvm.openfoam.run_simulation writes logs, time dirs and force coefficients."""
    task_id = submit(
        api,
        "fvm.openfoam.run_simulation",
        {"commands": ["blockMesh", "simpleFoam"], "n_vcpus": 2},
        {"system/controlDict": "application simpleFoam;"},
    )
    assert wait_final(api, task_id) == "success"
    m = _zip_members(api, task_id)
    assert {"log.blockMesh", "log.simpleFoam", "100/U", "200/U", "200/p"} <= set(m)
    coeff = m["postProcessing/forceCoeffs/0/coefficient.dat"].decode()
    assert "# Time Cd Cl" in coeff


def test_openfoam_unknown_command_fails(api: httpx.Client) -> None:
    """An unknown OpenFOAM command → failed."""
    task_id = submit(api, "fvm.openfoam.run_simulation", {"commands": ["frobnicateFoam"]})
    assert wait_final(api, task_id) == "failed"


def test_kill_before_start_never_runs(mock_server: MockServer, api: httpx.Client) -> None:
    """Killing a pending-input task makes it killed; it never starts and has no outputs."""
    task_id = submit(api, "synthetic.run", {"stdout": "should not run"}, upload=False)
    r = api.post(f"/tasks/{task_id}/kill")
    assert r.status_code == 202 and r.json()["status"] == "killed"
    r = api.post(f"/tasks/{task_id}/input", content=b"")
    assert r.status_code == 409
    time.sleep(0.3)
    task = api.get(f"/tasks/{task_id}").json()
    assert task["status"] == "killed" and task["start_time"] is None
    assert api.get(f"/tasks/{task_id}/output").json()["code"] == "no_outputs"
    assert not (mock_server.data_dir / "tasks" / task_id / "runner.pid").exists()


def test_kill_queued_submitted_task_never_starts(mock_server: MockServer) -> None:
    """With all slots busy, a submitted task killed in the queue never starts."""
    with (
        MockServer(api_keys=["k"], extra_args=["--max-concurrent", "1"]) as s,
        client_for(s, "k") as c,
    ):
        blocker = submit(c, "synthetic.run", {"duration": 30})
        wait_status(c, blocker, "started")
        queued = submit(c, "synthetic.run", {"stdout": "x"})
        assert c.get(f"/tasks/{queued}/status").json()["status"] == "submitted"
        assert c.post(f"/tasks/{queued}/kill").json()["status"] == "killed"
        c.post(f"/tasks/{blocker}/kill")
        assert wait_final(c, blocker) == "killed"
        later = submit(c, "synthetic.run", {})  # queued behind it: runs only after its turn
        assert wait_final(c, later) == "success"
        assert c.get(f"/tasks/{queued}").json()["start_time"] is None
        assert not (s.data_dir / "tasks" / queued / "runner.pid").exists()


def test_kill_running_terminates_process(mock_server: MockServer, api: httpx.Client) -> None:
    """Killing a started task → pending-kill, the process group dies, status killed."""
    task_id = submit(api, "synthetic.run", {"duration": 60, "stdout": "working"})
    wait_status(api, task_id, "started")
    pid = int((mock_server.data_dir / "tasks" / task_id / "runner.pid").read_text())
    assert process_alive(pid)
    stdout = mock_server.data_dir / "tasks" / task_id / "stdout.txt"
    deadline = time.monotonic() + 10
    while stdout.read_bytes() != b"working":  # the runner printed before it is killed
        assert time.monotonic() < deadline, "the runner never printed"
        time.sleep(0.02)
    r = api.post(f"/tasks/{task_id}/kill")
    assert r.status_code == 202 and r.json()["status"] in ("pending-kill", "killed")
    assert wait_final(api, task_id) == "killed"
    assert not process_alive(pid)
    assert api.post(f"/tasks/{task_id}/kill").status_code == 202  # idempotent
    assert _zip_members(api, task_id)["stdout.txt"] == b"working"


def test_kill_finished_task_is_409(api: httpx.Client, run_task: Callable[..., str]) -> None:
    """Killing a task that finished successfully → 409 with the Error model."""
    task_id = run_task("synthetic.run", {})
    r = api.post(f"/tasks/{task_id}/kill")
    assert r.status_code == 409 and r.json()["code"] == "conflict"


def test_max_concurrent_limits_running_tasks() -> None:
    """No more than --max-concurrent tasks are started at once."""
    with (
        MockServer(api_keys=["k"], extra_args=["--max-concurrent", "2"]) as s,
        client_for(s, "k") as c,
    ):
        ids = [submit(c, "synthetic.run", {"duration": 30}) for _ in range(3)]
        wait_status(c, ids[0], "started")
        wait_status(c, ids[1], "started")
        time.sleep(0.3)
        assert c.get(f"/tasks/{ids[2]}/status").json()["status"] == "submitted"
        c.post(f"/tasks/{ids[0]}/kill")
        wait_status(c, ids[2], "started")
        for t in ids:
            c.post(f"/tasks/{t}/kill")
