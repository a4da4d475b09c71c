"""Output objects: a downloaded output directory, and the registry by task method.

``task.get_output()`` looks the task's ``method_name`` up here, so a task
rebuilt by ``inductiva.tasks.get`` gets the same output class as the one
returned by ``simulate()``. Unknown methods get the generic :class:`TaskOutput`.
"""

from __future__ import annotations

import importlib
import pathlib

import attrs

RESERVED_DIR = ".inductiva"
"""The client's own directory inside an output directory (see ``_transfers._workspace``)."""

__all__ = ["OutputPath", "TaskOutput", "output_class", "register_output"]


class OutputPath:
    """A path of an output object: ``path / <name>`` (``output.trajectory``), documented."""

    def __init__(self, name: str, doc: str) -> None:
        self.name, self.__doc__ = name, doc

    def __get__(self, output: TaskOutput, owner: type | None = None) -> pathlib.Path:
        return output.path / self.name


@attrs.frozen
class TaskOutput:
    """The extracted outputs of a task, in the directory ``path``."""

    path: pathlib.Path = attrs.field(converter=pathlib.Path)

    def files(self) -> list[str]:
        """Every output file, as a path relative to :attr:`path` (``/``-separated, sorted).

        The client's own ``.inductiva/`` directory (partial downloads, lock) is left out.
        """
        found = (p.relative_to(self.path) for p in self.path.rglob("*") if p.is_file())
        return sorted(p.as_posix() for p in found if p.parts[0] != RESERVED_DIR)

    def read_text(self, name: str) -> str:
        """The text of output file ``name`` (relative to :attr:`path`)."""
        return (self.path / name).read_text(errors="replace")

    def stdout(self) -> str:
        """What the simulation printed."""
        return self.read_text("stdout.txt")

    def stderr(self) -> str:
        """What the simulation printed to stderr."""
        return self.read_text("stderr.txt")


# method name -> "module:Class" (imported on first use) or the class itself: every method
# name of the era (the era's backend's list, README "Mock server"), by simulator.
_OUTPUTS = "inductiva.outputs:"
_REGISTRY: dict[str, str | type[TaskOutput]] = {
    "md.gromacs.run_simulation": _OUTPUTS + "GROMACSOutput",
    "protein_solvation.gromacs.run_simulation": _OUTPUTS + "ProteinSolvationOutput",
    "md.gromacs.protein_solvation": _OUTPUTS + "ProteinSolvationOutput",  # before 0.5
    "mdwater_box.gromacs.run_simulation": _OUTPUTS + "MDWaterBoxOutput",
    "fvm.openfoam.run_simulation": _OUTPUTS + "OpenFOAMOutput",
    "wind_terrain.openfoam.run_simulation": _OUTPUTS + "OpenFOAMOutput",
    "wind_tunnel.openfoam.run_simulation": _OUTPUTS + "WindTunnelOutput",
    "heat_sink.openfoam.run_simulation": _OUTPUTS + "HeatSinkOutput",
    **{
        f"{scenario}.{simulator}.run_simulation": _OUTPUTS + "SPHOutput"
        for scenario in ("sph", "dam_break", "fluid_block")
        for simulator in ("splishsplash", "dualsphysics")
    },
    "fluid_tank.splishsplash.run_simulation": _OUTPUTS + "SPHOutput",
    "sw.swash.run_simulation": _OUTPUTS + "SWASHOutput",
    "coastal_area.swash.run_simulation": _OUTPUTS + "CoastalAreaOutput",
    "sw.xbeach.run_simulation": _OUTPUTS + "XBeachOutput",
    "stellarators.simsopt.run_simulation": _OUTPUTS + "StellaratorOutput",
    "deformable_plate.fenicsx.run_simulation": _OUTPUTS + "DeformablePlateOutput",
}


def register_output(method_name: str, cls: type[TaskOutput]) -> None:
    """Make ``get_output()`` of tasks running ``method_name`` return ``cls``."""
    _REGISTRY[method_name] = cls


def output_class(method_name: str) -> type[TaskOutput]:
    """The output class for ``method_name`` (the generic :class:`TaskOutput` if unknown)."""
    entry = _REGISTRY.get(method_name, TaskOutput)
    if isinstance(entry, str):
        module, _, name = entry.partition(":")
        resolved = getattr(importlib.import_module(module), name)
        if not (isinstance(resolved, type) and issubclass(resolved, TaskOutput)):
            raise TypeError(f"{entry} is not a TaskOutput subclass")
        _REGISTRY[method_name] = entry = resolved
    return entry
