"""`deformable_plate.fenicsx.run_simulation`: a linear-elastic plate's `results.xdmf`.

The parameters name the input files (`mesh_filename`, `bcs_filename`,
`material_filename`: JSON with `young_modulus` and `poisson_ratio`), and
`geometry.json` gives the plate's `length` and `width` when present. The
output is the solver's XDMF file: a grid named `mesh` of triangles over the
plate with the node attribute `displacement` (vector) and the cell attributes
`stress` and `strain` (3x3 tensors) and `von_mises`. FEniCSx kept the values in
a companion HDF5 file (`results.h5`); the mock, to stay small and readable,
writes them inline (`Format="XML"` data items), which XDMF allows as well.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence

from ._common import RunnerArgs, RunnerError, run

__all__ = ["main"]

RESULTS = "results.xdmf"
DIVISIONS = 6


def _number(data: object, key: str, default: float) -> float:
    value = data.get(key, default) if isinstance(data, dict) else default
    return float(value) if isinstance(value, int | float) else default


def _item(values: Sequence[float], shape: tuple[int, int], number_type: str = "Float") -> str:
    rows = (values[i : i + shape[1]] for i in range(0, len(values), shape[1]))
    text = "\n".join(" ".join(f"{v:.6g}" for v in row) for row in rows)
    return (
        f'<DataItem Dimensions="{shape[0]} {shape[1]}" NumberType="{number_type}" '
        f'Format="XML">\n{text}\n</DataItem>'
    )


def _attribute(name: str, kind: str, center: str, values: list[float], width: int) -> str:
    item = _item(values, (len(values) // width, width))
    return (
        f'<Attribute Name="{name}" AttributeType="{kind}" Center="{center}">\n{item}\n</Attribute>'
    )


def simulate(args: RunnerArgs) -> None:
    """Check the inputs, then write the plate's displacement, stress and strain."""
    for param in ("mesh_filename", "bcs_filename"):
        args.input_file(param)
    material_file = args.input_file("material_filename")
    geometry_file = args.input_dir / "geometry.json"
    try:
        material = json.loads(material_file.read_text())
        geometry = json.loads(geometry_file.read_text()) if geometry_file.is_file() else {}
    except ValueError as exc:
        raise RunnerError(f"invalid JSON input: {exc}") from exc
    young = _number(material, "young_modulus", 200000.0)
    nu = _number(material, "poisson_ratio", 0.3)
    plate = geometry.get("plate", {}) if isinstance(geometry, dict) else {}
    length, width = _number(plate, "length", 1.0), _number(plate, "width", 1.0)
    n = DIVISIONS
    nodes = [(length * i / n, width * j / n) for j in range(n + 1) for i in range(n + 1)]
    triangles = []
    for j in range(n):
        for i in range(n):
            a, b = j * (n + 1) + i, j * (n + 1) + i + 1
            c, d = a + n + 1, b + n + 1
            triangles += [(a, b, d), (a, d, c)]
    strain_xx = 1.0 / young
    displacement = [c for x, y in nodes for c in (strain_xx * x, -nu * strain_xx * y, 0.0)]
    stress, strain, mises = [], [], []
    for tri in triangles:
        x = sum(nodes[k][0] for k in tri) / 3
        s = 1.0 + 0.2 * math.sin(3 * x / length)
        sxx, syy, sxy = s, 0.1 * s, 0.05 * s
        stress += [sxx, sxy, 0.0, sxy, syy, 0.0, 0.0, 0.0, 0.0]
        exx, eyy = (sxx - nu * syy) / young, (syy - nu * sxx) / young
        exy = (1 + nu) * sxy / young
        strain += [exx, exy, 0.0, exy, eyy, 0.0, 0.0, 0.0, 0.0]
        mises.append(math.sqrt(sxx**2 - sxx * syy + syy**2 + 3 * sxy**2))
    grid = "\n".join(
        [
            '<Grid Name="mesh" GridType="Uniform">',
            f'<Topology TopologyType="Triangle" NumberOfElements="{len(triangles)}" '
            'NodesPerElement="3">',
            _item([k for t in triangles for k in t], (len(triangles), 3), "Int"),
            "</Topology>",
            '<Geometry GeometryType="XY">',
            _item([c for p in nodes for c in p], (len(nodes), 2)),
            "</Geometry>",
            _attribute("displacement", "Vector", "Node", displacement, 3),
            _attribute("stress", "Tensor", "Cell", stress, 9),
            _attribute("strain", "Tensor", "Cell", strain, 9),
            _attribute("von_mises", "Scalar", "Cell", mises, 1),
            "</Grid>",
        ]
    )
    (args.output_dir / RESULTS).write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE Xdmf SYSTEM "Xdmf.dtd" []>\n'
        f'<Xdmf Version="3.0">\n<Domain>\n{grid}\n</Domain>\n</Xdmf>\n'
    )
    print(f"FEniCSx: {len(triangles)} cells solved; results written to {RESULTS}")


def main() -> int:
    """Run the simulation of the task (see the module docstring)."""
    return run(simulate)


if __name__ == "__main__":
    sys.exit(main())
