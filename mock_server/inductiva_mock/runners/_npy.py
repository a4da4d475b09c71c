"""Writing NumPy `.npy` (format 1.0) and `.npz` files without NumPy.

An `.npy` file is the magic `\\x93NUMPY`, the version (1, 0), a little-endian
uint16 header length, a Python-literal header dict (`descr`, `fortran_order`,
`shape`) padded with spaces to a multiple of 64 bytes and ending in a newline,
then the values in C order. An `.npz` is a zip of `.npy` members, stored
uncompressed as `numpy.savez` does.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["npy_bytes", "write_npy", "write_npz"]

MAGIC = b"\x93NUMPY\x01\x00"
ALIGN = 64
# descr -> struct format character (all little-endian)
CODES = {"<f8": "d", "<f4": "f", "<i8": "q", "<i4": "i"}


def npy_bytes(
    values: Sequence[float], shape: tuple[int, ...] | None = None, descr: str = "<f8"
) -> bytes:
    """The `.npy` encoding of *values* (C order) with *shape* (default: 1-D)."""
    shape = (len(values),) if shape is None else shape
    count = 1
    for n in shape:
        count *= n
    if count != len(values):
        raise ValueError(f"shape {shape} holds {count} values, got {len(values)}")
    dims = "".join(f"{n}, " for n in shape) if len(shape) == 1 else ", ".join(map(str, shape))
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims.rstrip(' ')}), }}"
    padding = -(len(MAGIC) + 2 + len(header) + 1) % ALIGN
    text = (header + " " * padding + "\n").encode("latin-1")
    body = struct.pack(f"<{len(values)}{CODES[descr]}", *values)
    return MAGIC + struct.pack("<H", len(text)) + text + body


def write_npy(
    path: Path, values: Sequence[float], shape: tuple[int, ...] | None = None, descr: str = "<f8"
) -> None:
    """Write *values* to *path* as a `.npy` array."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(npy_bytes(values, shape, descr))


def write_npz(path: Path, arrays: Mapping[str, tuple[Sequence[float], tuple[int, ...]]]) -> None:
    """Write `name -> (values, shape)` float64 arrays to *path* as an `.npz` archive.

    Members carry a fixed date (1980-01-01), so the same arrays give the same bytes
    whenever they are written (the mock's outputs are deterministic).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for name, (values, shape) in arrays.items():
            member = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            zf.writestr(member, npy_bytes(values, shape))
