"""`md.gromacs.run_simulation` and `protein_solvation.gromacs.run_simulation`.

Interprets each `gmx <tool> ...` command of the `commands` parameter, writing
the files its options name with plausible contents. The run happens in the
output directory, which starts as a copy of the input directory (as on a real
executer, the whole simulation directory is the task's outputs). `mdrun` logs
carry energy blocks in GROMACS md.log style.
"""

from __future__ import annotations

import math
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from ._common import commands_of, parse

__all__ = ["energy_block", "main", "read_mdp", "read_pdb"]

TOOLS = frozenset(
    {
        "pdb2gmx",
        "editconf",
        "solvate",
        "grompp",
        "genion",
        "mdrun",
        "trjconv",
        "energy",
        "make_ndx",
        "genrestr",
        "insert-molecules",
        "rms",
        "rmsf",
        "gyrate",
    }
)
KB_KJ_MOL = 0.0083144626  # Boltzmann constant, kJ/(mol K)
MAX_FRAMES = 500


class GmxError(Exception):
    """A command failed (message for stderr)."""


@dataclass
class Atom:
    """One ATOM/HETATM record of a PDB file (coordinates in nm)."""

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


def energy_block(step: int, time_ps: float, energies: dict[str, float]) -> str:
    """One md.log energy block: 15-character right-aligned columns."""
    names = "".join(f"{n:>15}" for n in energies)
    values = "".join(f"{v:15.5e}" for v in energies.values())
    return (
        f"{'Step':>15}{'Time':>15}\n{step:>15d}{time_ps:>15.5f}\n\n"
        f"   Energies (kJ/mol)\n{names}\n{values}\n\n"
    )


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


def placeholder(path: Path, kind: str, frames: int = 1) -> None:
    """A binary GROMACS file stand-in (.tpr, .trr, .xtc, .edr)."""
    header = f"GROMACS {kind} (inductiva mock)\n".encode()
    path.write_bytes(header + bytes(range(256)) * max(1, frames))


