"""Outputs of the deformable plate (``deformable_plate.fenicsx.run_simulation``).

FEniCSx writes ``results.xdmf``: an XML description of the mesh (a grid named
``mesh``) and its attributes (``displacement`` on nodes; ``stress``,
``strain`` and ``von_mises`` on cells). The values are read when the XDMF
holds them inline (``Format="XML"``); values kept in a companion HDF5 file
(``Format="HDF"``) need an HDF5 library, and reading them raises a clear error.
"""

from __future__ import annotations

import math
import pathlib
import xml.etree.ElementTree as ET

import attrs

from .._outputs import TaskOutput
from ._binary import malformed, read_bytes

__all__ = ["DeformablePlateOutput", "XdmfAttribute", "XdmfGrid", "read_xdmf"]


@attrs.frozen
class XdmfAttribute:
    """An attribute of the grid: where it lives (``Node``/``Cell``), its width and values."""

    name: str
    center: str
    components: int
    values: tuple[float, ...]


@attrs.frozen
class XdmfGrid:
    """A grid: node coordinates, cells (node indices) and attributes by name."""

    name: str
    points: tuple[tuple[float, ...], ...]
    cells: tuple[tuple[int, ...], ...]
    attributes: dict[str, XdmfAttribute]


def _data(path: pathlib.Path, parent: ET.Element, what: str) -> tuple[int, tuple[float, ...]]:
    """Width (last dimension) and values of the DataItem under *parent*."""
    item = parent.find("DataItem")
    if item is None:
        raise malformed(path, f"{what} has no DataItem")
    fmt = item.get("Format", "XML")
    if fmt != "XML":
        raise malformed(path, f"{what}: values stored as {fmt} (e.g. an .h5 file) are not read")
    try:
        dims = [int(d) for d in item.get("Dimensions", "").split()]
        values = tuple(float(v) for v in (item.text or "").split())
    except ValueError as exc:
        raise malformed(path, f"{what}: not numbers ({exc})") from None
    if not dims or len(values) != math.prod(dims):
        raise malformed(path, f"{what}: {len(values)} values for dimensions {dims}")
    return (dims[-1] if len(dims) > 1 else 1), values


def read_xdmf(path: pathlib.Path, grid: str = "mesh") -> XdmfGrid:
    """The grid named *grid* of the XDMF file *path*."""
    try:
        root = ET.fromstring(read_bytes(path))
    except ET.ParseError as exc:
        raise malformed(path, f"not XML ({exc})") from None
    found = next((g for g in root.iter("Grid") if g.get("Name") == grid), None)
    if found is None:
        raise malformed(path, f"no grid named {grid!r}")
    geometry, topology = found.find("Geometry"), found.find("Topology")
    if geometry is None or topology is None:
        raise malformed(path, "the grid lacks Geometry or Topology")
    width, coords = _data(path, geometry, "Geometry")
    per_cell, ids = _data(path, topology, "Topology")
    attributes = {}
    for element in found.findall("Attribute"):
        name = element.get("Name", "")
        components, values = _data(path, element, f"attribute {name!r}")
        attributes[name] = XdmfAttribute(name, element.get("Center", "Node"), components, values)
    return XdmfGrid(
        grid,
        tuple(coords[i : i + width] for i in range(0, len(coords), width)),
        tuple(tuple(int(k) for k in ids[i : i + per_cell]) for i in range(0, len(ids), per_cell)),
        attributes,
    )


@attrs.frozen
class DeformablePlateOutput(TaskOutput):
    """The plate's mesh with its displacement, stress, strain and von Mises stress."""

    def results(self) -> XdmfGrid:
        """The grid ``mesh`` of ``results.xdmf``."""
        return read_xdmf(self.path / "results.xdmf")

    def von_mises(self) -> list[float]:
        """The von Mises stress of each cell."""
        attributes = self.results().attributes
        if "von_mises" not in attributes:
            raise malformed(self.path / "results.xdmf", "no von_mises attribute")
        return list(attributes["von_mises"].values)
