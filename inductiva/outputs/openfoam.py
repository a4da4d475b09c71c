"""Outputs of the OpenFOAM methods: any case, the wind tunnel, the heat sink.

``fvm.openfoam.run_simulation`` and ``wind_terrain.openfoam.run_simulation``
give an :class:`OpenFOAMOutput` (logs, time directories, fields, force
coefficients), ``wind_tunnel.openfoam.run_simulation`` a
:class:`WindTunnelOutput` (plus the backend's post-processing: VTK pressure
field, streamlines and flow slices, ``force_coefficients.csv``) and
``heat_sink.openfoam.run_simulation`` a :class:`HeatSinkOutput` (temperatures
per region).
"""

from __future__ import annotations

import csv
import io
import pathlib
from typing import ClassVar, Literal, NamedTuple

import attrs

from .._outputs import TaskOutput
from ._binary import malformed, missing, read_text
from ._foam import FoamField, read_field, read_table
from ._vtk import VtkData, read_vtk

__all__ = ["ForceCoefficients", "HeatSinkOutput", "OpenFOAMOutput", "WindTunnelOutput"]


class ForceCoefficients(NamedTuple):
    """Drag and lift coefficients at one time of the forceCoeffs function object."""

    time: float
    cd: float
    cl: float


def _is_number(name: str) -> bool:
    try:
        float(name)
    except ValueError:
        return False
    return True


@attrs.frozen
class OpenFOAMOutput(TaskOutput):
    """Outputs of an OpenFOAM run: logs, time directories, fields and force coefficients."""

    def logs(self) -> dict[str, str]:
        """Each command's log text, by command name (from the ``log.<command>`` files)."""
        files = sorted(self.path.glob("log.*"))
        return {p.name.removeprefix("log."): p.read_text(errors="replace") for p in files}

    def time_steps(self) -> list[float]:
        """The times with a result directory (e.g. ``100/``), ascending."""
        dirs = (p.name for p in self.path.iterdir() if p.is_dir() and _is_number(p.name))
        return sorted(float(name) for name in dirs)

    def _time_dir(self, time: float | None) -> pathlib.Path:
        times = self.time_steps()
        if not times:
            raise malformed(self.path, "no time directories: the solver wrote no results")
        wanted = times[-1] if time is None else float(time)
        dirs = (p for p in self.path.iterdir() if p.is_dir() and _is_number(p.name))
        name = next((p.name for p in dirs if float(p.name) == wanted), None)
        if name is None:
            raise malformed(self.path, f"no time directory {wanted:g}; there are {times}")
        return self.path / name

    def field(self, name: str, time: float | None = None, region: str = "") -> FoamField:
        """The cell values of field *name* (e.g. ``"p"``, ``"U"``) at *time* (default: the last).

        *region* names the mesh region of a multi-region case (``"fluid"``, ...).
        """
        return read_field(self._time_dir(time) / region / name)

    def force_coefficients(self) -> list[ForceCoefficients]:
        """``(time, cd, cl)`` rows of the forceCoeffs function object (its ``Cd``/``Cl`` columns).

        Read from ``postProcessing/<name>/0/`` (``forceCoeffs.dat`` or ``coefficient.dat``).
        """
        found = sorted(self.path.glob("postProcessing/*/0/forceCoeffs.dat")) or sorted(
            self.path.glob("postProcessing/*/0/coefficient.dat")
        )
        if not found:
            raise missing(self.path / "postProcessing" / "forceCoeffs" / "0" / "coefficient.dat")
        columns, rows = read_table(found[0])
        try:
            cd, cl = columns.index("Cd"), columns.index("Cl")
            return [ForceCoefficients(float(r[0]), float(r[cd]), float(r[cl])) for r in rows]
        except (ValueError, IndexError) as exc:
            raise malformed(found[0], f"no Time/Cd/Cl columns in {columns} ({exc})") from None


@attrs.frozen
class WindTunnelOutput(OpenFOAMOutput):
    """A wind tunnel: the OpenFOAM case plus the backend's post-processed default files."""

    default_files: ClassVar[tuple[str, ...]] = (
        "pressure_field.vtk",
        "streamlines.vtk",
        "stdout.txt",
        "stderr.txt",
        "force_coefficients.csv",
        "xy_flow_slice.vtk",
        "xz_flow_slice.vtk",
        "yz_flow_slice.vtk",
        "constant/triSurface/object.obj",
    )
    """The files the era's ``get_output()`` downloaded by default."""

    @property
    def object_mesh(self) -> pathlib.Path:
        """The object in the tunnel (Wavefront ``.obj``)."""
        return self.path / "constant" / "triSurface" / "object.obj"

    def final_force_coefficients(self) -> dict[str, float]:
        """The last iteration's coefficients from ``force_coefficients.csv``.

        Keys are its columns: ``Time``, ``Cm``, ``Cd``, ``Cl``, ``Cl(f)``, ``Cl(r)``.
        """
        path = self.path / "force_coefficients.csv"
        rows = list(csv.reader(io.StringIO(read_text(path))))
        if len(rows) < 2 or len(rows[0]) != len(rows[-1]):
            raise malformed(path, "expected a header row and a row of values")
        try:
            return {name: float(value) for name, value in zip(rows[0], rows[-1], strict=True)}
        except ValueError as exc:
            raise malformed(path, f"a value is not a number ({exc})") from None

    def pressure_field(self) -> VtkData:
        """The pressure ``p`` over the object's surface (points and cells)."""
        return read_vtk(self.path / "pressure_field.vtk")

    def streamlines(self) -> VtkData:
        """Streamlines from the inlet, with ``p`` and ``U`` along them."""
        return read_vtk(self.path / "streamlines.vtk")

    def flow_slice(self, plane: Literal["xy", "xz", "yz"] = "xz") -> VtkData:
        """A plane through the domain with ``p`` and ``U``."""
        if plane not in ("xy", "xz", "yz"):
            raise ValueError(f"plane must be 'xy', 'xz' or 'yz', got {plane!r}")
        return read_vtk(self.path / f"{plane}_flow_slice.vtk")


@attrs.frozen
class HeatSinkOutput(OpenFOAMOutput):
    """A heat sink (``chtMultiRegionFoam``): fields per region and time."""

    def regions(self) -> list[str]:
        """The mesh regions with results at the last time (``fins``, ``fluid``, ``heater``)."""
        last = self._time_dir(None)
        return sorted(p.name for p in last.iterdir() if p.is_dir())

    def temperatures(self, region: str) -> list[tuple[float, float, float]]:
        """``(time, min, max)`` of the temperature ``T`` (K) in *region* at each written time.

        The first time directory (the initial conditions, ``0/``) is left out.
        """
        out = []
        for time in self.time_steps()[1:]:
            if not (self._time_dir(time) / region / "T").is_file():
                continue
            values = [v for v in self.field("T", time, region).values if isinstance(v, float)]
            if values:
                out.append((time, min(values), max(values)))
        if not out:
            raise missing(self.path / "<time>" / region / "T")
        return out
