"""Reading an OpenFOAM case (dictionaries, initial fields, regions) and writing field files.

Only what the mock needs: the top-level `key value;` entries of a dictionary,
`$name` macros resolved from its `#include`d files (such as the scenarios'
`parameters`), the fields of `0/` (per region for multi-region cases) and
field files in OpenFOAM's ASCII format with a `nonuniform List<...>` of cell
values.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Field", "case_fields", "cell_values", "read_dict", "regions", "write_field"]

CELLS = 8  # cells of the mock's meshes
_ENTRY = re.compile(r"^[ \t]*([A-Za-z_][\w.]*)[ \t]+([^;{}\n]+?)[ \t]*;", re.MULTILINE)
_INCLUDE = re.compile(r'^\s*#include\s+"([^"]+)"', re.MULTILINE)
_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)


def read_dict(path: Path, case: Path | None = None) -> dict[str, str]:
    """The top-level `key value;` entries of *path*, `$macros` expanded from its includes."""
    if not path.is_file():
        return {}
    text = _COMMENTS.sub("", path.read_text(errors="replace"))
    entries: dict[str, str] = {}
    for name in _INCLUDE.findall(text):
        target = (case or path.parent) / name.replace("$FOAM_CASE/", "")
        if target.is_file() and target != path:
            entries.update(read_dict(target, case))
    body, previous = text, ""
    while body != previous:  # drop sub-dictionaries (FoamFile, boundaryField, functions, ...)
        previous, body = body, re.sub(r"\{[^{}]*\}", "", body)
    for key, value in _ENTRY.findall(body):
        entries[key] = re.sub(r"\$(\w+)", lambda m: entries.get(m.group(1), m.group(0)), value)
    return entries


def regions(case: Path) -> list[str]:
    """The region names of a multi-region case (`constant/regionProperties`), else `[]`."""
    path = case / "constant" / "regionProperties"
    if not path.is_file():
        return []
    text = _COMMENTS.sub("", path.read_text(errors="replace"))
    found = re.search(r"regions\s*\((.*)\)\s*;", text, re.DOTALL)
    inner = re.findall(r"\(([^()]*)\)", found.group(1)) if found else []
    return [name for group in inner for name in group.split()]


@dataclass
class Field:
    """An initial field of `0/` (or `0/<region>/`): its name, class and starting value."""

    name: str
    cls: str
    start: tuple[float, ...]  # 1 value for scalars, 3 for vectors


def _field(path: Path, case: Path) -> Field | None:
    text = path.read_text(errors="replace")
    cls = re.search(r"\bclass\s+(\w+)\s*;", text)
    if cls is None or not cls.group(1).startswith("vol"):
        return None
    value = read_dict(path, case).get("internalField", "uniform 0")
    numbers = [float(x) for x in re.findall(r"-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?", value)]
    if "Vector" in cls.group(1):
        start = (*numbers, 0.0, 0.0, 0.0)[:3]
    else:
        start = (numbers[0] if numbers else 0.0,)
    return Field(path.name.removesuffix(".orig"), cls.group(1), start)


def case_fields(case: Path, region: str = "") -> list[Field]:
    """The volume fields of `0/` (of `0/<region>/`), by name; U and p when there are none."""
    zero = case / "0" / region if region else case / "0"
    found: dict[str, Field] = {}
    if zero.is_dir():
        for path in sorted(p for p in zero.iterdir() if p.is_file()):
            field = _field(path, case)
            if field is not None:
                found.setdefault(field.name, field)
    if not found:
        return [
            Field("U", "volVectorField", (20.0, 0.0, 0.0)),
            Field("p", "volScalarField", (0.0,)),
        ]
    return list(found.values())


def cell_values(field: Field, fraction: float) -> list[tuple[float, ...]]:
    """*field*'s cell values at *fraction* (0..1) of the run: a smooth deterministic evolution."""
    out: list[tuple[float, ...]] = []
    for i in range(CELLS):
        wave = math.sin(1.3 * i + 3 * fraction)
        if len(field.start) == 3:
            ux, uy, uz = field.start
            out.append((ux * (1 - 0.05 * i / CELLS), uy + 0.1 * wave, uz - 0.05 * wave))
        elif field.name == "T":
            out.append((field.start[0] + 10 * fraction * (1 + i / CELLS),))
        else:
            out.append((field.start[0] + (0.5 + 0.1 * wave) * fraction * (i + 1) / CELLS,))
    return out


def write_field(path: Path, field: Field, fraction: float, location: str) -> None:
    """Write *field* at *fraction* of the run to *path* (ASCII, nonuniform cell values)."""
    values = cell_values(field, fraction)
    vector = len(field.start) == 3
    kind = "vector" if vector else "scalar"
    items = "\n".join(
        "(" + " ".join(f"{c:.6g}" for c in v) + ")" if vector else f"{v[0]:.6g}" for v in values
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "/* OpenFOAM (inductiva mock) */\nFoamFile\n{\n    version     2.0;\n"
        f"    format      ascii;\n    class       {field.cls};\n"
        f'    location    "{location}";\n    object      {field.name};\n}}\n\n'
        f"internalField   nonuniform List<{kind}>\n{len(values)}\n(\n{items}\n)\n;\n\n"
        "boundaryField\n{\n}\n"
    )
