"""Reading NetCDF-3 files (classic ``CDF\\x01`` and 64-bit offset ``CDF\\x02``) with the stdlib.

XBeach writes its results (``xboutput.nc``) in NetCDF. The header lists the
dimensions (one of length 0 is the unlimited record dimension), the global
attributes and the variables (dimensions, attributes, type, offset); the
values of fixed-size variables follow one after the other, those of record
variables interleaved record by record. All values are big-endian. NetCDF-4
files are HDF5 and are refused.
"""

from __future__ import annotations

import math
import pathlib
import struct

import attrs

from ._binary import Reader, malformed, read_bytes

__all__ = ["NcVariable", "NetCDF", "read_netcdf"]

NC_DIMENSION, NC_VARIABLE, NC_ATTRIBUTE = 10, 11, 12
NC_CHAR = 2
# nc_type -> (array type letter, item size)
TYPES = {1: ("b", 1), 2: ("B", 1), 3: ("h", 2), 4: ("i", 4), 5: ("f", 4), 6: ("d", 8)}
Attribute = str | tuple[float, ...]


@attrs.frozen
class NcVariable:
    """A variable: its dimensions (names), shape, values in C order and attributes."""

    name: str
    dimensions: tuple[str, ...]
    shape: tuple[int, ...]
    values: tuple[float, ...]
    attributes: dict[str, Attribute]


@attrs.frozen
class NetCDF:
    """A NetCDF-3 file: dimension sizes, global attributes and variables, by name."""

    dimensions: dict[str, int]
    attributes: dict[str, Attribute]
    variables: dict[str, NcVariable]


class _Header:
    def __init__(self, r: Reader) -> None:
        self.r = r

    def integer(self, what: str) -> int:
        value: int = struct.unpack(">i", self.r.take(4, what))[0]
        return value

    def count(self, what: str) -> int:
        n = self.integer(what)
        if n < 0:
            raise malformed(self.r.path, f"negative {what}")
        return n

    def name(self) -> str:
        size = self.count("a name's length")
        raw = self.r.take(size, "a name")
        self.r.take(-size % 4, "a name's padding")
        return raw.decode("utf-8", errors="replace")

    def list_of(self, tag: int, what: str) -> int:
        kind, n = self.integer(what), self.count(what)
        if kind not in (0, tag) or (kind == 0 and n):
            raise malformed(self.r.path, f"malformed {what}")
        return n

    def attributes(self) -> dict[str, Attribute]:
        out: dict[str, Attribute] = {}
        for _ in range(self.list_of(NC_ATTRIBUTE, "attribute list")):
            name, nc_type, n = self.name(), self.integer("an attribute type"), self.count("a size")
            if nc_type not in TYPES:
                raise malformed(self.r.path, f"attribute {name!r}: unknown type {nc_type}")
            code, size = TYPES[nc_type]
            if nc_type == NC_CHAR:
                out[name] = self.r.take(n, name).decode("utf-8", errors="replace")
            else:
                out[name] = self.r.values(code, n, True, f"attribute {name!r}")
            self.r.take(-(n * size) % 4, "padding")
        return out


def read_netcdf(path: pathlib.Path) -> NetCDF:
    """The dimensions, attributes and variables of the NetCDF-3 file *path*."""
    data = read_bytes(path)
    if data[:4] not in (b"CDF\x01", b"CDF\x02"):
        hint = " (NetCDF-4/HDF5 is not read)" if data.startswith(b"\x89HDF") else ""
        raise malformed(path, f"not a NetCDF-3 classic or 64-bit offset file{hint}")
    h = _Header(Reader(path, data, 4))
    offset_code = ">q" if data[3] == 2 else ">i"
    records = h.integer("the record count")
    dims: list[tuple[str, int]] = [
        (h.name(), h.count("a dimension length"))
        for _ in range(h.list_of(NC_DIMENSION, "dimension list"))
    ]
    attributes = h.attributes()
    specs = []
    for _ in range(h.list_of(NC_VARIABLE, "variable list")):
        name, ndims = h.name(), h.count("a variable's rank")
        ids = [h.count("a dimension id") for _ in range(ndims)]
        if any(i >= len(dims) for i in ids):
            raise malformed(path, f"variable {name!r} names an unknown dimension")
        var_attrs, nc_type, vsize = (
            h.attributes(),
            h.integer("a variable type"),
            h.integer("a size"),
        )
        begin = struct.unpack(offset_code, h.r.take(struct.calcsize(offset_code), "an offset"))[0]
        if nc_type not in TYPES:
            raise malformed(path, f"variable {name!r}: unknown type {nc_type}")
        specs.append((name, ids, var_attrs, nc_type, vsize, begin))
    record_vars = [s for s in specs if s[1] and dims[s[1][0]][1] == 0]
    record_size = sum(s[4] for s in record_vars)
    variables = {}
    for name, ids, var_attrs, nc_type, _, begin in specs:
        code, size = TYPES[nc_type]
        is_record = bool(ids) and dims[ids[0]][1] == 0
        shape = tuple(records if is_record and k == 0 else dims[i][1] for k, i in enumerate(ids))
        per_record = math.prod(shape[1:]) if is_record else math.prod(shape)
        if is_record and len(record_vars) == 1:
            record_size = per_record * size
        values: list[float] = []
        for r in range(records if is_record else 1):
            reader = Reader(path, data, begin + r * record_size)
            values.extend(reader.values(code, per_record, True, f"variable {name!r}"))
        variables[name] = NcVariable(
            name, tuple(dims[i][0] for i in ids), shape, tuple(values), var_attrs
        )
    return NetCDF(dict(dims), attributes, variables)
