"""Outputs of the stellarator coil search (``stellarators.simsopt.run_simulation``).

``objectives.csv`` holds a row per iteration and sample (``iteration``,
``sample``, ``total`` and one column per weighted objective); each sample's
folder ``iteration_<i>/sample_<j>/`` holds ``coil_coefficients.npz`` and
``field.npz`` (``magnetic_field`` and ``magnetic_field_absolute`` on the plasma
surface); the best configuration is copied to ``Final Configuration/``.
"""

from __future__ import annotations

import csv
import io
import pathlib

import attrs

from .._outputs import TaskOutput
from ._binary import malformed, read_text
from ._npy import NpyArray, read_npz

__all__ = ["StellaratorOutput"]

FINAL = "Final Configuration"


def _objectives(path: pathlib.Path) -> list[dict[str, float]]:
    rows = list(csv.reader(io.StringIO(read_text(path))))
    if not rows or rows[0][:3] != ["iteration", "sample", "total"]:
        raise malformed(path, "expected the header iteration,sample,total,...")
    try:
        return [
            {name: float(value) for name, value in zip(rows[0], row, strict=True)}
            for row in rows[1:]
            if row
        ]
    except ValueError as exc:
        raise malformed(path, f"a row does not match the header ({exc})") from None


@attrs.frozen
class StellaratorOutput(TaskOutput):
    """The coil configurations tried by the search, their fields and objectives."""

    def objectives(self) -> list[dict[str, float]]:
        """Every sample's objectives, by column name (``iteration``, ``sample``, ``total``...)."""
        return _objectives(self.path / "objectives.csv")

    def final_objectives(self) -> dict[str, float]:
        """The objectives of the best configuration (``Final Configuration/``)."""
        rows = _objectives(self.path / FINAL / "final_objectives.csv")
        if len(rows) != 1:
            raise malformed(self.path / FINAL / "final_objectives.csv", "expected one row")
        return rows[0]

    def _folder(self, iteration: int | None, sample: int | None) -> pathlib.Path:
        if iteration is None and sample is None:
            return self.path / FINAL
        return self.path / f"iteration_{iteration}" / f"sample_{sample}"

    def magnetic_field(
        self, iteration: int | None = None, sample: int | None = None
    ) -> dict[str, NpyArray]:
        """``magnetic_field`` (vectors) and ``magnetic_field_absolute`` of a sample.

        Without arguments: the final configuration's.
        """
        return read_npz(self._folder(iteration, sample) / "field.npz")

    def coil_coefficients(
        self, iteration: int | None = None, sample: int | None = None
    ) -> list[NpyArray]:
        """The Fourier coefficients of each coil of a sample (the final one by default)."""
        arrays = read_npz(self._folder(iteration, sample) / "coil_coefficients.npz")
        return [
            arrays[name] for name in sorted(arrays, key=lambda n: int(n.rpartition("_")[2] or 0))
        ]
