"""Reading legacy VTK files (``.vtk``, ASCII or BINARY) with the standard library only.

Supported: POLYDATA (surfaces, slices, streamlines: POINTS with VERTICES,
LINES, POLYGONS, TRIANGLE_STRIPS) and UNSTRUCTURED_GRID (POINTS, CELLS,
CELL_TYPES, e.g. SPH particles), in the layout of VTK 4.x (cell sizes inline)
and of VTK 9's version 5.1 (OFFSETS and CONNECTIVITY); point and cell data as
SCALARS, VECTORS, NORMALS, TENSORS, TEXTURE_COORDINATES and FIELD arrays.
BINARY values are big-endian, as VTK writes them.
"""

from __future__ import annotations

import itertools
import pathlib

import attrs

from ._binary import Reader, malformed, read_bytes

__all__ = ["VtkArray", "VtkData", "parse_vtk", "read_vtk"]

Point = tuple[float, float, float]
TYPES = {
    "float": "f",
    "double": "d",
    "int": "i",
    "unsigned_int": "I",
    "long": "q",
    "unsigned_long": "Q",
    "short": "h",
    "unsigned_short": "H",
    "char": "b",
    "unsigned_char": "B",
    "bit": "B",
    "vtkidtype": "i",
    "vtktypeint64": "q",
    "vtktypeuint64": "Q",
    "vtktypeint32": "i",
}
CELL_SECTIONS = ("VERTICES", "LINES", "POLYGONS", "TRIANGLE_STRIPS", "CELLS")
DATASETS = ("POLYDATA", "UNSTRUCTURED_GRID")


@attrs.frozen
class VtkArray:
    """A named data array: ``components`` values per point (or cell), flattened."""

    name: str
    components: int
    values: tuple[float, ...]

    def tuples(self) -> list[tuple[float, ...]]:
        """The values grouped per point (or cell)."""
        n = self.components
        return [self.values[i : i + n] for i in range(0, len(self.values), n)]


@attrs.frozen
class VtkData:
    """A legacy VTK dataset: points, cells by section name and the data arrays by name."""

    title: str
    dataset: str
    points: tuple[Point, ...]
    cells: dict[str, tuple[tuple[int, ...], ...]]
    point_data: dict[str, VtkArray]
    cell_data: dict[str, VtkArray]
    field_data: dict[str, VtkArray]


class _Parser:
    def __init__(self, path: pathlib.Path, data: bytes) -> None:
        self.path = path
        self.r = Reader(path, data)
        self.binary = False

    def line(self, required: bool = True) -> str:
        """The next non-empty line ("" at the end of the file unless *required*)."""
        data = self.r.data
        while self.r.pos < len(data):
            end = data.find(b"\n", self.r.pos)
            end = len(data) if end < 0 else end
            raw, self.r.pos = data[self.r.pos : end], end + 1
            text = raw.decode("latin-1").strip()
            if text:
                return text
        if required:
            raise malformed(self.path, "truncated: the file ends in the middle of a section")
        return ""

    def peek(self) -> str:
        pos, text = self.r.pos, self.line(required=False)
        self.r.pos = pos
        return text

    def numbers(self, count: int, vtk_type: str, what: str) -> tuple[float, ...]:
        code = TYPES.get(vtk_type.lower())
        if code is None:
            raise malformed(self.path, f"{what}: unknown data type {vtk_type!r}")
        if self.binary:
            values = self.r.values(code, count, True, what)
            if self.r.data[self.r.pos : self.r.pos + 1] == b"\n":
                self.r.pos += 1
            return values
        tokens: list[str] = []
        while len(tokens) < count:
            tokens.extend(self.line().split())
        if len(tokens) != count:
            raise malformed(self.path, f"{what}: {len(tokens)} values where {count} were expected")
        try:
            if code in "fd":
                return tuple(float(t) for t in tokens)
            return tuple(int(t) for t in tokens)
        except ValueError as exc:
            raise malformed(self.path, f"{what}: not a number ({exc})") from None

    def ints(self, words: list[str], count: int, what: str) -> list[int]:
        try:
            values = [int(w) for w in words[1 : 1 + count]]
        except ValueError:
            values = []
        if len(values) != count or any(v < 0 for v in values):
            raise malformed(self.path, f"malformed {what} line {' '.join(words)!r}")
        return values


def _cells(p: _Parser, words: list[str]) -> tuple[tuple[int, ...], ...]:
    n, size = p.ints(words, 2, words[0])
    if p.peek().startswith("OFFSETS"):  # VTK 5.1: offsets (n of them: cells + 1), then ids
        offsets = p.numbers(n, p.line().split()[1], "OFFSETS")
        ids = p.numbers(size, p.line().split()[1], "CONNECTIVITY")
        bounds = [int(o) for o in offsets]
        if bounds and (bounds[0] != 0 or bounds[-1] != size or bounds != sorted(bounds)):
            raise malformed(p.path, f"{words[0]}: offsets do not match the connectivity")
        return tuple(tuple(int(i) for i in ids[a:b]) for a, b in itertools.pairwise(bounds))
    flat = [int(v) for v in p.numbers(size, "int", words[0])]
    cells, i = [], 0
    while i < len(flat):
        k = flat[i]
        if i + 1 + k > len(flat):
            raise malformed(p.path, f"{words[0]}: a cell's size runs past the section")
        cells.append(tuple(flat[i + 1 : i + 1 + k]))
        i += 1 + k
    if len(cells) != n:
        raise malformed(p.path, f"{words[0]}: {len(cells)} cells where {n} were announced")
    return tuple(cells)


