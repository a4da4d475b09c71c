"""`md.gromacs`, `protein_solvation.gromacs` and `mdwater_box.gromacs` `.run_simulation`.

Interprets each `gmx <tool> ...` command of the `commands` parameter, writing
the files its options name with plausible contents. The run happens in the
output directory, which starts as a copy of the input directory (as on a real
executer, the whole simulation directory is the task's outputs). `mdrun` logs
carry energy blocks in GROMACS md.log style; `energy`, `rms`, `rmsf` and
`gyrate` write .xvg tables. A protein solvation then post-processes as the real
executer did: the RMSF of each C-alpha atom (in Å) saved to `rmsf_values.npy`.
"""

from __future__ import annotations

import math
import shlex
import sys
from pathlib import Path

from ._common import Command, RunnerArgs, RunnerError, run, run_commands
from ._gromacs_files import (
    Atom,
    GmxError,
    read_gro,
    read_mdp,
    read_pdb,
    write_binary,
    write_gro,
    write_xvg,
)
from ._npy import write_npy

__all__ = ["energy_block", "main", "read_mdp", "read_pdb", "rmsf_profile"]

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
WATERS_PER_NM3 = 33.0
MAX_WATERS = 2000
RMSF_FILE = "rmsf_values.npy"
RMSF_INPUTS = ("solvated_protein.tpr", "full_trajectory.trr")  # what MDAnalysis loaded


def energy_block(step: int, time_ps: float, energies: dict[str, float]) -> str:
    """One md.log energy block: 15-character right-aligned columns."""
    names = "".join(f"{n:>15}" for n in energies)
    values = "".join(f"{v:15.5e}" for v in energies.values())
    return (
        f"{'Step':>15}{'Time':>15}\n{step:>15d}{time_ps:>15.5f}\n\n"
        f"   Energies (kJ/mol)\n{names}\n{values}\n\n"
    )


def rmsf_profile(n_residues: int, temperature: float = 300.0) -> list[float]:
    """A deterministic RMSF per residue in nm: floppy termini, a stiffer core."""
    scale = math.sqrt(max(temperature, 1.0) / 300.0)
    return [
        scale
        * (
            0.06
            + 0.12 * math.exp(-i / 3)
            + 0.12 * math.exp(-(n_residues - 1 - i) / 3)
            + 0.015 * math.sin(1.3 * i)
        )
        for i in range(n_residues)
    ]


