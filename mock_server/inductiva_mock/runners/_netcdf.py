"""Writing NetCDF-3 classic files (`CDF\\x01`) of double variables, as XBeach writes xboutput.nc.

Layout (all big-endian): magic, record count, the dimension list (the first
dimension of size 0 is the unlimited record dimension), the global
attributes, the variable list (name, dimension ids, attributes, type, size,
offset), then the fixed-size variables one after the other, then the records:
for each record, every record variable's slice in turn.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["NcVariable", "write_netcdf"]

NC_DIMENSION, NC_VARIABLE, NC_ATTRIBUTE = 10, 11, 12
NC_CHAR, NC_DOUBLE = 2, 6


@dataclass
class NcVariable:
    """A double variable over *dims* (names), values flattened in C order."""

    name: str
    dims: tuple[str, ...]
    values: Sequence[float]
    attributes: dict[str, str] = field(default_factory=dict)


def _name(text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack(">i", len(raw)) + raw + b"\0" * (-len(raw) % 4)


def _attributes(attrs: dict[str, str]) -> bytes:
    if not attrs:
        return struct.pack(">ii", 0, 0)
    out = struct.pack(">ii", NC_ATTRIBUTE, len(attrs))
    for key, value in attrs.items():
        raw = value.encode("utf-8")
        out += _name(key) + struct.pack(">ii", NC_CHAR, len(raw)) + raw + b"\0" * (-len(raw) % 4)
    return out


def write_netcdf(
    path: Path,
    dims: Sequence[tuple[str, int | None]],
    variables: Sequence[NcVariable],
    attributes: dict[str, str] | None = None,
) -> None:
    """Write a classic NetCDF file; a dimension of size None is the record dimension."""
    names = [d for d, _ in dims]
    sizes = dict(dims)
    record_dim = next((d for d, n in dims if n is None), None)
    records = 0
    shapes: list[tuple[int, bool]] = []
    for var in variables:
        shape = [sizes[d] or 0 for d in var.dims]
        is_record = bool(var.dims) and var.dims[0] == record_dim
        per_record = 1
        for n in shape[1:] if is_record else shape:
            per_record *= n
        if is_record:
            records = max(records, len(var.values) // max(per_record, 1))
        shapes.append((per_record, is_record))
    out_dims = struct.pack(">ii", NC_DIMENSION, len(dims)) + b"".join(
        _name(d) + struct.pack(">i", n or 0) for d, n in dims
    )
    head = b"CDF\x01" + struct.pack(">i", records) + out_dims + _attributes(attributes or {})
    entries = []
    for var in variables:
        ids = b"".join(struct.pack(">i", names.index(d)) for d in var.dims)
        entries.append(
            _name(var.name)
            + struct.pack(">i", len(var.dims))
            + ids
            + _attributes(var.attributes)
            + struct.pack(">i", NC_DOUBLE)
        )
    size = len(head) + 8 + sum(len(e) + 8 for e in entries)  # + vsize and begin per variable
    fixed, recs = b"", [b""] * records
    starts: list[int | None] = []  # offset in the fixed part; None for record variables
    for var, (per_record, recorded) in zip(variables, shapes, strict=True):
        if recorded:
            starts.append(None)
            for r in range(records):
                chunk = var.values[r * per_record : (r + 1) * per_record]
                recs[r] += struct.pack(f">{len(chunk)}d", *chunk)
        else:
            starts.append(len(fixed))
            fixed += struct.pack(f">{len(var.values)}d", *var.values)
    record_offset = size + len(fixed)
    var_list = struct.pack(">ii", NC_VARIABLE, len(variables)) if variables else b"\0" * 8
    for entry, start, (per_record, _) in zip(entries, starts, shapes, strict=True):
        if start is None:
            begin = record_offset
            record_offset += per_record * 8
        else:
            begin = size + start
        var_list += entry + struct.pack(">ii", per_record * 8, begin)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(head + var_list + fixed + b"".join(recs))
