"""Outputs of the SPH methods (SPlisHSPlasH and DualSPHysics): particle frames.

Every ``<scenario>.splishsplash.run_simulation`` and
``<scenario>.dualsphysics.run_simulation`` method (``sph``, ``dam_break``,
``fluid_block``, ``fluid_tank``) gives an :class:`SPHOutput`: the legacy VTK
particle files under ``vtk/`` (SPlisHSPlasH's ``ParticleData_<fluid>_<n>.vtk``
with ``velocity`` and ``density``; DualSPHysics's ``PartFluid_<nnnn>.vtk``
with ``Vel`` and ``Rhop``), in time order.
"""

from __future__ import annotations

import pathlib
import re

import attrs

from .._outputs import TaskOutput
from ._binary import missing
from ._vtk import VtkData, read_vtk

__all__ = ["SPHOutput"]


def _frame_number(path: pathlib.Path) -> tuple[str, int]:
    found = re.search(r"(\d+)$", path.stem)
    return (path.stem[: found.start()] if found else path.stem, int(found[1]) if found else -1)


@attrs.frozen
class SPHOutput(TaskOutput):
    """The particle frames of an SPH simulation."""

    def frames(self) -> list[pathlib.Path]:
        """The VTK particle files under ``vtk/``, in frame order (numerically, not by name)."""
        vtk_dir = self.path / "vtk"
        if not vtk_dir.is_dir():
            raise missing(vtk_dir)
        return sorted(vtk_dir.glob("*.vtk"), key=_frame_number)

    def particles(self, frame: int = -1) -> VtkData:
        """Frame *frame* (default: the last): positions in ``points``, arrays in ``point_data``."""
        frames = self.frames()
        if not frames:
            raise missing(self.path / "vtk" / "*.vtk")
        try:
            return read_vtk(frames[frame])
        except IndexError:
            raise IndexError(f"frame {frame} does not exist: there are {len(frames)}") from None
