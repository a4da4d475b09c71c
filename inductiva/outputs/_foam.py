"""Reading OpenFOAM's ASCII outputs: field files and function-object tables.

A field file's ``internalField`` is ``uniform <value>`` or ``nonuniform
List<scalar|vector> N ( ... )`` (also ``N{value}``); a value is a number or a
parenthesised vector. Function objects (forceCoeffs, fieldMinMax, ...) write
whitespace-separated tables whose column names are the last ``#`` comment
line before the data.
"""

from __future__ import annotations

import pathlib
import re

import attrs

from ._binary import malformed, read_text

__all__ = ["FoamField", "read_field", "read_table"]

Value = float | tuple[float, ...]
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_VALUE = rf"\(\s*(?:{_NUMBER}\s*)+\)|{_NUMBER}"
_INTERNAL = re.compile(r"\binternalField\s+(uniform|nonuniform)\s+", re.MULTILINE)


@attrs.frozen
class FoamField:
    """A field's cell values (one value when it is ``uniform``)."""

    uniform: bool
    values: tuple[Value, ...]


def _value(text: str) -> Value:
    if text.startswith("("):
        return tuple(float(x) for x in text.strip("()").split())
    return float(text)


def read_field(path: pathlib.Path) -> FoamField:
    """The internal field of the OpenFOAM field file *path*."""
    text = read_text(path)
    if re.search(r"\bformat\s+binary\s*;", text):
        raise malformed(path, "a binary field; only ASCII fields are read (writeFormat ascii)")
    found = _INTERNAL.search(text)
    if found is None:
        raise malformed(path, "no internalField entry: not an OpenFOAM field file")
    rest = text[found.end() :]
    if found[1] == "uniform":
        value = re.match(_VALUE, rest)
        if value is None:
            raise malformed(path, f"unreadable uniform value {rest[:40]!r}")
        return FoamField(True, (_value(value[0]),))
    head = re.match(r"List<(\w+)>\s*(\d+)\s*", rest)
    if head is None:
        raise malformed(path, f"unreadable nonuniform list {rest[:40]!r}")
    count, body = int(head[2]), rest[head.end() :]
    if body.startswith("{"):  # N{value}: N copies of one value
        value = re.match(r"\{\s*(" + _VALUE + r")\s*\}", body)
        if value is None:
            raise malformed(path, f"unreadable list value {body[:40]!r}")
        return FoamField(False, (_value(value[1]),) * count)
    end = _closing(body)
    if not body.startswith("(") or end < 0:
        raise malformed(path, "the nonuniform list is not closed by ')'")
    values = tuple(_value(v) for v in re.findall(_VALUE, body[1:end]))
    if len(values) != count:
        raise malformed(path, f"{len(values)} values where the list announces {count}")
    return FoamField(False, values)


def _closing(body: str) -> int:
    """Index of the parenthesis closing the one at body[0] (-1 if none)."""
    depth = 0
    for i, char in enumerate(body):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return i
    return -1


def read_table(path: pathlib.Path) -> tuple[list[str], list[list[str]]]:
    """Column names and rows (as strings) of a function object's ``.dat`` table."""
    columns: list[str] = []
    rows: list[list[str]] = []
    for line in read_text(path).splitlines():
        if line.startswith("#"):
            if not rows:
                columns = line[1:].split()
        elif line.strip():
            rows.append(re.findall(r"\([^)]*\)|\S+", line))
    if not columns:
        raise malformed(path, "no '# <column names>' header line")
    return columns, rows
