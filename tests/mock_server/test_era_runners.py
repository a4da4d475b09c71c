"""The era's runners on their own (no server): deterministic outputs, clear failures."""

from __future__ import annotations

import io
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from era_inputs import Case, by_method
from inductiva_mock.runners import METHOD_RUNNERS

ONE_PER_RUNNER = [
    "protein_solvation.gromacs.run_simulation",
    "wind_tunnel.openfoam.run_simulation",
    "heat_sink.openfoam.run_simulation",
    "fluid_tank.splishsplash.run_simulation",
    "dam_break.dualsphysics.run_simulation",
    "coastal_area.swash.run_simulation",
    "sw.xbeach.run_simulation",
    "stellarators.simsopt.run_simulation",
    "deformable_plate.fenicsx.run_simulation",
]


def run(case: Case, where: pathlib.Path) -> tuple[int, str, dict[str, bytes]]:
    """Run *case*'s runner as the supervisor does; exit status, stderr and the output files."""
    inputs, out = where / "in", where / "out"
    inputs.mkdir(parents=True)
    for name, data in case.files.items():
        (inputs / name).parent.mkdir(parents=True, exist_ok=True)
        (inputs / name).write_bytes(data if isinstance(data, bytes) else data.encode())
    (where / "params.json").write_text(json.dumps(case.params))
    module = f"inductiva_mock.runners.{METHOD_RUNNERS[case.method]}"
    args = ["--input-dir", str(inputs), "--output-dir", str(out), "--params"]
    proc = subprocess.run(
        [sys.executable, "-m", module, *args, str(where / "params.json"), "--method", case.method],
        capture_output=True,
        text=True,
        cwd=inputs,
        timeout=60,
    )
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    return proc.returncode, proc.stderr, files


@pytest.mark.parametrize("method", ONE_PER_RUNNER)
def test_runner_outputs_are_deterministic(tmp_path: pathlib.Path, method: str) -> None:
    """Two runs of the same task write the same files, byte for byte."""
    code, stderr, first = run(by_method(method), tmp_path / "a")
    assert code == 0, stderr
    assert run(by_method(method), tmp_path / "b")[2] == first


def _without(method: str, name: str, **params: object) -> Case:
    case = by_method(method)
    files = {k: v for k, v in case.files.items() if k != name}
    return Case(method, {**case.params, **params}, files)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        (
            _without("sph.splishsplash.run_simulation", "scene.json"),
            "input file 'scene.json' (parameter 'input_filename') not found",
        ),
        (_without("fluid_tank.splishsplash.run_simulation", "tank.json"), "'tank.json'"),
        (_without("sph.dualsphysics.run_simulation", "case.xml"), "'case.xml'"),
        (_without("sw.swash.run_simulation", "input.sws"), "'input.sws'"),
        (_without("sw.xbeach.run_simulation", "params.txt"), "'params.txt'"),
        (
            _without("stellarators.simsopt.run_simulation", "coil_coefficients.npz"),
            "'coil_coefficients.npz'",
        ),
        (_without("stellarators.simsopt.run_simulation", "", num_samples=0), "num_samples"),
        (_without("deformable_plate.fenicsx.run_simulation", "material.json"), "'material.json'"),
        (
            _without("wind_tunnel.openfoam.run_simulation", "constant/triSurface/object.obj"),
            "the object's surface",
        ),
        (
            _without("fvm.openfoam.run_simulation", "", commands=["frobnicateFoam"]),
            "unknown OpenFOAM command 'frobnicateFoam'",
        ),
        (
            _without("protein_solvation.gromacs.run_simulation", "", commands=["gmx editconf"]),
            "option -f is required",
        ),
    ],
    ids=[
        "splishsplash-scene",
        "fluid-tank-json",
        "dualsphysics-case",
        "swash-input",
        "xbeach-params",
        "simsopt-coils",
        "simsopt-samples",
        "fenicsx-material",
        "wind-tunnel-object",
        "openfoam-command",
        "gromacs-option",
    ],
)
def test_runner_failures_name_the_problem(tmp_path: pathlib.Path, case: Case, message: str) -> None:
    """A missing input or a bad parameter exits 1 with `error: ...` naming it on stderr."""
    code, stderr, _ = run(case, tmp_path)
    assert code == 1 and stderr.startswith("error: ") and message in stderr, stderr


def test_protein_solvation_needs_the_md_run(tmp_path: pathlib.Path) -> None:
    """The RMSF post-processing fails clearly when the commands did not run the MD."""
    solvation = by_method("protein_solvation.gromacs.run_simulation")
    commands = solvation.params["commands"]
    assert isinstance(commands, list)
    case = Case(solvation.method, {"commands": commands[:3]}, solvation.files)
    code, stderr, files = run(case, tmp_path)
    assert code == 1 and "post-processing needs solvated_protein.tpr" in stderr
    assert "rmsf_values.npy" not in files


def test_protein_without_c_alphas_gets_an_empty_rmsf(tmp_path: pathlib.Path) -> None:
    """A protein with no CA atom still succeeds, with an empty (0,) rmsf_values.npy."""
    solvation = by_method("protein_solvation.gromacs.run_simulation")
    pdb = "ATOM      1  N   ALA A   1      11.104   6.134  -6.504  1.00  0.00           N\n"
    code, stderr, files = run(
        Case(solvation.method, solvation.params, {**solvation.files, "protein.pdb": pdb}), tmp_path
    )
    assert code == 0, stderr
    assert np.load(io.BytesIO(files["rmsf_values.npy"])).shape == (0,)


def test_npz_bytes_do_not_depend_on_the_clock(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """write_npz gives the same bytes at any time of day (no member timestamps)."""
    import time

    from inductiva_mock.runners._npy import write_npz

    arrays = {"field": ([1.0, 2.0, 3.0, 4.0], (2, 2))}
    written = []
    for clock in (0.0, 1_800_000_000.0):
        monkeypatch.setattr(time, "time", lambda clock=clock: clock)
        write_npz(tmp_path / f"{clock}.npz", arrays)
        written.append((tmp_path / f"{clock}.npz").read_bytes())
    assert written[0] == written[1]
    with np.load(tmp_path / "0.0.npz") as loaded:
        assert loaded["field"].tolist() == [[1.0, 2.0], [3.0, 4.0]]
