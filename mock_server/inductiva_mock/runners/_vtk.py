"""Writing legacy VTK files (`# vtk DataFile Version 4.2`), ASCII or BINARY.

Two datasets are written: POLYDATA (points with POLYGONS and/or LINES, as
pyvista saves surfaces, slices and streamlines) and UNSTRUCTURED_GRID of
vertex cells (particles, as SPlisHSPlasH and DualSPHysics export them). Point
and cell data are SCALARS/VECTORS, or FIELD arrays for particles. BINARY data
is big-endian, each block followed by a newline, as VTK writes it.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["VtkArray", "VtkData", "write_vtk"]

Point = tuple[float, float, float]
TYPES = {"float": "f", "double": "d", "int": "i", "unsigned_int": "I"}
VTK_VERTEX = 1


@dataclass
class VtkArray:
    """A named data array: *components* values per point (or cell), flattened."""

    name: str
    components: int
    values: Sequence[float]
    type: str = "float"


@dataclass
class VtkData:
    """What a legacy VTK file holds."""

    title: str
    points: Sequence[Point]
    polygons: Sequence[Sequence[int]] = ()
    lines: Sequence[Sequence[int]] = ()
    particles: bool = False  # UNSTRUCTURED_GRID of one vertex cell per point
    point_data: list[VtkArray] = field(default_factory=list)
    cell_data: list[VtkArray] = field(default_factory=list)
    field_data: bool = False  # arrays as `FIELD FieldData` rather than SCALARS/VECTORS


class _Out:
    def __init__(self, binary: bool) -> None:
        self.binary = binary
        self.parts: list[bytes] = []

    def line(self, text: str) -> None:
        self.parts.append(text.encode("ascii") + b"\n")

    def numbers(self, values: Sequence[float], kind: str, per_line: int = 9) -> None:
        if self.binary:
            self.parts.append(struct.pack(f">{len(values)}{TYPES[kind]}", *values) + b"\n")
            return
        fmt = "{:d}" if kind in ("int", "unsigned_int") else "{:.7g}"
        for i in range(0, len(values), per_line):
            self.line(" ".join(fmt.format(v) for v in values[i : i + per_line]))


def _cells(out: _Out, keyword: str, cells: Sequence[Sequence[int]]) -> None:
    flat: list[int] = []
    for cell in cells:
        flat.append(len(cell))
        flat.extend(cell)
    out.line(f"{keyword} {len(cells)} {len(flat)}")
    out.numbers(flat, "int")


def _arrays(out: _Out, arrays: list[VtkArray], as_field: bool, count: int) -> None:
    if as_field:
        out.line(f"FIELD FieldData {len(arrays)}")
    for a in arrays:
        if len(a.values) != a.components * count:
            raise ValueError(f"array {a.name}: {len(a.values)} values for {count} items")
        if as_field:
            out.line(f"{a.name} {a.components} {count} {a.type}")
        elif a.components == 3:
            out.line(f"VECTORS {a.name} {a.type}")
        else:
            out.line(f"SCALARS {a.name} {a.type} {a.components}")
            out.line("LOOKUP_TABLE default")
        out.numbers(a.values, a.type)


def write_vtk(path: Path, data: VtkData, binary: bool = True) -> None:
    """Write *data* to *path* as a legacy VTK file."""
    out = _Out(binary)
    out.line("# vtk DataFile Version 4.2")
    out.line(data.title)
    out.line("BINARY" if binary else "ASCII")
    out.line("DATASET UNSTRUCTURED_GRID" if data.particles else "DATASET POLYDATA")
    out.line(f"POINTS {len(data.points)} float")
    out.numbers([c for p in data.points for c in p], "float")
    n_cells = len(data.polygons) + len(data.lines)
    if data.particles:
        n_cells = len(data.points)
        _cells(out, "CELLS", [[i] for i in range(n_cells)])
        out.line(f"CELL_TYPES {n_cells}")
        out.numbers([VTK_VERTEX] * n_cells, "int")
    if data.lines:
        _cells(out, "LINES", data.lines)
    if data.polygons:
        _cells(out, "POLYGONS", data.polygons)
    if data.cell_data:
        out.line(f"CELL_DATA {n_cells}")
        _arrays(out, data.cell_data, data.field_data, n_cells)
    if data.point_data:
        out.line(f"POINT_DATA {len(data.points)}")
        _arrays(out, data.point_data, data.field_data, len(data.points))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(out.parts))