def _array(p: _Parser, words: list[str], count: int) -> VtkArray:
    """One SCALARS/VECTORS/NORMALS/TENSORS/TEXTURE_COORDINATES array of *count* items."""
    kind = words[0]
    if len(words) < 3:
        raise malformed(p.path, f"malformed {kind} line {' '.join(words)!r}")
    name, vtk_type = words[1], words[2]
    components = {"VECTORS": 3, "NORMALS": 3, "TENSORS": 9}.get(kind, 1)
    if kind == "SCALARS":
        components = p.ints(["", *words[3:4]], 1, "SCALARS")[0] if len(words) > 3 else 1
        if p.peek().startswith("LOOKUP_TABLE"):
            p.line()
    elif kind == "TEXTURE_COORDINATES":
        components, vtk_type = (
            p.ints(["", words[2]], 1, kind)[0],
            words[3] if len(words) > 3 else "",
        )
    return VtkArray(name, components, p.numbers(count * components, vtk_type, f"{kind} {name}"))


def _field(p: _Parser, words: list[str]) -> dict[str, VtkArray]:
    (n,) = p.ints(words[1:], 1, "FIELD")
    arrays = {}
    for _ in range(n):
        spec = p.line().split()
        if len(spec) != 4:
            raise malformed(p.path, f"malformed FIELD array line {' '.join(spec)!r}")
        components, tuples = p.ints(spec, 2, "FIELD array")
        arrays[spec[0]] = VtkArray(
            spec[0], components, p.numbers(components * tuples, spec[3], spec[0])
        )
    return arrays


def parse_vtk(data: bytes, path: pathlib.Path) -> VtkData:
    """The dataset in *data* (the contents of *path*, named in errors)."""
    p = _Parser(path, data)
    if not p.line(required=False).startswith("# vtk DataFile"):
        raise malformed(path, "not a legacy VTK file (no '# vtk DataFile' first line)")
    title, fmt = p.line(), p.line().upper()
    if fmt not in ("ASCII", "BINARY"):
        raise malformed(path, f"format {fmt!r} is neither ASCII nor BINARY")
    p.binary = fmt == "BINARY"
    words = p.line().split()
    if words[:1] != ["DATASET"] or len(words) != 2 or words[1] not in DATASETS:
        raise malformed(path, f"{' '.join(words)!r}: only DATASET {' or '.join(DATASETS)} is read")
    dataset = words[1]
    points: tuple[Point, ...] = ()
    cells: dict[str, tuple[tuple[int, ...], ...]] = {}
    sections: dict[str, dict[str, VtkArray]] = {"POINT": {}, "CELL": {}, "FIELD": {}}
    target, count = "FIELD", 0
    while line := p.line(required=False):
        words = line.split()
        key = words[0].upper()
        if key == "POINTS":
            (n,) = p.ints(words, 1, "POINTS")
            flat = p.numbers(3 * n, words[2] if len(words) > 2 else "", "POINTS")
            points = tuple((flat[i], flat[i + 1], flat[i + 2]) for i in range(0, len(flat), 3))
        elif key in CELL_SECTIONS:
            cells[key] = _cells(p, words)
        elif key == "CELL_TYPES":
            types = p.numbers(p.ints(words, 1, key)[0], "int", key)
            cells["CELL_TYPES"] = tuple((int(t),) for t in types)
        elif key in ("POINT_DATA", "CELL_DATA"):
            target, count = key.split("_")[0], p.ints(words, 1, key)[0]
        elif key == "FIELD":
            sections[target].update(_field(p, words))
        elif key in ("SCALARS", "VECTORS", "NORMALS", "TENSORS", "TEXTURE_COORDINATES"):
            if target == "FIELD":
                raise malformed(path, f"{key} before POINT_DATA or CELL_DATA")
            array = _array(p, words, count)
            sections[target][array.name] = array
        elif key == "METADATA":  # VTK 9: INFORMATION n, then two lines per entry
            info = p.line().split()
            for _ in range(2 * p.ints(info, 1, "METADATA INFORMATION")[0]):
                p.line()
        else:
            raise malformed(path, f"unsupported section {line[:60]!r}")
    return VtkData(
        title, dataset, points, cells, sections["POINT"], sections["CELL"], sections["FIELD"]
    )


def read_vtk(path: pathlib.Path) -> VtkData:
    """The dataset of the legacy VTK file *path*."""
    return parse_vtk(read_bytes(path), path)
