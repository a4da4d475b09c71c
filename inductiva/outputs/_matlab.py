"""Reading MATLAB level-5 `.mat` files (SWASH's output blocks) with the standard library only.

A level-5 file is a 128-byte header (its last two bytes, ``IM`` or ``MI``,
give the byte order) followed by tagged data elements. Numeric matrices
(``miMATRIX`` of a numeric class, zlib-``miCOMPRESSED`` or not, tags in the
normal or the small format) are read, real part only; other variables
(strings, cells, structs, sparse) are skipped. Version 7.3 files are HDF5 and
are refused.
"""

from __future__ import annotations

import math
import pathlib
import struct
import zlib

import attrs

from ._binary import Reader, malformed, read_bytes

__all__ = ["MatArray", "read_mat"]

MI_MATRIX, MI_COMPRESSED = 14, 15
# miXXX data type -> array type letter
DATA_TYPES = {1: "b", 2: "B", 3: "h", 4: "H", 5: "i", 6: "I", 7: "f", 9: "d", 12: "q", 13: "Q"}
NUMERIC_CLASSES = range(6, 16)  # mxDOUBLE_CLASS .. mxUINT64_CLASS
COMPLEX_FLAG = 0x0800


@attrs.frozen
class MatArray:
    """A numeric matrix: its dimensions and its values in MATLAB's column-major order."""

    shape: tuple[int, ...]
    values: tuple[float, ...]

    def rows(self) -> list[list[float]]:
        """The rows of a 2-D matrix (``rows()[i][j]`` is MATLAB's ``A(i+1, j+1)``)."""
        if len(self.shape) != 2:
            raise ValueError(f"rows() needs a 2-D matrix, this one has shape {self.shape}")
        n_rows, n_cols = self.shape
        return [[self.values[j * n_rows + i] for j in range(n_cols)] for i in range(n_rows)]


class _Mat:
    def __init__(self, path: pathlib.Path, big: bool) -> None:
        self.path = path
        self.big = big
        self.order = ">" if big else "<"

    def tag(self, r: Reader) -> tuple[int, bytes]:
        """The next element's data type and payload (small or normal format, padding skipped)."""
        data_type, size = struct.unpack(self.order + "II", r.take(8, "an element tag"))
        if data_type >> 16:  # small data element: size in the upper half, data in the tag
            return data_type & 0xFFFF, r.data[r.pos - 4 : r.pos - 4 + (data_type >> 16)]
        payload = r.take(size, "an element")
        if data_type != MI_COMPRESSED:  # padding to 8 bytes (the file's last one may lack it)
            r.pos = min(len(r.data), r.pos + -size % 8)
        return data_type, payload

    def elements(self, r: Reader, out: dict[str, MatArray]) -> None:
        while r.pos < len(r.data):
            data_type, payload = self.tag(r)
            if data_type == MI_COMPRESSED:
                try:
                    inner = zlib.decompress(payload)
                except zlib.error as exc:
                    raise malformed(
                        self.path, f"a compressed variable is corrupt ({exc})"
                    ) from None
                self.elements(Reader(self.path, inner), out)
            elif data_type == MI_MATRIX:
                found = self.matrix(Reader(self.path, payload))
                if found is not None:
                    out[found[0]] = found[1]

    def matrix(self, r: Reader) -> tuple[str, MatArray] | None:
        _, flags = self.tag(r)
        dims_type, dims = self.tag(r)
        _, name = self.tag(r)
        if len(flags) < 4 or dims_type != 5 or len(dims) % 4:
            raise malformed(self.path, "a variable's flags or dimensions are malformed")
        klass = struct.unpack(self.order + "I", flags[:4])[0]
        shape = struct.unpack(f"{self.order}{len(dims) // 4}i", dims)
        if (klass & 0xFF) not in NUMERIC_CLASSES or klass & COMPLEX_FLAG or r.pos >= len(r.data):
            return None
        label = name.decode("latin-1")
        real_type, real = self.tag(r)
        code = DATA_TYPES.get(real_type)
        if code is None:
            raise malformed(self.path, f"variable {label!r}: unknown data type {real_type}")
        count = math.prod(shape)
        values = Reader(self.path, real).values(code, count, self.big, f"variable {label!r}")
        return label, MatArray(tuple(shape), values)


def read_mat(path: pathlib.Path) -> dict[str, MatArray]:
    """The numeric variables of the MAT file *path*, by name."""
    data = read_bytes(path)
    if len(data) < 128 or not data.startswith(b"MATLAB 5.0 MAT-file"):
        if data.startswith(b"MATLAB 7.3 MAT-file"):
            raise malformed(path, "a MATLAB 7.3 (HDF5) file; only level-5 MAT files are read")
        raise malformed(path, "not a MATLAB level-5 MAT file (no 'MATLAB 5.0 MAT-file' header)")
    mark = data[126:128]
    if mark not in (b"IM", b"MI"):
        raise malformed(path, f"unknown byte-order mark {mark!r}")
    out: dict[str, MatArray] = {}
    _Mat(path, big=mark == b"MI").elements(Reader(path, data, 128), out)
    return out
