"""Molecular-dynamics scenarios.

::

    scenario = inductiva.molecules.ProteinSolvation(protein_pdb="my_protein.pdb")
    task = scenario.simulate(simulation_time_ns=0.1, temperature=300)
    output = task.get_output()          # a ProteinSolvationOutput
    print(output.energies()[:3], output.rmsf()[:3])

As the era's client did, the scenario renders its GROMACS input directory
locally (``protein.pdb``, ``ions.mdp``, ``energy_minimization.mdp``,
``simulation.mdp``, from small templates shipped in this package) and submits
``protein_solvation.gromacs.run_simulation`` with the era's command list.
"""

from __future__ import annotations

import math
import pathlib
import shutil
import string
from importlib import resources
from typing import Any, Literal

from ._http import ClientLike
from ._simulation import Submission, check_positive, existing_file, submitter, submitter_async
from .errors import InvalidArgumentError
from .outputs.gromacs import ProteinSolvationOutput, parse_energies

__all__ = ["ProteinSolvation", "ProteinSolvationOutput", "parse_energies"]

_TEMPLATES = "templates/protein_solvation"
_TIME_STEP_PS = 0.002  # dt in simulation.mdp
_INTEGRATORS = ("md", "sd", "bd")


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

    def _simulate(
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
    ) -> Submission[ProteinSolvationOutput]:
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
        return Submission(
            self.method_name,
            params,
            ProteinSolvationOutput,
            self.client,
            run_async,
            resource_pool,
            render=lambda directory: render_input_dir(directory, pdb, values),
        )

    simulate = submitter(_simulate)
    simulate_async = submitter_async(_simulate)

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
