"""Every era method runs on the mock and its output class opens the files it produced.

One test per method name (the era's backend list): the task is submitted with
small inputs (``era_inputs``), ``get_output()`` picks the class registered for
the method, and the class's readers open each characteristic file. Then the
era's own ``get_output()`` path: a protein solvation's default files fetched
alone (``?filename=`` subset), in default and legacy mode.
"""

from __future__ import annotations

import asyncio
import io
import pathlib
import struct
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import numpy as np
import pytest
from era_inputs import CASES, PDB, Case
from inductiva_mock.launcher import MockServer
from inductiva_mock.runners import METHOD_RUNNERS

import inductiva
from inductiva import _http, _simulation, outputs
from inductiva._outputs import TaskOutput, output_class

pytestmark = pytest.mark.contract


@pytest.fixture
def client(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> Iterator[MockServer]:
    """The client pointed at a session mock (default mode unless the test parametrizes it
    with "legacy_mock_server"), run from a temp directory."""
    server: MockServer = request.getfixturevalue(getattr(request, "param", "mock_server"))
    monkeypatch.setattr(inductiva, "api_url", server.url)
    monkeypatch.setattr(inductiva, "api_key", "test-key")
    monkeypatch.chdir(tmp_path)
    _http.reset()
    yield server
    _http.reset()


def run_case(case: Case, tmp_path: pathlib.Path) -> TaskOutput:
    """Submit *case* through the client, wait, download everything and return its output."""
    inputs = tmp_path / "inputs"
    for name, data in case.files.items():
        path = inputs / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
    inputs.mkdir(exist_ok=True)
    task: inductiva.Task[TaskOutput] = _simulation.submit(case.method, case.params, inputs)
    assert task.get_status() == "success", task.download_outputs(["stderr.txt"]).read_text()
    output = task.get_output()
    assert type(output) is output_class(case.method)
    return output


# -- checks, one per family of methods ------------------------------------------------


def check_protein_solvation(out: Any) -> None:
    rmsf = out.rmsf()
    assert len(rmsf) == 6 and all(0 < v < 5 for v in rmsf)  # Å, one per C-alpha
    assert np.load(out.path / "rmsf_values.npy").tolist() == rmsf  # a real .npy
    assert len(out.energies()) == 6 and out.final_structure.is_file()
    assert set(out.default_files) <= set(out.files())


def check_gromacs(out: Any) -> None:
    assert [t for t, _ in out.energies("md.log")] == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    energy = out.xvg("energy.xvg")
    assert energy.legends == ("Potential",) and len(energy.rows) == 6
    assert [row[0] for row in out.xvg("rmsf.xvg").rows] == [1, 2, 3, 4, 5, 6]  # residues


def check_water_box(out: Any) -> None:
    assert len(out.energies()) == 6 and out.topology.is_file() and out.trajectory.is_file()
    magic, natoms = struct.unpack(">ii", out.compressed_trajectory.read_bytes()[:8])
    assert magic == 1995 and natoms > 0  # an XTC frame header
    assert (out.path / "traj_comp.xtc").is_file()  # `-x` without a name: mdrun's default
    assert "SOL" in (out.path / "eql.top").read_text()  # grompp -pp: the processed topology


def check_openfoam(out: Any) -> None:
    assert out.time_steps() == [100.0, 200.0]
    assert len(out.field("U").values) == 8 and len(out.field("p", 100).values) == 8
    assert len(out.force_coefficients()) == 200


def check_wind_tunnel(out: Any) -> None:
    final = out.final_force_coefficients()
    assert list(final) == ["Time", "Cm", "Cd", "Cl", "Cl(f)", "Cl(r)"] and final["Time"] == 20
    history = out.force_coefficients()
    assert len(history) == 20 and history[-1].cd == pytest.approx(final["Cd"])
    surface = out.pressure_field()
    assert len(surface.points) == 8 and len(surface.cells["POLYGONS"]) == 6
    assert len(surface.point_data["p"].values) == 8 and len(surface.cell_data["p"].values) == 6
    lines = out.streamlines()
    assert lines.cells["LINES"] and lines.point_data["U"].components == 3
    for plane in ("xy", "xz", "yz"):
        assert set(out.flow_slice(plane).point_data) == {"p", "U"}
    assert out.object_mesh.is_file() and out.time_steps() == [0.0, 20.0]


def check_wind_terrain(out: Any) -> None:
    assert out.time_steps() == [0.0, 20.0]
    assert {name: len(out.field(name).values) for name in ("U", "p", "k")} == dict.fromkeys(
        ("U", "p", "k"), 8
    )


def check_heat_sink(out: Any) -> None:
    assert out.regions() == ["fins", "fluid", "heater"]
    heater = out.temperatures("heater")
    assert [t for t, _, _ in heater] == [10.0, 20.0, 30.0]
    assert all(290 <= low <= high for _, low, high in heater) and heater[0][2] < heater[-1][2]
    table = (out.path / "postProcessing/heater/cellMaxHeaterT/0/fieldMinMax.dat").read_text()
    assert float(table.splitlines()[-1].split("\t")[4]) == pytest.approx(heater[-1][2])


def check_sph(out: Any) -> None:
    frames = out.frames()
    assert len(frames) >= 9
    first, last = out.particles(0), out.particles()
    assert len(first.points) == len(last.points) > 0
    dualsphysics = frames[0].name.startswith("PartFluid_")
    names = {"Vel", "Rhop", "Idp"} if dualsphysics else {"velocity", "density"}
    assert set(last.point_data) == names
    assert all(0 <= c <= 1 for p in last.points for c in p)


def check_swash(out: Any) -> None:
    block = out.block("water_level.mat")
    assert sorted(block)[:2] == ["Watlev_000000_000", "Watlev_000000_500"]
    assert block["Watlev_000002_500"].shape == (11, 21)
    if isinstance(out, outputs.CoastalAreaOutput):
        xs, ys = out.grid()
        assert (len(xs), len(ys)) == (21, 11) and xs[-1] == 100 and ys[-1] == 50
        series = out.quantity("velocity_magnitude")
        assert [t for t, _ in series] == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]
        assert len(series[0][1]) == 11 and len(series[0][1][0]) == 21


