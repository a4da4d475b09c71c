"""Writing MATLAB level-5 `.mat` files of real double matrices, as SWASH writes its blocks.

The file is a 128-byte header (text, subsystem offset, version 0x0100 and the
endian mark `IM`: little-endian) followed by one `miMATRIX` element per
variable: array flags (class `mxDOUBLE_CLASS`), dimensions, name and the
values in column-major order, each sub-element padded to 8 bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["write_mat"]

MI_INT8, MI_INT32, MI_UINT32, MI_DOUBLE, MI_MATRIX = 1, 5, 6, 9, 14
MX_DOUBLE_CLASS = 6
HEADER_TEXT = "MATLAB 5.0 MAT-file, Platform: GLNXA64, Created by: SWASH (inductiva mock)"


def _element(data_type: int, payload: bytes) -> bytes:
    return struct.pack("<II", data_type, len(payload)) + payload + b"\0" * (-len(payload) % 8)


def _matrix(name: str, rows: int, cols: int, column_major: Sequence[float]) -> bytes:
    if rows * cols != len(column_major):
        raise ValueError(f"{name}: {rows}x{cols} matrix needs {rows * cols} values")
    body = (
        _element(MI_UINT32, struct.pack("<II", MX_DOUBLE_CLASS, 0))
        + _element(MI_INT32, struct.pack("<ii", rows, cols))
        + _element(MI_INT8, name.encode("ascii"))
        + _element(MI_DOUBLE, struct.pack(f"<{len(column_major)}d", *column_major))
    )
    return _element(MI_MATRIX, body)


def write_mat(path: Path, matrices: Mapping[str, Sequence[Sequence[float]]]) -> None:
    """Write `name -> rows` (a list of equal-length rows) to *path* as a level-5 MAT file."""
    header = HEADER_TEXT.ljust(116).encode("ascii") + b"\0" * 8 + struct.pack("<H", 0x0100)
    parts = [header + b"IM"]
    for name, rows in matrices.items():
        n_rows, n_cols = len(rows), len(rows[0]) if rows else 0
        parts.append(_matrix(name, n_rows, n_cols, [row[j] for j in range(n_cols) for row in rows]))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(parts))