class Gmx:
    """The state of one run: the working directory and the options of a command."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.opts: dict[str, str] = {}
        self._mdp: dict[str, str] = {}

    def parse(self, words: list[str]) -> None:
        """Options `-name value` (a flag without value maps to `yes`)."""
        self.opts = {}
        i = 0
        while i < len(words):
            word = words[i]
            if not word.startswith("-"):
                raise GmxError(f"unexpected argument {word!r}")
            value = "yes"
            if i + 1 < len(words) and not _is_option(words[i + 1]):
                value = words[i + 1]
                i += 1
            self.opts[word[1:]] = value
            i += 1

    def existing(self, flag: str, default: str | None = None) -> Path:
        """The input file of option -flag, which must exist."""
        name = self.opts.get(flag, default)
        if name is None:
            raise GmxError(f"option -{flag} is required")
        path = self.work / name
        if not path.is_file():
            raise GmxError(f"file {name!r} (option -{flag}) not found")
        return path

    def output(self, flag: str, default: str) -> Path:
        """The output file of option -flag (inside the working directory)."""
        name = self.opts.get(flag, default)
        path = (self.work / name).resolve()
        if not path.is_relative_to(self.work.resolve()):
            raise GmxError(f"output {name!r} escapes the simulation directory")
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    # -- tools -------------------------------------------------------------
    def pdb2gmx(self) -> None:
        atoms = read_pdb(self.existing("f", "protein.pdb"))
        write_gro(self.output("o", "conf.gro"), "Protein (inductiva mock)", atoms, 0, 5.0)
        residues = len({a.res_seq for a in atoms})
        forcefield = self.opts.get("ff", "amber99sb-ildn")
        self.output("p", "topol.top").write_text(
            f'; topology (inductiva mock)\n#include "{forcefield}.ff/forcefield.itp"\n'
            f'#include "{forcefield}.ff/{self.opts.get("water", "tip3p")}.itp"\n\n'
            "[ system ]\nProtein in water\n\n[ molecules ]\n; Compound  #mols\n"
            f"Protein_chain_A     1\n; residues: {residues}\n"
        )
        self.output("i", "posre.itp").write_text("; position restraints (inductiva mock)\n")
        print(f"pdb2gmx: {len(atoms)} atoms, {residues} residues")

    def editconf(self) -> None:
        atoms, n_water = read_gro(self.existing("f"))
        box = 2 * float(self.opts.get("d", "1.0")) + _extent(atoms)
        write_gro(self.output("o", "out.gro"), "Protein in box", atoms, n_water, box)

    def solvate(self) -> None:
        atoms, _ = read_gro(self.existing("cp"))
        n_water = max(10, len(atoms) * 3)
        box = 2.0 + _extent(atoms)
        write_gro(self.output("o", "out.gro"), "Protein in water", atoms, n_water, box)
        self._add_molecules("SOL", n_water)

    def grompp(self) -> None:
        mdp = read_mdp(self.existing("f", "grompp.mdp"))
        self.existing("c", "conf.gro")
        self.existing("p", "topol.top")
        placeholder(self.output("o", "topol.tpr"), "tpr")
        self.output("po", "mdout.mdp").write_text(
            "".join(f"{k.replace('_', '-'):<24}= {v}\n" for k, v in mdp.items())
        )
        self._mdp = mdp

    def genion(self) -> None:
        self.existing("s", "topol.tpr")
        tpr_gro = sorted(self.work.glob("*solv*.gro")) or sorted(self.work.glob("*.gro"))
        atoms, n_water = read_gro(tpr_gro[0]) if tpr_gro else ([], 10)
        ions = 2
        write_gro(self.output("o", "out.gro"), "Protein with ions", atoms, n_water - ions, 5.0)
        self._add_molecules(self.opts.get("pname", "NA"), ions // 2)
        self._add_molecules(self.opts.get("nname", "CL"), ions // 2)

    def mdrun(self) -> None:
        base = self.opts.get("deffnm", "")
        def_name = base or "topol"
        self.existing("s", f"{def_name}.tpr")
        mdp = self._mdp
        integrator = mdp.get("integrator", "md")
        nsteps = max(0, int(float(mdp.get("nsteps", "0") or 0)))
        dt = float(mdp.get("dt", "0.002") or 0.002) if integrator.startswith(("md", "sd")) else 0.0
        every = int(float(mdp.get("nstlog", mdp.get("nstenergy", "1000")) or 1000)) or nsteps or 1
        temperature = float((mdp.get("ref_t", "300").split() or ["300"])[0])
        steps = list(range(0, nsteps + 1, every)) if nsteps else [0]
        if steps[-1] != nsteps:
            steps.append(nsteps)
        steps = steps[:MAX_FRAMES]
        gro = sorted(self.work.glob("*ions*.gro")) or sorted(self.work.glob("*.gro"))
        atoms, n_water = read_gro(gro[0]) if gro else ([], 0)
        n_total = len(atoms) + 3 * n_water
        out_name = base or "confout"
        log_path = self.output("g", f"{base or 'md'}.log")
        with log_path.open("w") as log:
            options = " ".join(f"-{k} {v}" for k, v in self.opts.items())
            log.write(
                "                      :-) GROMACS - gmx mdrun (inductiva mock) (-:\n\n"
                f"Command line:\n  gmx mdrun {options}\n"
                f"\nintegrator = {integrator}\nnsteps = {nsteps}\n\nStarted mdrun\n\n"
            )
            for i, step in enumerate(steps):
                fraction = i / max(1, len(steps) - 1)
                potential = -12.5 * n_total * (1 + 0.1 * fraction) - 50 * math.sin(i)
                if integrator.startswith(("md", "sd")):
                    temp = temperature * (1 + 0.01 * math.sin(1.7 * i))
                else:
                    temp = 0.0
                kinetic = 1.5 * KB_KJ_MOL * n_total * temp
                log.write(
                    energy_block(
                        step,
                        step * dt,
                        {
                            "Potential": potential,
                            "Kinetic En.": kinetic,
                            "Total Energy": potential + kinetic,
                            "Temperature": temp,
                        },
                    )
                )
            log.write("Finished mdrun\n")
        write_gro(self.output("c", f"{out_name}.gro"), "Simulated system", atoms, n_water, 5.0)
        placeholder(self.output("e", f"{base or 'ener'}.edr"), "edr", len(steps))
        placeholder(self.output("o", f"{base or 'traj'}.trr"), "trr", len(steps))
        if "x" in self.opts:
            placeholder(self.output("x", "traj_comp.xtc"), "xtc", len(steps))
        print(f"mdrun: {len(steps)} frames written to {log_path.name}")

    def other(self) -> None:
        if "o" in self.opts:
            self.output("o", "out").write_text("; output (inductiva mock)\n")

    def _add_molecules(self, name: str, count: int) -> None:
        top = self.opts.get("p")
        if top and (self.work / top).is_file():
            with (self.work / top).open("a") as fh:
                fh.write(f"{name:<18}{count:6d}\n")


def _is_option(word: str) -> bool:
    if not word.startswith("-"):
        return False
    try:
        float(word)
    except ValueError:
        return True
    return False


def _extent(atoms: list[Atom]) -> float:
    if not atoms:
        return 1.0
    xs = [a.x for a in atoms] + [a.y for a in atoms] + [a.z for a in atoms]
    return max(xs) - min(xs)


def run_command(gmx: Gmx, line: str) -> None:
    """Run one `gmx <tool> ...` command line (raises GmxError)."""
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise GmxError(f"cannot parse command {line!r}: {exc}") from exc
    if len(words) < 2 or words[0] not in ("gmx", "gmx_mpi", "gmx_d"):
        raise GmxError(f"not a GROMACS command: {line!r}")
    tool = words[1]
    if tool not in TOOLS:
        raise GmxError(f"unknown GROMACS tool {tool!r} in {line!r}")
    gmx.parse(words[2:])
    handler = getattr(gmx, tool.replace("-", "_"), gmx.other)
    handler()


def main() -> int:
    """Copy the input directory to the outputs and run every command there."""
    args = parse()
    if "commands" not in args.params:
        print("error: parameter 'commands' (the gmx command lines) is required", file=sys.stderr)
        return 1
    try:
        commands = commands_of(args.params["commands"])
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    work = args.output_dir
    shutil.copytree(args.input_dir, work, dirs_exist_ok=True)
    gmx = Gmx(work)
    for command in commands:
        print(f"$ {command.cmd}", flush=True)
        try:
            run_command(gmx, command.cmd)
        except (GmxError, OSError, ValueError) as exc:
            print(f"error: {command.cmd}: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
