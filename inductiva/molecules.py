"""Molecular-dynamics scenarios.

::

    scenario = inductiva.molecules.ProteinSolvation(protein_pdb="my_protein.pdb")
    task = scenario.simulate(simulation_time_ns=0.1, temperature=300)
    output = task.get_output()          # a ProteinSolvationOutput
    print(output.energies()[:3])

As the era's client did, the scenario renders its GROMACS input directory
locally (``protein.pdb``, ``ions.mdp``, ``energy_minimization.mdp``,
``simulation.mdp``, from small templates shipped in this package) and submits
``protein_solvation.gromacs.run_simulation`` with the era's command list.
"""

from __future__ import annotations

import math
import pathlib
import re
import shutil
import string
import tempfile
from importlib import resources
from typing import Any, Literal

import attrs

from ._http import ClientLike
from ._outputs import TaskOutput
from ._simulation import check_positive, existing_file, submit, submit_async
from .errors import InvalidArgumentError
from .task import Task

__all__ = ["ProteinSolvation", "ProteinSolvationOutput", "parse_energies"]

_TEMPLATES = "templates/protein_solvation"
_TIME_STEP_PS = 0.002  # dt in simulation.mdp
_INTEGRATORS = ("md", "sd", "bd")
_COLUMN = 15  # width of a GROMACS md.log energy column


def _gromacs_commands(max_warn: int) -> list[dict[str, Any]]:
    """The era's command list (its ``commands.json.jinja``), prompts included."""
    rows = [
        ("gmx pdb2gmx -f protein.pdb -o protein.gro -water tip3p -ff amber99sb-ildn -ignh", []),
        ("gmx editconf -f protein.gro -o protein_box.gro -c yes -d 1.0 -bt cubic", []),
        ("gmx solvate -cp protein_box.gro -o protein_solv.gro -p topol.top", []),
        (
            "gmx grompp -f ions.mdp -c protein_solv.gro -p topol.top -o ions.tpr "
            f"-maxwarn {max_warn}",
            [],
        ),
        (
            "gmx genion -s ions.tpr -o protein_solv_ions.gro -p topol.top -pname NA -nname CL "
            "-neutral yes",
            ["SOL"],
        ),
        (
            "gmx grompp -f energy_minimization.mdp -c protein_solv_ions.gro -p topol.top "
            f"-o em.tpr -maxwarn {max_warn}",
            [],
        ),
        ("gmx mdrun -deffnm em -v yes", []),
        (
            "gmx grompp -f simulation.mdp -c em.gro -r em.gro -p topol.top "
            f"-o solvated_protein.tpr -maxwarn {max_warn}",
            [],
        ),
        (
            "gmx mdrun -deffnm solvated_protein -o full_trajectory.trr "
            "-x compressed_trajectory.xtc -v yes",
            [],
        ),
    ]
    return [{"cmd": cmd, "prompts": prompts} for cmd, prompts in rows]


def _template(name: str) -> str:
    return resources.files("inductiva").joinpath(_TEMPLATES, name).read_text(encoding="utf-8")


def render_input_dir(
    dest: pathlib.Path, protein_pdb: pathlib.Path, values: dict[str, object]
) -> None:
    """Write the scenario's GROMACS input files into ``dest``."""
    shutil.copyfile(protein_pdb, dest / "protein.pdb")
    (dest / "ions.mdp").write_text(_template("ions.mdp"), encoding="utf-8")
    for name in ("energy_minimization.mdp", "simulation.mdp"):
        text = string.Template(_template(name + ".template")).substitute(values)
        (dest / name).write_text(text, encoding="utf-8")


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
class ProteinSolvationOutput(TaskOutput):
    """Outputs of a protein solvation: structure, trajectory, energies and the MD log."""

    @property
    def final_structure(self) -> pathlib.Path:
        """The solvated protein after the MD run (GROMACS ``.gro``)."""
        return self.path / "solvated_protein.gro"

    @property
    def trajectory(self) -> pathlib.Path:
        """The compressed trajectory of the protein (GROMACS ``.xtc``)."""
        return self.path / "compressed_trajectory.xtc"

    @property
    def log(self) -> pathlib.Path:
        """The MD log (GROMACS ``md.log`` format)."""
        return self.path / "solvated_protein.log"

    def energies(self) -> list[tuple[float, float]]:
        """``(time_ps, potential energy in kJ/mol)`` of every frame in :attr:`log`."""
        return parse_energies(self.log.read_text(errors="replace"))


