"""Molecular-dynamics scenarios.

::

    scenario = inductiva.molecules.ProteinSolvation(protein_pdb="my_protein.pdb")
    task = scenario.simulate(simulation_time_ns=0.1, temperature=300)
    output = task.get_output()          # a ProteinSolvationOutput
    print(output.energies()[:3])
"""

from __future__ import annotations

import csv
import pathlib
import shutil
import tempfile

import attrs

from ._outputs import TaskOutput
from ._simulation import check_positive, existing_file, submit
from .task import Task

__all__ = ["ProteinSolvation", "ProteinSolvationOutput"]


@attrs.frozen
class ProteinSolvationOutput(TaskOutput):
    """Outputs of a protein solvation: structure, trajectory, energies and the MD log."""

    @property
    def final_structure(self) -> pathlib.Path:
        """The solvated protein (GROMACS ``.gro``)."""
        return self.path / "solvated_protein.gro"

    @property
    def trajectory(self) -> pathlib.Path:
        """The trajectory as a multi-model PDB file."""
        return self.path / "trajectory.pdb"

    @property
    def log(self) -> pathlib.Path:
        """The MD log file."""
        return self.path / "md.log"

    def energies(self) -> list[tuple[float, float]]:
        """``(time_ps, potential energy in kJ/mol)`` rows of ``energy.csv``."""
        with (self.path / "energy.csv").open(newline="") as fh:
            return [
                (float(row["time_ps"]), float(row["potential_kj_mol"]))
                for row in csv.DictReader(fh)
            ]


class ProteinSolvation:
    """Solvate a protein in water and run a short MD simulation (GROMACS)."""

    method_name = "md.gromacs.protein_solvation"

    def __init__(self, protein_pdb: str | pathlib.Path) -> None:
        self.protein_pdb = existing_file("protein_pdb", protein_pdb)

    def __repr__(self) -> str:
        return f"ProteinSolvation(protein_pdb={str(self.protein_pdb)!r})"

    def simulate(
        self,
        simulation_time_ns: float = 0.01,
        temperature: float = 300.0,
        run_async: bool = False,
        resource_pool: str | None = None,
    ) -> Task:
        """Submit the simulation; block until it finishes unless ``run_async``.

        ``simulation_time_ns`` is the simulated time in nanoseconds and
        ``temperature`` is in kelvin. A blocking run kills the remote task if
        interrupted (Ctrl-C), then re-raises.
        """
        check_positive("simulation_time_ns", simulation_time_ns)
        check_positive("temperature", temperature)
        pdb = existing_file("protein_pdb", self.protein_pdb)
        params = {
            "protein_pdb": pdb.name,
            "simulation_time_ns": float(simulation_time_ns),
            "temperature": float(temperature),
        }
        with tempfile.TemporaryDirectory(prefix="inductiva-input-") as tmp:
            shutil.copy2(pdb, pathlib.Path(tmp) / pdb.name)
            return submit(
                self.method_name,
                params,
                pathlib.Path(tmp),
                run_async=run_async,
                resource_pool=resource_pool,
            )
