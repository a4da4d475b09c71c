"""The wind tunnel's post-processing, as the real executer ran it after OpenFOAM.

From the case's last time step it wrote, into the outputs: `pressure_field.vtk`
(the object's surface with the pressure `p` on points and cells),
`streamlines.vtk` (lines seeded at the inlet, with `p` and `U`),
`xy_flow_slice.vtk`, `xz_flow_slice.vtk`, `yz_flow_slice.vtk` (planes through
the domain with `p` and `U`) and `force_coefficients.csv` (the header of
`forceCoeffs.dat` and its row for the last iteration).
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

from ._common import RunnerError
from ._vtk import VtkArray, VtkData, write_vtk

__all__ = ["OBJECT", "postprocess"]

OBJECT = Path("constant/triSurface/object.obj")
DEFAULT_DOMAIN = ((-5.0, 15.0), (-4.0, 4.0), (0.0, 8.0))
Bounds = tuple[tuple[float, float], tuple[float, float], tuple[float, float]]
Point = tuple[float, float, float]
SEEDS, STEPS, GRID = 12, 24, (14, 8)
_NUMBER = r"-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?"


def read_obj(path: Path) -> tuple[list[Point], list[list[int]]]:
    """Vertices and faces (0-based) of a Wavefront OBJ file."""
    points: list[Point] = []
    faces: list[list[int]] = []
    for line in path.read_text(errors="replace").splitlines():
        words = line.split()
        if words[:1] == ["v"] and len(words) >= 4:
            points.append((float(words[1]), float(words[2]), float(words[3])))
        elif words[:1] == ["f"] and len(words) >= 4:
            ids = [int(w.split("/")[0]) for w in words[1:]]
            faces.append([i - 1 if i > 0 else len(points) + i for i in ids])
    if not points or not faces:
        raise RunnerError(f"{path.name}: no vertices or faces")
    return points, faces


def domain_bounds(case: Path) -> Bounds:
    """The blockMesh domain's (min, max) per axis (the scenario's default when unreadable)."""
    path = case / "system" / "blockMeshDict"
    text = path.read_text(errors="replace") if path.is_file() else ""
    block = re.search(r"vertices\s*\((.*?)\)\s*;", text, re.DOTALL)
    triples = re.findall(
        rf"\(\s*({_NUMBER})\s+({_NUMBER})\s+({_NUMBER})\s*\)", block[1] if block else ""
    )
    if not triples:
        return DEFAULT_DOMAIN
    axes = list(zip(*((float(a), float(b), float(c)) for a, b, c in triples), strict=True))
    return (
        (min(axes[0]), max(axes[0])),
        (min(axes[1]), max(axes[1])),
        (min(axes[2]), max(axes[2])),
    )


def _flow(x: float, y: float, z: float, speed: float) -> tuple[Point, float]:
    """A smooth made-up velocity and kinematic pressure at a point."""
    bump = math.exp(-(x * x + y * y + (z - 0.5) ** 2))
    u = (speed * (1 - 0.6 * bump), 0.2 * speed * bump * y, 0.3 * speed * bump)
    return u, 0.5 * (speed**2 - sum(c * c for c in u))


def _arrays(points: list[Point], speed: float) -> list[VtkArray]:
    flows = [_flow(*p, speed) for p in points]
    return [
        VtkArray("p", 1, [p for _, p in flows]),
        VtkArray("U", 3, [c for u, _ in flows for c in u]),
    ]


def _slice(bounds: Bounds, plane: str, level: float) -> VtkData:
    """A regular grid of quads across the domain in *plane* at *level* on the third axis."""
    a, b = {"xy": (0, 1), "xz": (0, 2), "yz": (1, 2)}[plane]
    c = 3 - a - b
    (na, nb), points = GRID, []
    for j in range(nb):
        for i in range(na):
            p = [0.0, 0.0, 0.0]
            p[a] = bounds[a][0] + (bounds[a][1] - bounds[a][0]) * i / (na - 1)
            p[b] = bounds[b][0] + (bounds[b][1] - bounds[b][0]) * j / (nb - 1)
            p[c] = level
            points.append((p[0], p[1], p[2]))
    quads = [
        [j * na + i, j * na + i + 1, (j + 1) * na + i + 1, (j + 1) * na + i]
        for j in range(nb - 1)
        for i in range(na - 1)
    ]
    return VtkData(f"{plane} flow slice", points, polygons=quads)


def _streamlines(bounds: Bounds) -> VtkData:
    points: list[Point] = []
    lines: list[list[int]] = []
    (x0, x1), _, _ = bounds
    for s in range(SEEDS):
        angle = 2 * math.pi * s / SEEDS
        y, z = 0.7 * math.cos(angle), 1 + 0.7 * math.sin(angle)
        start = len(points)
        for k in range(STEPS):
            x = x0 + (x1 - x0) * k / (STEPS - 1)
            lift = 0.4 * math.exp(-(x * x) / 4)
            points.append((x, y * (1 + 0.5 * lift), z + lift))
        lines.append(list(range(start, start + STEPS)))
    return VtkData("streamlines", points, lines=lines)


def _force_coefficients(case: Path, dest: Path) -> None:
    dats = sorted(case.glob("postProcessing/*/0/forceCoeffs.dat"))
    if not dats:
        raise RunnerError("post-processing needs postProcessing/<name>/0/forceCoeffs.dat")
    lines = dats[0].read_text().splitlines()
    header = next(line for line in lines if line.startswith("# Time"))
    rows = [line.split() for line in lines if line and not line.startswith("#")]
    with dest.open("w", newline="") as fh:
        csv.writer(fh).writerows([header.split()[1:], *rows[-1:]])


def postprocess(case: Path, speed: float) -> None:
    """Write the default outputs of a wind tunnel from the finished case in *case*."""
    if not (case / OBJECT).is_file():
        raise RunnerError(f"post-processing needs the object's surface {OBJECT}")
    surface, faces = read_obj(case / OBJECT)
    bounds = domain_bounds(case)
    pressure = VtkData("pressure field", surface, polygons=faces)
    arrays = _arrays(surface, speed)
    pressure.point_data = arrays[:1]
    cell_p = [sum(arrays[0].values[i] for i in face) / len(face) for face in faces]
    pressure.cell_data = [VtkArray("p", 1, cell_p)]
    write_vtk(case / "pressure_field.vtk", pressure)
    height = max(p[2] for p in surface) - min(p[2] for p in surface)
    for data, name in (
        (_streamlines(bounds), "streamlines.vtk"),
        (_slice(bounds, "xz", 0.0), "xz_flow_slice.vtk"),
        (_slice(bounds, "yz", 0.0), "yz_flow_slice.vtk"),
        (_slice(bounds, "xy", height / 2), "xy_flow_slice.vtk"),
    ):
        data.point_data = _arrays(list(data.points), speed)
        write_vtk(case / name, data)
    _force_coefficients(case, case / "force_coefficients.csv")
    print("post-processing: pressure field, streamlines, flow slices and force coefficients")