class ProteinSolvation:
    """Solvate a protein in water, minimise its energy and run a short MD simulation (GROMACS)."""

    method_name = "protein_solvation.gromacs.run_simulation"

    def __init__(
        self,
        protein_pdb: str | pathlib.Path,
        temperature: float = 300.0,
        *,
        client: ClientLike | None = None,
    ) -> None:
        self.client = client
        """The client the simulation is submitted through (None: the default client)."""
        self.protein_pdb = existing_file("protein_pdb", protein_pdb)
        check_positive("temperature", temperature)
        self.temperature = float(temperature)

    def __repr__(self) -> str:
        return f"ProteinSolvation(protein_pdb={str(self.protein_pdb)!r})"

    def simulate(
        self,
        simulation_time_ns: float = 0.01,
        temperature: float | None = None,
        run_async: bool = False,
        resource_pool: str | None = None,
        *,
        output_timestep_ps: float = 1.0,
        integrator: Literal["md", "sd", "bd"] = "md",
        n_steps_min: int = 5000,
        ignore_warnings: bool = False,
    ) -> Task[ProteinSolvationOutput]:
        """Submit the simulation; block until it finishes unless ``run_async``.

        ``simulation_time_ns`` is the simulated time in nanoseconds (2 fs
        steps), ``temperature`` in kelvin (default: the constructor's, 300 K),
        ``output_timestep_ps`` the interval between saved frames, ``integrator``
        GROMACS's ``md``, ``sd`` or ``bd``, ``n_steps_min`` the most energy
        minimisation steps; ``ignore_warnings`` lets grompp go on despite
        warnings. A blocking run kills the remote task if interrupted (Ctrl-C),
        then re-raises.
        """
        pdb, values, params = self._prepared(
            simulation_time_ns,
            temperature,
            output_timestep_ps=output_timestep_ps,
            integrator=integrator,
            n_steps_min=n_steps_min,
            ignore_warnings=ignore_warnings,
        )
        with tempfile.TemporaryDirectory(prefix="inductiva-input-") as tmp:
            render_input_dir(pathlib.Path(tmp), pdb, values)
            return submit(
                self.method_name,
                params,
                pathlib.Path(tmp),
                run_async=run_async,
                resource_pool=resource_pool,
                output=ProteinSolvationOutput,
                client=self.client,
            )

    async def simulate_async(
        self,
        simulation_time_ns: float = 0.01,
        temperature: float | None = None,
        run_async: bool = False,
        resource_pool: str | None = None,
        *,
        output_timestep_ps: float = 1.0,
        integrator: Literal["md", "sd", "bd"] = "md",
        n_steps_min: int = 5000,
        ignore_warnings: bool = False,
    ) -> Task[ProteinSolvationOutput]:
        """The asyncio twin of :meth:`simulate` (async upload on the client's async pool).

        Awaits the end of the task unless ``run_async``; an awaiting asyncio task
        that is cancelled kills the remote task, then re-raises.
        """
        pdb, values, params = self._prepared(
            simulation_time_ns,
            temperature,
            output_timestep_ps=output_timestep_ps,
            integrator=integrator,
            n_steps_min=n_steps_min,
            ignore_warnings=ignore_warnings,
        )
        with tempfile.TemporaryDirectory(prefix="inductiva-input-") as tmp:
            render_input_dir(pathlib.Path(tmp), pdb, values)
            return await submit_async(
                self.method_name,
                params,
                pathlib.Path(tmp),
                run_async=run_async,
                resource_pool=resource_pool,
                output=ProteinSolvationOutput,
                client=self.client,
            )

    def _prepared(
        self,
        simulation_time_ns: float,
        temperature: float | None,
        *,
        output_timestep_ps: float,
        integrator: str,
        n_steps_min: int,
        ignore_warnings: bool,
    ) -> tuple[pathlib.Path, dict[str, object], dict[str, Any]]:
        """The checked input file, template values and task parameters of a simulation."""
        temperature = self.temperature if temperature is None else temperature
        check_positive("simulation_time_ns", simulation_time_ns)
        check_positive("temperature", temperature)
        check_positive("output_timestep_ps", output_timestep_ps)
        check_positive("n_steps_min", n_steps_min, integer=True)
        if integrator not in _INTEGRATORS:
            raise InvalidArgumentError(
                f"integrator must be one of {', '.join(_INTEGRATORS)}, got {integrator!r}"
            )
        nsteps = math.floor(simulation_time_ns * 1000 / _TIME_STEP_PS + 1e-6)
        output_frequency = math.floor(output_timestep_ps / _TIME_STEP_PS + 1e-6)
        if nsteps < 1 or output_frequency < 1:
            raise InvalidArgumentError(
                "simulation_time_ns and output_timestep_ps must each span at least one 2 fs step"
            )
        pdb = existing_file("protein_pdb", self.protein_pdb)
        values: dict[str, object] = {
            "integrator": integrator,
            "nsteps": nsteps,
            "ref_temp": float(temperature),
            "nsteps_minim": n_steps_min,
            "output_frequency": output_frequency,
            "output_timestep_ps": float(output_timestep_ps),
        }
        params = {"commands": _gromacs_commands(-1 if ignore_warnings else 0)}
        return pdb, values, params
