"""Outputs of the GROMACS methods: any run, a protein solvation, a water box.

``md.gromacs.run_simulation`` gives a :class:`GROMACSOutput` (md.log energies,
.xvg tables), ``protein_solvation.gromacs.run_simulation`` a
:class:`ProteinSolvationOutput` (plus the RMSF per residue the backend computed,
``rmsf_values.npy``) and ``mdwater_box.gromacs.run_simulation`` a
:class:`MDWaterBoxOutput`. The trajectories (.xtc, .trr) and run inputs (.tpr)
are binary GROMACS files: these classes give their paths, for MDAnalysis or
GROMACS's own tools.
"""

from __future__ import annotations

import pathlib
import re
from typing import ClassVar

import attrs

from .._outputs import OutputPath, TaskOutput
from ._binary import malformed, read_text
from ._npy import read_npy

__all__ = [
    "GROMACSOutput",
    "MDWaterBoxOutput",
    "ProteinSolvationOutput",
    "XvgTable",
    "parse_energies",
    "read_xvg",
]

_COLUMN = 15  # width of a GROMACS md.log energy column


def _energy_names(header: str) -> list[str]:
    names = [header[i : i + _COLUMN].strip() for i in range(0, len(header), _COLUMN)]
    return [n for n in names if n]


def parse_energies(text: str) -> list[tuple[float, float]]:
    """``(time_ps, potential)`` of every frame in a GROMACS md.log text.

    A frame is a ``Step Time`` header, its values, then an ``Energies (kJ/mol)``
    block of header/value line pairs (15-character columns) ending at a blank
    line. The averages at the end of the log are not a frame.
    """
    rows: list[tuple[float, float]] = []
    lines = text.splitlines()
    time: float | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if "A V E R A G E S" in line:
            break
        if line.split() == ["Step", "Time"] and i + 1 < len(lines):
            fields = lines[i + 1].split()
            time = float(fields[1]) if len(fields) == 2 else None
            i += 2
            continue
        if line.strip() == "Energies (kJ/mol)" and time is not None:
            energies: dict[str, float] = {}
            i += 1
            while i + 1 < len(lines) and lines[i].strip():
                names, values = _energy_names(lines[i]), lines[i + 1].split()
                if len(names) != len(values):
                    names = re.split(r"\s{2,}", lines[i].strip())
                energies.update(zip(names, map(float, values), strict=False))
                i += 2
            if "Potential" in energies:
                rows.append((time, energies["Potential"]))
            time = None
            continue
        i += 1
    return rows


@attrs.frozen
class XvgTable:
    """An .xvg table of a gmx analysis tool: title, axis labels, legends and rows."""

    title: str
    xlabel: str
    ylabel: str
    legends: tuple[str, ...]
    rows: tuple[tuple[float, ...], ...]


def read_xvg(path: pathlib.Path) -> XvgTable:
    """The table of the .xvg file *path* (``#`` comments and ``@`` Grace settings skipped)."""
    labels = {"title": "", "xaxis": "", "yaxis": ""}
    legends: list[str] = []
    rows: list[tuple[float, ...]] = []
    for number, line in enumerate(read_text(path).splitlines(), 1):
        text = line.strip()
        if not text or text.startswith(("#", "&")):
            continue
        if text.startswith("@"):
            quoted = re.search(r'"(.*)"', text)
            words = text[1:].split()
            if quoted and words[0] in ("title", "xaxis", "yaxis"):
                labels[words[0]] = quoted[1]
            elif quoted and len(words) > 1 and words[1] == "legend" and words[0].startswith("s"):
                legends.append(quoted[1])
            continue
        try:
            rows.append(tuple(float(v) for v in text.split()))
        except ValueError:
            raise malformed(path, f"line {number} is not a row of numbers: {text[:60]!r}") from None
    return XvgTable(labels["title"], labels["xaxis"], labels["yaxis"], tuple(legends), tuple(rows))


@attrs.frozen
class GROMACSOutput(TaskOutput):
    """Outputs of GROMACS commands: md.log energies and the analysis tools' .xvg tables."""

    main_log: ClassVar[str] = "md.log"
    """The mdrun log :meth:`energies` reads by default."""

    def energies(self, log: str | None = None) -> list[tuple[float, float]]:
        """``(time_ps, potential energy in kJ/mol)`` of every frame of the mdrun log *log*."""
        return parse_energies(read_text(self.path / (log or self.main_log)))

    def xvg(self, name: str) -> XvgTable:
        """The .xvg table *name* written by ``gmx energy``, ``rms``, ``rmsf``, ``gyrate``..."""
        return read_xvg(self.path / name)


@attrs.frozen
class ProteinSolvationOutput(GROMACSOutput):
    """Outputs of a protein solvation: structure, trajectory, energies, RMSF and the MD log."""

    main_log: ClassVar[str] = "solvated_protein.log"

    default_files: ClassVar[tuple[str, ...]] = (
        "protein.gro",
        "compressed_trajectory.xtc",
        "solvated_protein.tpr",
        "topol.top",
        "rmsf_values.npy",
    )
    """The files the era's ``get_output()`` downloaded by default (a ``?filename=`` subset)."""

    final_structure = OutputPath(
        "solvated_protein.gro", "The solvated protein after the MD run (GROMACS ``.gro``)."
    )
    topology = OutputPath(
        "protein.gro",
        "The protein's structure as pdb2gmx wrote it (GROMACS ``.gro``), for visualisation.",
    )
    trajectory = OutputPath(
        "compressed_trajectory.xtc", "The compressed trajectory of the protein (GROMACS ``.xtc``)."
    )

    @property
    def log(self) -> pathlib.Path:
        """The MD log (GROMACS ``md.log`` format)."""
        return self.path / self.main_log

    def rmsf(self) -> list[float]:
        """The root mean square fluctuation of each residue's C-alpha atom, in Å.

        Read from ``rmsf_values.npy``, which the backend computes after the run.
        """
        array = read_npy(self.path / "rmsf_values.npy")
        if len(array.shape) != 1:
            raise malformed(self.path / "rmsf_values.npy", f"shape {array.shape} is not 1-D")
        return [float(v) for v in array.values]


@attrs.frozen
class MDWaterBoxOutput(GROMACSOutput):
    """Outputs of an MD water box: minimisation, decorrelation and the equilibrated run."""

    main_log: ClassVar[str] = "eql.log"

    topology = OutputPath("eql.tpr", "The equilibration's run input (GROMACS ``.tpr``).")
    trajectory = OutputPath(
        "eql.trr", "The full-precision trajectory of the equilibration (GROMACS ``.trr``)."
    )
    compressed_trajectory = OutputPath(
        "trajectory.xtc",
        "The compressed trajectory (``trajectory.xtc``, as the scenario's command names it).",
    )