def check_xbeach(out: Any) -> None:
    assert out.variable("globaltime").values == (0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0)
    zs = out.variable("zs")
    assert zs.dimensions == ("globaltime", "ny", "nx") and zs.shape == (7, 5, 31)
    assert out.results().dimensions == {"nx": 31, "ny": 5, "globaltime": 0}
    assert "xboutput.nc" in out.log()


def check_simsopt(out: Any) -> None:
    rows = out.objectives()
    assert [(r["iteration"], r["sample"]) for r in rows] == [(1, 0), (1, 1), (2, 0), (2, 1)]
    assert set(rows[0]) == {"iteration", "sample", "total", "squared_flux", "coils_length"}
    final = out.final_objectives()
    assert final["total"] == min(r["total"] for r in rows if r["iteration"] == 2)
    field = out.magnetic_field()
    assert field["magnetic_field"].shape == (50, 35, 3)
    with np.load(out.path / "Final Configuration" / "field.npz") as archive:
        assert archive["magnetic_field_absolute"].shape == (50, 35)
    assert [c.shape for c in out.coil_coefficients(1, 0)] == [(6, 2), (6, 2)]


def check_plate(out: Any) -> None:
    grid = out.results()
    assert len(grid.points) == 49 and len(grid.cells) == 72
    assert grid.attributes["displacement"].components == 3
    assert {a.center for a in grid.attributes.values()} == {"Node", "Cell"}
    assert len(out.von_mises()) == 72


