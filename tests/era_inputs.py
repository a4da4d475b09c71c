"""Small input directories and parameters for every era method the mock simulates.

Each :class:`Case` is what a scenario or simulator of the era would submit:
the method name, its parameters and its input files (written by hand for
these tests, small so each run takes a fraction of a second).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field

from inductiva_mock.runners._npy import npy_bytes

__all__ = ["CASES", "PDB", "Case", "by_method"]

PDB = "".join(
    f"ATOM  {i:5d}  {name:<3s} ALA A{(i + 1) // 2:4d}    "
    f"{i * 1.5:8.3f}{i * 0.5:8.3f}{-i * 1.0:8.3f}  1.00  0.00\n"
    for i, name in enumerate(["N", "CA"] * 6, 1)
)  # 6 residues, each an N and a CA atom


def foam(cls: str, name: str, body: str) -> str:
    """An OpenFOAM dictionary file."""
    return (
        f"FoamFile\n{{\n    version 2.0;\n    format ascii;\n    class {cls};\n"
        f"    object {name};\n}}\n{body}\n"
    )


def field_file(cls: str, name: str, value: str, include: str = "") -> str:
    """An initial field with one patch (after an `#include` of *include*, if given)."""
    head = f'#include "{include}"\n' if include else ""
    return foam(
        cls,
        name,
        f"{head}dimensions [0 1 -1 0 0 0 0];\ninternalField uniform {value};\n"
        "boundaryField\n{\n    inlet\n    {\n        type fixedValue;\n"
        f"        value uniform {value};\n    }}\n}}\n",
    )


CUBE_OBJ = (
    "# a unit cube\n"
    + "".join(f"v {x} {y} {z}\n" for z in (0, 1) for y in (-0.5, 0.5) for x in (-0.5, 0.5))
    + "f 1 2 4 3\nf 5 7 8 6\nf 1 5 6 2\nf 3 4 8 7\nf 1 3 7 5\nf 2 6 8 4\n"
)
BLOCK_MESH = foam(
    "dictionary",
    "blockMeshDict",
    "convertToMeters 1;\nvertices\n(\n"
    + "".join(f"    ({x} {y} {z})\n" for z in (0, 8) for y in (-4, 4) for x in (-5, 15))
    + ");\nblocks\n(\n    hex (0 1 3 2 4 5 7 6) (20 8 8) simpleGrading (1 1 1)\n);\n",
)


def _npz(arrays: dict[str, tuple[list[float], tuple[int, ...]]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, (values, shape) in arrays.items():
            zf.writestr(f"{name}.npy", npy_bytes(values, shape))
    return buf.getvalue()


@dataclass
class Case:
    """One method's submission: parameters and input files (name -> text or bytes)."""

    method: str
    params: dict[str, object]
    files: dict[str, str | bytes] = field(default_factory=dict)


def _gmx(*lines: str) -> list[dict[str, object]]:
    return [{"cmd": c, "prompts": ["SOL"] if "genion" in c else []} for c in lines]


