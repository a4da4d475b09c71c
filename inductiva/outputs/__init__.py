"""Output classes of every method of the era, and the readers of the files they open.

``task.get_output()`` returns the class registered for the task's method (see
:mod:`inductiva._outputs`); each opens its method's files with the standard
library only:

========================  =========================================================
GROMACS                   :class:`GROMACSOutput`, :class:`ProteinSolvationOutput`
                          (``rmsf()`` from ``rmsf_values.npy``), :class:`MDWaterBoxOutput`
OpenFOAM                  :class:`OpenFOAMOutput`, :class:`WindTunnelOutput` (VTK, CSV),
                          :class:`HeatSinkOutput`
SPlisHSPlasH/DualSPHysics :class:`SPHOutput` (VTK particle frames)
SWASH                     :class:`SWASHOutput`, :class:`CoastalAreaOutput` (MATLAB blocks)
XBeach                    :class:`XBeachOutput` (NetCDF-3)
simsopt                   :class:`StellaratorOutput` (CSV, ``.npz``)
FEniCSx                   :class:`DeformablePlateOutput` (XDMF)
========================  =========================================================

A missing or malformed file raises :class:`inductiva.errors.OutputFileError`
naming it.
"""

from __future__ import annotations

from .fenicsx import DeformablePlateOutput
from .gromacs import GROMACSOutput, MDWaterBoxOutput, ProteinSolvationOutput
from .openfoam import ForceCoefficients, HeatSinkOutput, OpenFOAMOutput, WindTunnelOutput
from .simsopt import StellaratorOutput
from .sph import SPHOutput
from .swash import CoastalAreaOutput, SWASHOutput
from .xbeach import XBeachOutput

__all__ = [
    "CoastalAreaOutput",
    "DeformablePlateOutput",
    "ForceCoefficients",
    "GROMACSOutput",
    "HeatSinkOutput",
    "MDWaterBoxOutput",
    "OpenFOAMOutput",
    "ProteinSolvationOutput",
    "SPHOutput",
    "SWASHOutput",
    "StellaratorOutput",
    "WindTunnelOutput",
    "XBeachOutput",
]
