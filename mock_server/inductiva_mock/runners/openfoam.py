"""`fvm.openfoam.run_simulation`: OpenFOAM-like logs, time directories and force coefficients."""

from __future__ import annotations

import math
import sys
from pathlib import Path

from ._common import commands_of, parse

__all__ = ["main"]

KNOWN_COMMANDS = frozenset(
    {
        "blockMesh",
        "snappyHexMesh",
        "surfaceFeatureExtract",
        "decomposePar",
        "reconstructPar",
        "simpleFoam",
        "pisoFoam",
        "pimpleFoam",
        "icoFoam",
        "potentialFoam",
        "checkMesh",
        "renumberMesh",
        "setFields",
        "interFoam",
    }
)
SOLVERS = frozenset({"simpleFoam", "pisoFoam", "pimpleFoam", "icoFoam", "interFoam"})


def field_file(name: str, cls: str, value: str) -> str:
    """A minimal OpenFOAM field file."""
    return (
        "FoamFile\n{\n    version 2.0;\n    format ascii;\n"
        f"    class {cls};\n    object {name};\n}}\n"
        f"internalField uniform {value};\n"
    )


def main() -> int:
    """Run each command of `commands`, writing log.<command> and the solver's results."""
    args = parse()
    try:
        commands = commands_of(args.params.get("commands", ["blockMesh", "simpleFoam"]))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    n_vcpus = args.params.get("n_cores", 1)
    out: Path = args.output_dir
    case_files = sorted(p.relative_to(args.input_dir).as_posix() for p in args.input_dir.rglob("*"))
    for item in commands:
        command = item.cmd
        words = command.split()
        if not words:
            print("error: empty command", file=sys.stderr)
            return 1
        if words[0] in ("runApplication", "runParallel") and len(words) > 1:
            words = words[1:]
        prog = words[0]
        if prog not in KNOWN_COMMANDS:
            print(f"error: unknown OpenFOAM command {prog!r}", file=sys.stderr)
            return 1
        print(f"Running {command} on {n_vcpus} cores")
        lines = [f"/* OpenFOAM (inductiva mock) */\nExec   : {command}\nnProcs : {n_vcpus}\n"]
        lines.append(f"Case files: {len(case_files)}\n")
        if prog in SOLVERS:
            lines.extend(_solve(out))
        lines.append("End\n")
        (out / f"log.{prog}").write_text("".join(lines))
    return 0


def _solve(out: Path) -> list[str]:
    log: list[str] = []
    coeff_dir = out / "postProcessing" / "forceCoeffs" / "0"
    coeff_dir.mkdir(parents=True, exist_ok=True)
    rows = ["# Force coefficients (inductiva mock)\n", "# Time Cd Cl\n"]
    for step in range(1, 201):
        cd = 0.3 + 0.2 * math.exp(-step / 40)
        cl = 0.05 * math.sin(step / 15)
        rows.append(f"{step}\t{cd:.6f}\t{cl:.6f}\n")
        if step % 50 == 0:
            log.append(
                f"Time = {step}\nsmoothSolver: Solving for Ux, Final residual = {1e-3 / step:.3e}\n"
            )
    (coeff_dir / "coefficient.dat").write_text("".join(rows))
    for t in (100, 200):
        tdir = out / str(t)
        tdir.mkdir(exist_ok=True)
        (tdir / "U").write_text(field_file("U", "volVectorField", f"({20 - t / 100} 0 0)"))
        (tdir / "p").write_text(field_file("p", "volScalarField", f"{t / 1000}"))
    return log


if __name__ == "__main__":
    sys.exit(main())
