"""`md.gromacs.protein_solvation`: plausible GROMACS-like outputs from an input PDB."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

from ._common import parse

__all__ = ["main"]


@dataclass
class Atom:
    """One ATOM/HETATM record of a PDB file."""

    serial: int
    name: str
    res_name: str
    res_seq: int
    x: float
    y: float
    z: float


def read_pdb(path: Path) -> list[Atom]:
    """Atoms of a PDB file (raises ValueError when there are none or a record is broken)."""
    atoms: list[Atom] = []
    for lineno, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        if not line.startswith(("ATOM", "HETATM")):
            continue
        try:
            atoms.append(
                Atom(
                    serial=int(line[6:11]),
                    name=line[12:16].strip(),
                    res_name=line[17:20].strip(),
                    res_seq=int(line[22:26]),
                    x=float(line[30:38]),
                    y=float(line[38:46]),
                    z=float(line[46:54]),
                )
            )
        except ValueError as exc:
            raise ValueError(f"line {lineno}: malformed ATOM record ({exc})") from exc
    if not atoms:
        raise ValueError("no ATOM records")
    return atoms


def pdb_line(a: Atom, dx: float) -> str:
    """An ATOM record for *a* displaced by *dx* Å along each axis."""
    return (
        f"ATOM  {a.serial:5d} {a.name:<4s} {a.res_name:>3s} A{a.res_seq:4d}    "
        f"{a.x + dx:8.3f}{a.y + dx:8.3f}{a.z + dx:8.3f}  1.00  0.00\n"
    )


def main() -> int:
    """Read the PDB named by `protein_pdb`, write .gro, trajectory, energies and a log."""
    args = parse()
    p = args.params
    name = p.get("protein_pdb")
    if not isinstance(name, str) or not name:
        print(
            "error: parameter 'protein_pdb' (the input PDB file name) is required", file=sys.stderr
        )
        return 1
    pdb = args.input_dir / name
    if not pdb.is_file():
        print(f"error: protein PDB file {name!r} not found in the input directory", file=sys.stderr)
        return 1
    try:
        atoms = read_pdb(pdb)
        sim_ns = float(p.get("simulation_time_ns", 0.01))
        temperature = float(p.get("temperature", 300.0))
    except ValueError as exc:
        print(f"error: invalid input {name!r}: {exc}", file=sys.stderr)
        return 1
    out = args.output_dir
    print(f"Solvating {len(atoms)} atoms at {temperature} K for {sim_ns} ns")
    n_water = max(10, len(atoms) * 3)
    with (out / "solvated_protein.gro").open("w") as fh:
        fh.write("Protein in water (inductiva mock)\n")
        fh.write(f"{len(atoms) + n_water:5d}\n")
        for i, a in enumerate(atoms, 1):
            fh.write(
                f"{a.res_seq % 100000:5d}{a.res_name:<5s}{a.name:>5s}{i % 100000:5d}"
                f"{a.x / 10:8.3f}{a.y / 10:8.3f}{a.z / 10:8.3f}\n"
            )
        for j in range(n_water):
            k = len(atoms) + j + 1
            fh.write(
                f"{(j + 1) % 100000:5d}{'SOL':<5s}{'OW':>5s}{k % 100000:5d}"
                f"{(j % 10) * 0.31:8.3f}{(j // 10 % 10) * 0.31:8.3f}{(j // 100) * 0.31:8.3f}\n"
            )
        fh.write("   5.00000   5.00000   5.00000\n")
    n_frames = 5
    dt_ps = sim_ns * 1000 / (n_frames - 1)
    with (out / "trajectory.pdb").open("w") as traj, (out / "energy.csv").open("w") as energy:
        energy.write("time_ps,potential_kj_mol\n")
        for f in range(n_frames):
            traj.write(f"MODEL     {f + 1:4d}\n")
            dx = 0.05 * math.sin(f)
            for a in atoms:
                traj.write(pdb_line(a, dx))
            traj.write("ENDMDL\n")
            potential = -1.5e4 * len(atoms) / 100 - temperature * 0.8 * (1 + 0.01 * math.cos(f))
            energy.write(f"{f * dt_ps:.3f},{potential:.3f}\n")
    with (out / "md.log").open("w") as log:
        log.write("GROMACS (inductiva mock) - protein solvation\n")
        log.write(f"atoms: {len(atoms)}, waters: {n_water}\n")
        log.write(f"temperature: {temperature} K, simulation time: {sim_ns} ns\n")
        log.write(f"frames written: {n_frames}\nFinished mdrun\n")
    print("Finished mdrun")
    return 0


if __name__ == "__main__":
    sys.exit(main())
