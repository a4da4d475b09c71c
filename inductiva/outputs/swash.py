"""Outputs of SWASH: MATLAB blocks of quantities over the computational grid.

``sw.swash.run_simulation`` gives a :class:`SWASHOutput` (any block file by
name) and ``coastal_area.swash.run_simulation`` a :class:`CoastalAreaOutput`
(the scenario's blocks: ``grid_positions.mat``, ``water_level.mat``,
``velocity_x.mat``, ``velocity_y.mat``, ``velocity_magnitude.mat``). A
time-dependent block holds one matrix per output time, named like
``Watlev_000012_500`` (12.5 s).
"""

from __future__ import annotations

import re
from typing import Literal

import attrs

from .._outputs import TaskOutput
from ._binary import malformed
from ._matlab import MatArray, read_mat

__all__ = ["CoastalAreaOutput", "SWASHOutput"]

Grid = list[list[float]]
QUANTITY_LABELS = {
    "water_level": "Watlev",
    "velocity_x": "Vksi",
    "velocity_y": "Veta",
    "velocity_magnitude": "Vmag",
}
_STAMP = re.compile(r"^(?P<label>[A-Za-z]+)_(?P<hms>\d{6})_(?P<ms>\d{3})$")


@attrs.frozen
class SWASHOutput(TaskOutput):
    """The MATLAB block files of a SWASH run."""

    def block(self, name: str) -> dict[str, MatArray]:
        """The variables of block file *name* (e.g. ``"water_level.mat"``), by name."""
        return read_mat(self.path / name)

    def series(self, name: str, label: str) -> list[tuple[float, Grid]]:
        """``(time in s, rows)`` of the time-dependent variable *label* (e.g. ``"Watlev"``)."""
        out = []
        for key, array in self.block(name).items():
            found = _STAMP.match(key)
            if found and found["label"] == label:
                hms = found["hms"]
                seconds = int(hms[:2]) * 3600 + int(hms[2:4]) * 60 + int(hms[4:])
                out.append((seconds + int(found["ms"]) / 1000, array.rows()))
        if not out:
            raise malformed(self.path / name, f"no time-stamped {label!r} variables")
        return sorted(out, key=lambda item: item[0])


@attrs.frozen
class CoastalAreaOutput(SWASHOutput):
    """A coastal area: the grid and the water level and velocities over time."""

    def grid(self) -> tuple[list[float], list[float]]:
        """The x and y coordinates of the grid (from ``grid_positions.mat``: ``Xp``, ``Yp``)."""
        path = self.path / "grid_positions.mat"
        variables = self.block("grid_positions.mat")
        if "Xp" not in variables or "Yp" not in variables:
            raise malformed(path, "no Xp and Yp variables")
        x_rows, y_rows = variables["Xp"].rows(), variables["Yp"].rows()
        return x_rows[0], [row[0] for row in y_rows]

    def quantity(
        self,
        name: Literal[
            "water_level", "velocity_x", "velocity_y", "velocity_magnitude"
        ] = "water_level",
    ) -> list[tuple[float, Grid]]:
        """``(time in s, rows over y of values over x)`` of a quantity at each output time."""
        if name not in QUANTITY_LABELS:
            raise ValueError(f"quantity must be one of {', '.join(QUANTITY_LABELS)}, got {name!r}")
        return self.series(f"{name}.mat", QUANTITY_LABELS[name])