class Gmx:
    """The state of one run: the working directory, the last mdrun, the command's options."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.opts: dict[str, str] = {}
        self.prompts: list[str] = []
        self.protein: list[Atom] = []
        self.temperature = 300.0
        self.frames: list[tuple[float, dict[str, float]]] = []
        self._mdp: dict[str, str] = {}

    def parse(self, words: list[str]) -> None:
        """Options `-name value`; a flag without value maps to `""` (a file option's default)."""
        self.opts = {}
        i = 0
        while i < len(words):
            word = words[i]
            if not word.startswith("-"):
                raise GmxError(f"unexpected argument {word!r}")
            value = ""
            if i + 1 < len(words) and not _is_option(words[i + 1]):
                value = words[i + 1]
                i += 1
            self.opts[word[1:]] = value
            i += 1

    def existing(self, flag: str, default: str | None = None) -> Path:
        """The input file of option -flag, which must exist."""
        name = self.opts.get(flag) or default
        if name is None:
            raise GmxError(f"option -{flag} is required")
        path = self.work / name
        if not path.is_file():
            raise GmxError(f"file {name!r} (option -{flag}) not found")
        return path

    def output(self, flag: str, default: str) -> Path:
        """The output file of option -flag (inside the working directory)."""
        name = self.opts.get(flag) or default
        path = (self.work / name).resolve()
        if not path.is_relative_to(self.work.resolve()):
            raise GmxError(f"output {name!r} escapes the simulation directory")
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    # -- system preparation --------------------------------------------------
    def pdb2gmx(self) -> None:
        atoms = read_pdb(self.existing("f", "protein.pdb"))
        self.protein = atoms
        write_gro(self.output("o", "conf.gro"), "Protein (inductiva mock)", atoms, 0, 5.0)
        residues = len({a.res_seq for a in atoms})
        forcefield = self.opts.get("ff") or "amber99sb-ildn"
        self.output("p", "topol.top").write_text(
            f'; topology (inductiva mock)\n#include "{forcefield}.ff/forcefield.itp"\n'
            f'#include "{forcefield}.ff/{self.opts.get("water") or "tip3p"}.itp"\n\n'
            "[ system ]\nProtein in water\n\n[ molecules ]\n; Compound  #mols\n"
            f"Protein_chain_A     1\n; residues: {residues}\n"
        )
        self.output("i", "posre.itp").write_text("; position restraints (inductiva mock)\n")
        print(f"pdb2gmx: {len(atoms)} atoms, {residues} residues")

    def editconf(self) -> None:
        atoms, n_water = read_gro(self.existing("f"))
        box = 2 * float(self.opts.get("d") or "1.0") + _extent(atoms)
        write_gro(self.output("o", "out.gro"), "Protein in box", atoms, n_water, box)

    def solvate(self) -> None:
        if "cp" in self.opts:  # solvate a solute
            atoms, _ = read_gro(self.existing("cp"))
            n_water, box = max(10, len(atoms) * 3), 2.0 + _extent(atoms)
        else:  # a box of pure solvent (-cs ... -box L)
            box = float((self.opts.get("box") or "3.0").split()[0])
            atoms, n_water = [], min(MAX_WATERS, max(1, round(WATERS_PER_NM3 * box**3)))
        write_gro(self.output("o", "out.gro"), "Solvated system", atoms, n_water, box)
        self._add_molecules("SOL", n_water)

    def grompp(self) -> None:
        mdp = read_mdp(self.existing("f", "grompp.mdp"))
        self.existing("c", "conf.gro")
        top = self.existing("p", "topol.top")
        write_binary(self.output("o", "topol.tpr"), "tpr")
        self.output("po", "mdout.mdp").write_text(
            "".join(f"{k.replace('_', '-'):<24}= {v}\n" for k, v in mdp.items())
        )
        if "pp" in self.opts:
            self.output("pp", "processed.top").write_text(top.read_text())
        self._mdp = mdp

    def genion(self) -> None:
        self.existing("s", "topol.tpr")
        tpr_gro = sorted(self.work.glob("*solv*.gro")) or sorted(self.work.glob("*.gro"))
        atoms, n_water = read_gro(tpr_gro[0]) if tpr_gro else ([], 10)
        ions = 2
        write_gro(self.output("o", "out.gro"), "Protein with ions", atoms, n_water - ions, 5.0)
        self._add_molecules(self.opts.get("pname") or "NA", ions // 2)
        self._add_molecules(self.opts.get("nname") or "CL", ions // 2)

    # -- simulation -----------------------------------------------------------
    def mdrun(self) -> None:
        base = self.opts.get("deffnm", "")
        self.existing("s", f"{base or 'topol'}.tpr")
        mdp = self._mdp
        integrator = mdp.get("integrator", "md")
        nsteps = max(0, int(float(mdp.get("nsteps", "0") or 0)))
        dt = float(mdp.get("dt", "0.002") or 0.002) if integrator.startswith(("md", "sd")) else 0.0
        every = int(float(mdp.get("nstlog", mdp.get("nstenergy", "1000")) or 1000)) or nsteps or 1
        self.temperature = float((mdp.get("ref_t", "300").split() or ["300"])[0])
        steps = list(range(0, nsteps + 1, every)) if nsteps else [0]
        if steps[-1] != nsteps:
            steps.append(nsteps)
        steps = steps[:MAX_FRAMES]
        gro = sorted(self.work.glob("*ions*.gro")) or sorted(self.work.glob("*.gro"))
        atoms, n_water = read_gro(gro[0]) if gro else ([], 0)
        n_total = len(atoms) + 3 * n_water
        log_path = self.output("g", f"{base or 'md'}.log")
        self.frames = []
        for i, step in enumerate(steps):
            fraction = i / max(1, len(steps) - 1)
            potential = -12.5 * n_total * (1 + 0.1 * fraction) - 50 * math.sin(i)
            temp = self.temperature * (1 + 0.01 * math.sin(1.7 * i))
            temp = temp if integrator.startswith(("md", "sd")) else 0.0
            kinetic = 1.5 * KB_KJ_MOL * n_total * temp
            energies = {
                "Potential": potential,
                "Kinetic En.": kinetic,
                "Total Energy": potential + kinetic,
                "Temperature": temp,
            }
            self.frames.append((step * dt, energies))
        options = " ".join(f"-{k} {v}".rstrip() for k, v in self.opts.items())
        log_path.write_text(
            "                      :-) GROMACS - gmx mdrun (inductiva mock) (-:\n\n"
            f"Command line:\n  gmx mdrun {options}\n"
            f"\nintegrator = {integrator}\nnsteps = {nsteps}\n\nStarted mdrun\n\n"
            + "".join(
                energy_block(step, t, e) for step, (t, e) in zip(steps, self.frames, strict=True)
            )
            + "Finished mdrun\n"
        )
        write_gro(
            self.output("c", f"{base or 'confout'}.gro"), "Simulated system", atoms, n_water, 5
        )
        write_binary(self.output("e", f"{base or 'ener'}.edr"), "edr", len(steps))
        write_binary(self.output("o", f"{base or 'traj'}.trr"), "trr", len(steps))
        if "x" in self.opts:
            xtc = self.output("x", "traj_comp.xtc")
            write_binary(xtc, "xtc", len(steps), len(atoms) + n_water, dt * every)
        print(f"mdrun: {len(steps)} frames written to {log_path.name}")

    # -- analysis: .xvg tables -----------------------------------------------
    def energy(self) -> None:
        known = self.frames[0][1] if self.frames else {}
        terms = [p for p in self.prompts if p in known] or ["Potential"]
        rows = [[t] + [e.get(name, 0.0) for name in terms] for t, e in self.frames or [(0.0, {})]]
        write_xvg(
            self.output("o", "energy.xvg"),
            "GROMACS Energies",
            ("Time (ps)", "(kJ/mol)"),
            terms,
            rows,
        )

    def rms(self) -> None:
        rows = [
            [t, 0.05 * (1 - math.exp(-t / 20)) + 0.002 * i] for i, t in enumerate(self._times())
        ]
        write_xvg(self.output("o", "rmsd.xvg"), "RMSD", ("Time (ps)", "RMSD (nm)"), ["RMSD"], rows)

    def gyrate(self) -> None:
        size = 0.5 + 0.1 * len(self.protein_atoms()) ** (1 / 3)
        rows = [[t, size * (1 + 0.01 * math.sin(i))] for i, t in enumerate(self._times())]
        write_xvg(
            self.output("o", "gyrate.xvg"),
            "Radius of gyration",
            ("Time (ps)", "Rg (nm)"),
            ["Rg"],
            rows,
        )

    def rmsf(self) -> None:
        residues = sorted({a.res_seq for a in self.protein_atoms()})
        values = rmsf_profile(len(residues), self.temperature)
        rows = [[float(r), v] for r, v in zip(residues, values, strict=True)]
        write_xvg(
            self.output("o", "rmsf.xvg"), "RMS fluctuation", ("Residue", "(nm)"), ["RMSF"], rows
        )

    def other(self) -> None:
        if "o" in self.opts:
            self.output("o", "out").write_text("; output (inductiva mock)\n")

    def _times(self) -> list[float]:
        return [t for t, _ in self.frames] or [0.0]

    def protein_atoms(self) -> list[Atom]:
        """The protein's atoms: pdb2gmx's of this run, else the first .gro's non-water ones."""
        if not self.protein:
            gro = sorted(self.work.glob("*.gro"))
            self.protein = read_gro(gro[0])[0] if gro else []
        return self.protein

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


def run_command(gmx: Gmx, command: Command) -> None:
    """Run one `gmx <tool> ...` command (raises GmxError)."""
    line = command.cmd
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
    gmx.prompts = command.prompts
    handler = getattr(gmx, tool.replace("-", "_"), gmx.other)
    handler()


def save_rmsf(gmx: Gmx) -> None:
    """The protein solvation's post-processing: C-alpha RMSF (Å) to rmsf_values.npy."""
    for name in RMSF_INPUTS:
        if not (gmx.work / name).is_file():
            raise RunnerError(f"post-processing needs {name}, which the commands did not write")
    c_alphas = [a for a in gmx.protein_atoms() if a.name == "CA"]  # none: an empty array
    values = [10 * v for v in rmsf_profile(len(c_alphas), gmx.temperature)]
    write_npy(gmx.work / RMSF_FILE, values)
    print(f"post-processing: RMSF of {len(c_alphas)} C-alpha atoms saved to {RMSF_FILE}")


def simulate(args: RunnerArgs) -> None:
    """Copy the inputs to the outputs, run every command there, then post-process."""
    args.copy_inputs()
    gmx = Gmx(args.output_dir)
    run_commands(args, lambda command: run_command(gmx, command), "gmx")
    if args.scenario == "protein_solvation":
        save_rmsf(gmx)


def main() -> int:
    """Run the simulation of the task (see the module docstring)."""
    return run(simulate)


if __name__ == "__main__":
    sys.exit(main())