MDP = "integrator = md\nnsteps = 500\ndt = 0.002\nnstlog = 100\nref_t = 300\n"
SOLVATION = _gmx(
    "gmx pdb2gmx -f protein.pdb -o protein.gro -water tip3p -ff amber99sb-ildn -ignh",
    "gmx editconf -f protein.gro -o protein_box.gro -c yes -d 1.0 -bt cubic",
    "gmx solvate -cp protein_box.gro -o protein_solv.gro -p topol.top",
    "gmx grompp -f ions.mdp -c protein_solv.gro -p topol.top -o ions.tpr -maxwarn 0",
    "gmx genion -s ions.tpr -o protein_solv_ions.gro -p topol.top -pname NA -nname CL -neutral yes",
    "gmx grompp -f em.mdp -c protein_solv_ions.gro -p topol.top -o em.tpr -maxwarn 0",
    "gmx mdrun -deffnm em -v yes",
    "gmx grompp -f simulation.mdp -c em.gro -r em.gro -p topol.top -o solvated_protein.tpr",
    "gmx mdrun -deffnm solvated_protein -o full_trajectory.trr -x compressed_trajectory.xtc -v yes",
)
GMX_INPUTS: dict[str, str | bytes] = {
    "protein.pdb": PDB,
    "ions.mdp": "integrator = steep\nnsteps = 0\n",
    "em.mdp": "integrator = steep\nnsteps = 50\nnstlog = 10\n",
    "simulation.mdp": MDP,
}
WATER_BOX = _gmx(
    "gmx solvate -cs tip4p -box 2.3 -o conf.gro -p topol.top",
    "gmx grompp -f minim.mdp -o min.tpr -pp min.top -po min.mdp -c conf.gro -p topol.top",
    "gmx mdrun -s min.tpr -o min.trr -c min.gro -e min.edr -g min.log",
    "gmx grompp -f decorr.mdp -o decorr.tpr -pp decorr.top -po decorr.mdp -c min.gro",
    "gmx mdrun -s decorr.tpr -o decorr.trr -x  -c decorr.gro -e decorr.edr -g decorr.log",
    "gmx grompp -f simulation.mdp -o eql.tpr -pp eql.top -po eql.mdp -c decorr.gro",
    "gmx mdrun -s eql.tpr -o eql.trr -x trajectory.xtc -c eql.gro -e eql.edr -g eql.log",
)
WIND_TUNNEL_COMMANDS = [
    "surfaceFeatures",
    "blockMesh",
    "decomposePar -copyZero",
    "mpirun --allow-run-as-root -np 2 snappyHexMesh -overwrite -parallel",
    "reconstructParMesh -constant",
    "potentialFoam",
    "mpirun --allow-run-as-root -np 2 simpleFoam -parallel",
    "reconstructPar -latestTime",
]
STEADY_CASE: dict[str, str | bytes] = {
    "system/controlDict": foam(
        "dictionary",
        "controlDict",
        "application simpleFoam;\nstartTime 0;\nendTime 20;\ndeltaT 1;\n"
        'writeControl timeStep;\nwriteInterval 20;\nfunctions\n{\n    #include "forceCoeffs"\n}\n',
    ),
    "system/forceCoeffs": "forceCoeffs1\n{\n    type forceCoeffs;\n    patches (object);\n"
    "    magUInf 20;\n    lRef 1.42;\n    Aref 0.75;\n    CofR (0.72 0 0);\n}\n",
    "system/blockMeshDict": BLOCK_MESH,
    "0/U.orig": field_file("volVectorField", "U", "(20 0 0)"),
    "0/p": field_file("volScalarField", "p", "0"),
    "0/k": field_file("volScalarField", "k", "0.24"),
    "constant/triSurface/object.obj": CUBE_OBJ,
}
PARAMETERS = "$FOAM_CASE/parameters"
HEAT_SINK: dict[str, str | bytes] = {
    "parameters": foam(
        "dictionary", "parameters", "simulationTime 30;\noutputTimeStep 10;\nairTemperature 290;\n"
    ),
    "system/controlDict": foam(
        "dictionary",
        "controlDict",
        '#include "$FOAM_CASE/parameters"\napplication chtMultiRegionFoam;\n'
        "endTime $simulationTime;\ndeltaT 1;\nwriteControl adjustableRunTime;\n"
        "writeInterval $outputTimeStep;\n"
        "functions\n{\n    #includeFunc cellMaxHeaterT\n    // #includeFunc volAvgFinT\n}\n",
    ),
    "system/cellMaxHeaterT": '#includeEtc "caseDicts/postProcessing/minMax/cellMinMax.cfg"\n'
    "region heater;\nfields (T);\n",
    "constant/regionProperties": foam(
        "dictionary",
        "regionProperties",
        "regions\n(\n    fluid (fluid)\n    solid (heater fins)\n);\n",
    ),
    "0/fluid/T": field_file("volScalarField", "T", "$airTemperature", PARAMETERS),
    "0/fluid/U": field_file("volVectorField", "U", "(0 10 0)"),
    "0/heater/T": field_file("volScalarField", "T", "$airTemperature", PARAMETERS),
    "0/fins/T": field_file("volScalarField", "T", "$airTemperature", PARAMETERS),
}
SPLISHSPLASH_SCENE = json.dumps(
    {
        "Configuration": {
            "stopAt": 0.4,
            "particleRadius": 0.05,
            "dataExportFPS": 20,
            "particleAttributes": "velocity;density",
            "enableVTKExport": True,
        },
        "Materials": [{"id": "Fluid", "density0": 1000}],
        "FluidModels": [
            {
                "id": "Fluid",
                "particleFile": "unit_box.obj",
                "translation": [0.1, 0.1, 0.1],
                "scale": [0.3, 0.8, 0.6],
                "initialVelocity": [0.5, 0, 0],
            }
        ],
    }
)
DUALSPHYSICS_CASE = """<?xml version="1.0" encoding="UTF-8" ?>
<case>
  <casedef>
    <constantsdef><rhop0 value="1000" /></constantsdef>
    <geometry>
      <definition dp="0.04">
        <pointmin x="0" y="0" z="0" /><pointmax x="1" y="1" z="1" />
      </definition>
      <commands><mainlist>
        <setmkfluid mk="0" />
        <drawbox><boxfill>solid</boxfill><point x="0" y="0" z="0" /><size x="0.2" y="1" z="0.6" />
        </drawbox>
      </mainlist></commands>
    </geometry>
  </casedef>
  <execution><parameters>
    <parameter key="TimeMax" value="0.5" /><parameter key="TimeOut" value="0.05" />
  </parameters></execution>
</case>
"""
SWASH_INPUT = """$ a small coastal area
PROJECT 'inductiva' '00'
MODE DYNAMIC TWODIMENSIONAL
CGRID 0 0 0. 100 50 20 10
INPGRID BOTTOM REGULAR 0 0 0. 20 10 5 5
READINP BOTTOM 1. 'bathymetry.bot' 5 0 FREE
BLOCK 'COMPGRID' NOHEAD 'grid_positions.mat' LAYOUT 3 XP YP
BLOCK 'COMPGRID' NOHEAD 'water_level.mat' LAYOUT 3 WATLEV OUTPUT 000000.000 0.5 SEC
BLOCK 'COMPGRID' NOHEAD 'velocity_x.mat' LAYOUT 3 VKSI OUTPUT 000000.000 0.5 SEC
BLOCK 'COMPGRID' NOHEAD 'velocity_y.mat' LAYOUT 3 VETA OUTPUT 000000.000 0.5 SEC
BLOCK 'COMPGRID' NOHEAD 'velocity_magnitude.mat' LAYOUT 3 VMAG OUTPUT 000000.000 0.5 SEC
COMPUTE 000000.000 0.1 SEC 000002.500
STOP
"""
XBEACH_PARAMS = """% XBeach parameters
nx = 30
ny = 4
tstart = 0
tstop = 60
tintg = 10
outputformat = netcdf
nglobalvar = 3
zb
zs
H
"""
COILS = _npz({"arr_0": ([0.1 * i for i in range(12)], (6, 2)), "arr_1": ([1.0] * 12, (6, 2))})
SIMSOPT_INPUTS: dict[str, str | bytes] = {
    "coil_coefficients.npz": COILS,
    "coil_currents.npz": _npz({"arr_0": ([1e5, 1e5], (2,))}),
    "input.final": "&INDATA\n NFP = 2\n/\n",
    "objectives_weights.json": json.dumps({"squared_flux": 1, "coils_length": 0.002}),
}
SIMSOPT_PARAMS: dict[str, object] = {
    "coil_coefficients_filename": "coil_coefficients.npz",
    "coil_currents_filename": "coil_currents.npz",
    "plasma_surface_filename": "input.final",
    "objectives_weights_filename": "objectives_weights.json",
    "num_field_periods": 2,
    "num_iterations": 2,
    "num_samples": 2,
    "sigma_scaling_factor": 0.1,
}
PLATE_INPUTS: dict[str, str | bytes] = {
    "mesh.msh": "$MeshFormat\n4.1 0 8\n$EndMeshFormat\n",
    "bcs.json": json.dumps({"boundary_conditions": []}),
    "material.json": json.dumps({"young_modulus": 200000, "poisson_ratio": 0.3}),
    "geometry.json": json.dumps({"plate": {"plate_type": "rectangular", "length": 2, "width": 1}}),
}
PLATE_PARAMS: dict[str, object] = {
    "mesh_filename": "mesh.msh",
    "bcs_filename": "bcs.json",
    "material_filename": "material.json",
}
SPLISHSPLASH = {"input_filename": "scene.json", "particle_radius": 0.05}
DUALSPHYSICS = {"input_filename": "case.xml"}