CHECKS: dict[str, Callable[[Any], None]] = {
    "protein_solvation.gromacs": check_protein_solvation,
    "md.gromacs": check_gromacs,
    "mdwater_box.gromacs": check_water_box,
    "fvm.openfoam": check_openfoam,
    "wind_tunnel.openfoam": check_wind_tunnel,
    "wind_terrain.openfoam": check_wind_terrain,
    "heat_sink.openfoam": check_heat_sink,
    "splishsplash": check_sph,
    "dualsphysics": check_sph,
    "swash": check_swash,
    "xbeach": check_xbeach,
    "simsopt": check_simsopt,
    "fenicsx": check_plate,
}


def _check(method: str) -> Callable[[Any], None]:
    area, simulator, _ = method.split(".")
    return CHECKS.get(f"{area}.{simulator}") or CHECKS[simulator]


def test_every_era_method_has_a_case() -> None:
    """The cases cover every method the mock simulates but its own test method."""
    assert {c.method for c in CASES} == set(METHOD_RUNNERS) - {"test.synthetic.run_simulation"}


@pytest.mark.parametrize("case", CASES, ids=[c.method for c in CASES])
def test_method_outputs_open_with_their_class(
    client: MockServer, tmp_path: pathlib.Path, case: Case
) -> None:
    """The method runs on the mock and its registered output class reads what it wrote."""
    _check(case.method)(run_case(case, tmp_path))


# -- the era's get_output(): the default files alone, in both modes ---------------------


@pytest.mark.parametrize(
    "client", ["mock_server", "legacy_mock_server"], indirect=True, ids=["default", "legacy"]
)
def test_protein_solvation_default_files_download(
    client: MockServer, tmp_path: pathlib.Path
) -> None:
    """The era's default file list downloads alone and its RMSF opens, in both modes."""
    (tmp_path / "p.pdb").write_text(PDB)
    task = inductiva.molecules.ProteinSolvation("p.pdb").simulate(simulation_time_ns=0.002)
    default = list(outputs.ProteinSolvationOutput.default_files)
    path = task.download_outputs(filenames=default, output_dir="defaults")
    output = outputs.ProteinSolvationOutput(path)
    assert output.files() == sorted(default)
    assert len(output.rmsf()) == 6 and output.topology.is_file()
    with pytest.raises(inductiva.errors.OutputFileError, match=r"solvated_protein\.log"):
        output.energies()  # not among the default files
    # The request the era's client sent: GET .../output?filename=... (a subset zip).
    r = httpx.get(
        f"{client.url}/tasks/{task.id}/output",
        params=[("filename", name) for name in default],
        headers={"X-API-Key": "test-key"},
    )
    assert r.status_code == 200
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        assert sorted(zf.namelist()) == sorted(default)
        assert np.load(io.BytesIO(zf.read("rmsf_values.npy"))).shape == (6,)


@pytest.mark.parametrize(
    "client", ["mock_server", "legacy_mock_server"], indirect=True, ids=["default", "legacy"]
)
@pytest.mark.parametrize("asynchronous", [False, True], ids=["blocking", "asyncio"])
def test_protein_solvation_get_output_with_the_default_files(
    client: MockServer, tmp_path: pathlib.Path, asynchronous: bool
) -> None:
    """get_output(filenames=default_files) fetches the era's defaults only, in both mock modes."""
    (tmp_path / "p.pdb").write_text(PDB)
    task = inductiva.molecules.ProteinSolvation("p.pdb").simulate(simulation_time_ns=0.002)
    default = outputs.ProteinSolvationOutput.default_files
    if asynchronous:
        output = asyncio.run(task.get_output_async("era", filenames=default))
    else:
        output = task.get_output("era", filenames=default)
    assert isinstance(output, outputs.ProteinSolvationOutput)
    assert output.files() == sorted(default)
    assert len(output.rmsf()) == 6


def test_every_method_name_has_an_output_class() -> None:
    """Each era method gets a dedicated class from the registry, not the generic one."""
    for method in set(METHOD_RUNNERS) - {"test.synthetic.run_simulation"}:
        assert output_class(method) is not TaskOutput, method
    assert output_class("sw.swash.run_simulation") is outputs.SWASHOutput
