"""The GROMACS files the mock reads and writes: PDB, .mdp, .gro, .xvg and binary stand-ins.

Text files follow GROMACS's layouts (fixed-width .gro records, `#`/`@` headed
.xvg tables). The binary formats (.tpr, .trr, .xtc, .edr) are too complex to
produce for real: their stand-ins start as the real files do (the XDR magic
number, or the `VERSION` string of a .tpr; .xtc frames carry a real frame
header: magic 1995, atoms, step, time and box) and continue with opaque bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ._common import RunnerError

__all__ = [
    "Atom",
    "GmxError",
    "read_gro",
    "read_mdp",
    "read_pdb",
    "write_binary",
    "write_gro",
    "write_xvg",
]

XTC_MAGIC, TRR_MAGIC, EDR_MAGIC = 1995, 1993, -55555
_OPAQUE = bytes(range(256))


class GmxError(RunnerError):
    """A command failed (message for stderr)."""


@dataclass
class Atom:
    """One atom of a PDB or .gro file (coordinates in nm)."""

    name: str
    res_name: str
    res_seq: int
    x: float
    y: float
    z: float


def read_pdb(path: Path) -> list[Atom]:
    """Atoms of a PDB file (raises GmxError when there are none or a record is broken)."""
    atoms: list[Atom] = []
    for lineno, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        if not line.startswith(("ATOM", "HETATM")):
            continue
        try:
            atoms.append(
                Atom(
                    name=line[12:16].strip(),
                    res_name=line[17:20].strip(),
                    res_seq=int(line[22:26]),
                    x=float(line[30:38]) / 10,
                    y=float(line[38:46]) / 10,
                    z=float(line[46:54]) / 10,
                )
            )
        except ValueError as exc:
            raise GmxError(f"{path.name} line {lineno}: malformed ATOM record ({exc})") from exc
    if not atoms:
        raise GmxError(f"{path.name}: no ATOM records")
    return atoms


def read_mdp(path: Path) -> dict[str, str]:
    """The `key = value` settings of an .mdp file (keys with `-` spelled `_`)."""
    out: dict[str, str] = {}
    for line in path.read_text(errors="replace").splitlines():
        line = line.split(";", 1)[0]
        if "=" in line:
            key, value = line.split("=", 1)
            out[key.strip().replace("-", "_")] = value.strip()
    return out


def write_gro(path: Path, title: str, atoms: list[Atom], n_water: int, box: float) -> None:
    """A .gro file of *atoms* plus *n_water* water oxygens on a grid."""
    with path.open("w") as fh:
        fh.write(f"{title}\n{len(atoms) + n_water:5d}\n")
        for i, a in enumerate(atoms, 1):
            fh.write(
                f"{a.res_seq % 100000:5d}{a.res_name:<5s}{a.name:>5s}{i % 100000:5d}"
                f"{a.x:8.3f}{a.y:8.3f}{a.z:8.3f}\n"
            )
        for j in range(n_water):
            k = len(atoms) + j + 1
            fh.write(
                f"{(j + 1) % 100000:5d}{'SOL':<5s}{'OW':>5s}{k % 100000:5d}"
                f"{(j % 10) * 0.31:8.3f}{(j // 10 % 10) * 0.31:8.3f}{(j // 100 % 10) * 0.31:8.3f}\n"
            )
        fh.write(f"{box:10.5f}{box:10.5f}{box:10.5f}\n")


def read_gro(path: Path) -> tuple[list[Atom], int]:
    """The non-water atoms of a .gro file and its count of water molecules."""
    lines = path.read_text(errors="replace").splitlines()
    atoms: list[Atom] = []
    n_water = 0
    try:
        for line in lines[2 : 2 + int(lines[1])]:
            if line[5:10].strip() == "SOL":
                n_water += 1
                continue
            atoms.append(
                Atom(
                    line[10:15].strip(),
                    line[5:10].strip(),
                    int(line[0:5]),
                    float(line[20:28]),
                    float(line[28:36]),
                    float(line[36:44]),
                )
            )
    except (IndexError, ValueError) as exc:
        raise GmxError(f"{path.name}: not a .gro file ({exc})") from exc
    return atoms, n_water


def write_xvg(
    path: Path, title: str, axes: tuple[str, str], legends: Sequence[str], rows: list[list[float]]
) -> None:
    """An .xvg table as the gmx analysis tools write it (Grace header, then columns)."""
    head = [
        "# This file was created by gmx (inductiva mock)",
        f'@    title "{title}"',
        f'@    xaxis  label "{axes[0]}"',
        f'@    yaxis  label "{axes[1]}"',
        "@TYPE xy",
        *(f'@ s{i} legend "{name}"' for i, name in enumerate(legends)),
    ]
    body = ["".join(f"{v:>14.6f}" for v in row) for row in rows]
    path.write_text("\n".join(head + body) + "\n")


def _xdr_string(text: str) -> bytes:
    raw = text.encode("ascii")
    return struct.pack(">ii", len(raw) + 1, len(raw)) + raw + b"\0" * (-len(raw) % 4)


def write_binary(path: Path, kind: str, frames: int = 1, natoms: int = 0, dt: float = 0.0) -> None:
    """A stand-in for a binary GROMACS file (*kind*: tpr, trr, xtc or edr), really headed."""
    frames = max(1, frames)
    if kind == "xtc":
        parts = []
        for i in range(frames):
            box = (5.0, 0.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0, 5.0)
            parts.append(
                struct.pack(">iiif9fi", XTC_MAGIC, natoms, i, i * dt, *box, natoms) + _OPAQUE
            )
        data = b"".join(parts)
    elif kind == "trr":
        data = (struct.pack(">i", TRR_MAGIC) + _xdr_string("GMX_trn_file") + _OPAQUE) * frames
    elif kind == "edr":
        data = (struct.pack(">i", EDR_MAGIC) + _OPAQUE) * frames
    else:
        data = _xdr_string("VERSION 2023.2 (inductiva mock)") + _OPAQUE
    path.write_bytes(data)