CASES = [
    Case("protein_solvation.gromacs.run_simulation", {"commands": SOLVATION}, GMX_INPUTS),
    Case(
        "md.gromacs.run_simulation",
        {
            "commands": [
                *SOLVATION[:3],
                *_gmx(
                    "gmx grompp -f simulation.mdp -c protein_solv.gro -p topol.top -o md.tpr",
                    "gmx mdrun -deffnm md",
                    "gmx energy -f md.edr -o energy.xvg",
                    "gmx rmsf -s md.tpr -f md.trr -o rmsf.xvg -res",
                ),
            ]
        },
        GMX_INPUTS,
    ),
    Case(
        "mdwater_box.gromacs.run_simulation",
        {"commands": WATER_BOX},
        {
            "topol.top": "[ System ]\nwater\n\n[ Molecules ]\n",
            "minim.mdp": GMX_INPUTS["em.mdp"],
            "decorr.mdp": MDP,
            "simulation.mdp": MDP,
        },
    ),
    Case(
        "fvm.openfoam.run_simulation",
        {"commands": ["blockMesh", "simpleFoam"], "n_cores": 1},
        {"system/controlDict": "application simpleFoam;\n"},
    ),
    Case(
        "wind_tunnel.openfoam.run_simulation",
        {"commands": WIND_TUNNEL_COMMANDS, "n_cores": 2},
        STEADY_CASE,
    ),
    Case(
        "wind_terrain.openfoam.run_simulation",
        {
            "commands": ["blockMesh", "snappyHexMesh -overwrite", "topoSet", "simpleFoam"],
            "n_cores": 1,
        },
        {k: v for k, v in STEADY_CASE.items() if not k.startswith(("constant", "system/forceC"))},
    ),
    Case(
        "heat_sink.openfoam.run_simulation",
        {
            "commands": [
                "blockMesh",
                "ideasUnvToFoam fluidHeaterFins.unv",
                "transformPoints -scale '(1e-3 1e-3 1e-3)'",
                "splitMeshRegions -cellZones -overwrite",
                "chtMultiRegionFoam",
            ],
            "n_cores": 1,
        },
        HEAT_SINK,
    ),
    *(
        Case(
            f"{area}.splishsplash.run_simulation", SPLISHSPLASH, {"scene.json": SPLISHSPLASH_SCENE}
        )
        for area in ("sph", "dam_break", "fluid_block")
    ),
    Case(
        "fluid_tank.splishsplash.run_simulation",
        SPLISHSPLASH,
        {"scene.json": SPLISHSPLASH_SCENE, "tank.json": json.dumps({"shape": "cylinder"})},
    ),
    *(
        Case(f"{area}.dualsphysics.run_simulation", DUALSPHYSICS, {"case.xml": DUALSPHYSICS_CASE})
        for area in ("sph", "dam_break", "fluid_block")
    ),
    *(
        Case(
            f"{area}.swash.run_simulation",
            {"input_filename": "input.sws"},
            {"input.sws": SWASH_INPUT, "bathymetry.bot": "1.0 " * 66 + "\n"},
        )
        for area in ("sw", "coastal_area")
    ),
    Case(
        "sw.xbeach.run_simulation", {"input_filename": "params.txt"}, {"params.txt": XBEACH_PARAMS}
    ),
    Case("stellarators.simsopt.run_simulation", SIMSOPT_PARAMS, SIMSOPT_INPUTS),
    Case("deformable_plate.fenicsx.run_simulation", PLATE_PARAMS, PLATE_INPUTS),
]


def by_method(method: str) -> Case:
    """The case of *method*."""
    return next(c for c in CASES if c.method == method)
