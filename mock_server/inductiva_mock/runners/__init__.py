"""Simulator runners, each executed as `python -m inductiva_mock.runners.<name>`.

`METHOD_RUNNERS` maps every method name of the era the mock simulates (the
`<scenario or area>.<simulator>.run_simulation` names the era's backend ran,
plus the mock's own test method) to the runner module simulating it.
"""

from __future__ import annotations

__all__ = ["METHOD_RUNNERS"]

METHOD_RUNNERS: dict[str, str] = {
    "fvm.openfoam.run_simulation": "openfoam",
    "wind_tunnel.openfoam.run_simulation": "openfoam",
    "wind_terrain.openfoam.run_simulation": "openfoam",
    "heat_sink.openfoam.run_simulation": "openfoam",
    "md.gromacs.run_simulation": "gromacs",
    "protein_solvation.gromacs.run_simulation": "gromacs",
    "mdwater_box.gromacs.run_simulation": "gromacs",
    "sph.splishsplash.run_simulation": "sph",
    "dam_break.splishsplash.run_simulation": "sph",
    "fluid_block.splishsplash.run_simulation": "sph",
    "fluid_tank.splishsplash.run_simulation": "sph",
    "sph.dualsphysics.run_simulation": "sph",
    "dam_break.dualsphysics.run_simulation": "sph",
    "fluid_block.dualsphysics.run_simulation": "sph",
    "sw.swash.run_simulation": "swash",
    "coastal_area.swash.run_simulation": "swash",
    "sw.xbeach.run_simulation": "xbeach",
    "stellarators.simsopt.run_simulation": "simsopt",
    "deformable_plate.fenicsx.run_simulation": "fenicsx",
    "test.synthetic.run_simulation": "synthetic",
}
