"""A deterministic OpenFOAM-like case of many small text files (the synthetic runner's ``case``).

``write_case(root, files=20000, total=82 MiB)`` lays out what a decomposed
OpenFOAM run holds: ``system/`` and ``constant/`` dictionaries, the initial
``0/`` fields, and ``processor<N>/`` directories, each with its own
``constant/polyMesh/`` and one directory per written time step holding the
fields (``U``, ``p``, ``k``, ``omega``, ``nut``, ...). Every file is an ASCII
FoamFile: the usual header, then a list of numbers (scalars, or vectors in
parentheses) drawn from a seeded generator, so the same arguments always give
the same bytes, and deflate shrinks them about as much as real fields (3-4x).
"""

from __future__ import annotations

import random
from pathlib import Path

__all__ = ["write_case"]

FIELDS = ("U", "p", "k", "omega", "nut", "epsilon", "alphat", "T", "phi", "p_rgh")
VECTORS = {"U", "phi"}
MESH = ("points", "faces", "owner", "neighbour", "boundary")
_POOL = 1 << 15


def _header(cls: str, location: str, obj: str) -> str:
    return (
        "/*--------------------------------*- C++ -*----------------------------------*\\\n"
        "  =========                 |\n"
        "  \\\\      /  F ield         | OpenFOAM: The Open Source CFD Toolbox\n"
        "   \\\\    /   O peration     | Website:  https://openfoam.org\n"
        "    \\\\  /    A nd           | Version:  11\n"
        "     \\\\/     M anipulation  |\n"
        "\\*---------------------------------------------------------------------------*/\n"
        "FoamFile\n{\n    format      ascii;\n"
        f'    class       {cls};\n    location    "{location}";\n    object      {obj};\n}}\n'
        "// * * * * * * * * * * * * * * * * * * * * * * * * * * * * * * * * * * * * //\n\n"
    )


class _Lines:
    """Pools of number lines; a file takes a seeded run of them."""

    def __init__(self) -> None:
        rng = random.Random(20000)
        # Smooth fields: neighbouring cells hold close values, many repeat.
        values = [f"{rng.gauss(0, 1) * 10 ** rng.randint(-3, 1):.6g}" for _ in range(1024)]
        self.scalars = [values[(i // 3 + rng.randrange(4)) % 1024] + "\n" for i in range(_POOL)]
        self.vectors = [
            f"({values[(i // 3) % 1024]} {values[(i // 5 + 7) % 1024]} 0)\n" for i in range(_POOL)
        ]

    def body(self, rng: random.Random, vector: bool, size: int) -> str:
        pool = self.vectors if vector else self.scalars
        start = rng.randrange(_POOL)
        out: list[str] = []
        length = 0
        i = start
        while length < size:
            line = pool[i % _POOL]
            out.append(line)
            length += len(line)
            i += 1
        return "".join(out)


def _field(lines: _Lines, rng: random.Random, location: str, name: str, size: int) -> bytes:
    vector = name in VECTORS
    cls = "volVectorField" if vector else "volScalarField"
    head = _header(cls, location, name)
    dims = "[0 1 -1 0 0 0 0]" if vector else "[0 2 -2 0 0 0 0]"
    values = lines.body(rng, vector, max(64, size - len(head) - 400))
    count = values.count("\n")
    kind = "vector" if vector else "scalar"
    text = (
        f"{head}dimensions      {dims};\n\n"
        f"internalField   nonuniform List<{kind}>\n{count}\n(\n{values})\n;\n\n"
        "boundaryField\n{\n    inlet\n    {\n        type            fixedValue;\n"
        f"        value           uniform {'(1 0 0)' if vector else '0'};\n    }}\n"
        "    outlet\n    {\n        type            zeroGradient;\n    }\n"
        "    walls\n    {\n        type            noSlip;\n    }\n}\n\n"
        "// ************************************************************************* //\n"
    )
    return text.encode()


def write_case(root: Path, files: int = 20000, total: int = 82_000_000) -> int:
    """Write the case under ``root`` (``files`` files, about ``total`` bytes); return bytes."""
    lines = _Lines()
    rng = random.Random(files * 7919 + total)
    layout: list[tuple[str, str]] = []  # (relative path, kind)
    for name in ("controlDict", "fvSchemes", "fvSolution", "decomposeParDict"):
        layout.append((f"system/{name}", "dict"))
    for name in ("transportProperties", "turbulenceProperties", "g"):
        layout.append((f"constant/{name}", "dict"))
    for name in FIELDS:
        layout.append((f"0/{name}", "field"))
    processors = max(1, min(64, files // 1200))
    per_proc = (files - len(layout)) // processors
    steps = max(1, (per_proc - len(MESH)) // len(FIELDS))
    for p in range(processors):
        for name in MESH:
            layout.append((f"processor{p}/constant/polyMesh/{name}", "mesh"))
        for s in range(1, steps + 1):
            for name in FIELDS:
                layout.append((f"processor{p}/{s * 0.005:g}/{name}", "field"))
    extra = 0
    while len(layout) < files:  # the remainder: more time steps on the last processor
        extra += 1
        layout.append((f"processor{processors - 1}/{(steps + extra) * 0.005:g}/U", "field"))
    layout = layout[:files]
    mesh_count = sum(1 for _, kind in layout if kind == "mesh")
    mesh_size = max(4096, total // 10 // max(1, mesh_count))
    field_count = sum(1 for _, kind in layout if kind == "field")
    field_size = max(256, (total - mesh_size * mesh_count - 2048 * 7) // max(1, field_count))
    written = 0
    made: set[Path] = set()
    for rel, kind in layout:
        path = root / rel
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        location = rel.rsplit("/", 1)[0]
        obj = rel.rsplit("/", 1)[1]
        if kind == "dict":
            data = (
                _header("dictionary", location, obj) + "application     foamRun;\n" * 40
            ).encode()
        else:
            size = mesh_size if kind == "mesh" else int(field_size * rng.uniform(0.5, 1.5))
            data = _field(lines, rng, location, obj, size)
        path.write_bytes(data)
        written += len(data)
    return written
