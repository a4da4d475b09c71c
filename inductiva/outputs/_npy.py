"""Reading NumPy `.npy` arrays and `.npz` archives with the standard library only.

An `.npy` file is the magic ``\\x93NUMPY``, a version (1.0: a 2-byte header
length; 2.0 and 3.0: 4 bytes), a Python-literal header dict (``descr``,
``fortran_order``, ``shape``) and the raw values. Numeric types (bool, signed
and unsigned integers, float32/64, either byte order) are read; object arrays
(pickles) are refused. An `.npz` is a zip of `.npy` members.
"""

from __future__ import annotations

import ast
import math
import pathlib
import re
import zipfile
from typing import Any

import attrs

from ._binary import Reader, malformed, missing, read_bytes

__all__ = ["NpyArray", "parse_npy", "read_npy", "read_npz"]

MAGIC = b"\x93NUMPY"
# (kind, size) -> array type letter
CODES = {
    ("f", 8): "d",
    ("f", 4): "f",
    ("i", 8): "q",
    ("i", 4): "i",
    ("i", 2): "h",
    ("i", 1): "b",
    ("u", 8): "Q",
    ("u", 4): "I",
    ("u", 2): "H",
    ("u", 1): "B",
    ("b", 1): "B",
}
_DESCR = re.compile(r"^([<>|=]?)([fiub])(\d+)$")


@attrs.frozen
class NpyArray:
    """An array read from an `.npy` file: its shape, NumPy type and values in C order."""

    shape: tuple[int, ...]
    dtype: str
    values: tuple[float, ...]

    def __len__(self) -> int:
        """The length of the first axis (as for a NumPy array)."""
        return self.shape[0] if self.shape else 1

    def tolist(self) -> Any:
        """The values nested by the shape, as ``numpy.ndarray.tolist()`` gives them."""
        if not self.shape:
            return self.values[0]

        def nest(flat: tuple[float, ...], shape: tuple[int, ...]) -> Any:
            if len(shape) == 1:
                return list(flat)
            step = len(flat) // shape[0] if shape[0] else 0
            return [nest(flat[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]

        return nest(self.values, self.shape)


def _header(path: pathlib.Path, reader: Reader) -> dict[str, Any]:
    if reader.take(6, "the magic number") != MAGIC:
        raise malformed(path, "not a NumPy .npy file (no \\x93NUMPY magic number)")
    major = reader.take(2, "the version")[0]
    if major not in (1, 2, 3):
        raise malformed(path, f".npy format version {major} is not supported (1, 2 or 3 are)")
    size_bytes = 2 if major == 1 else 4
    size = int.from_bytes(reader.take(size_bytes, "the header length"), "little")
    text = reader.take(size, "the header").decode("utf-8" if major == 3 else "latin-1")
    try:
        header = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError) as exc:
        raise malformed(path, f"unreadable .npy header {text.strip()[:80]!r}") from exc
    if not isinstance(header, dict) or not {"descr", "fortran_order", "shape"} <= set(header):
        raise malformed(path, "the .npy header lacks descr, fortran_order or shape")
    return header


def parse_npy(data: bytes, path: pathlib.Path) -> NpyArray:
    """The array encoded in *data* (the contents of *path*, named in errors)."""
    reader = Reader(path, data)
    header = _header(path, reader)
    descr, shape = header["descr"], header["shape"]
    if not isinstance(shape, tuple) or not all(isinstance(n, int) and n >= 0 for n in shape):
        raise malformed(path, f"invalid shape {shape!r}")
    found = _DESCR.match(descr) if isinstance(descr, str) else None
    code = CODES.get((found[2], int(found[3]))) if found else None
    if found is None or code is None:
        raise malformed(path, f"data type {descr!r} is not supported (numeric types are)")
    count = math.prod(shape)
    values = reader.values(code, count, found[1] == ">", "the array's values")
    if reader.pos != len(data):
        raise malformed(path, f"{len(data) - reader.pos} bytes after the {count} values")
    if header["fortran_order"] and len(shape) > 1:
        values = _to_c_order(values, shape)
    if found[2] == "b":
        values = tuple(bool(v) for v in values)
    return NpyArray(shape=shape, dtype=descr, values=values)


def _to_c_order(values: tuple[float, ...], shape: tuple[int, ...]) -> tuple[float, ...]:
    strides = [math.prod(shape[:i]) for i in range(len(shape))]  # Fortran strides
    out = []
    for flat in range(len(values)):
        index, rest = [], flat
        for n in reversed(shape):
            index.append(rest % n)
            rest //= n
        out.append(values[sum(i * s for i, s in zip(reversed(index), strides, strict=True))])
    return tuple(out)


def read_npy(path: pathlib.Path) -> NpyArray:
    """The array stored in the `.npy` file *path*."""
    return parse_npy(read_bytes(path), path)


def read_npz(path: pathlib.Path) -> dict[str, NpyArray]:
    """The arrays of the `.npz` archive *path*, by name (``arr_0``, ``magnetic_field``, ...)."""
    if not path.is_file():
        raise missing(path)
    try:
        with zipfile.ZipFile(path) as zf:
            return {
                name.removesuffix(".npy"): parse_npy(zf.read(name), path / name)
                for name in zf.namelist()
                if name.endswith(".npy")
            }
    except (zipfile.BadZipFile, OSError) as exc:
        raise malformed(path, f"not an .npz archive ({exc})") from exc
