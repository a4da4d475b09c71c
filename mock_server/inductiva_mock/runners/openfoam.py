"""`fvm.openfoam`, `wind_tunnel.openfoam`, `wind_terrain.openfoam`, `heat_sink.openfoam`.

The case is copied to the outputs (the real executer ran there), then each
command of `commands` (bare, or prefixed by `runApplication`, `runParallel` or
`mpirun ... -np N`) writes `log.<command>`. A solver writes the time
directories its `system/controlDict` asks for (`endTime`, `writeInterval`,
`$macros` from included files; 100/ and 200/ without one), each holding the
fields of `0/` (per region for `chtMultiRegionFoam`) as ASCII cell values, and
the outputs of its function objects: `postProcessing/<name>/0/forceCoeffs.dat`
(OpenFOAM 7's columns) and, for `#includeFunc` min/max objects of a region,
`postProcessing/<region>/<name>/0/fieldMinMax.dat`. A case without function
objects of the generic method gets `postProcessing/forceCoeffs/0/coefficient.dat`.
The wind tunnel is then post-processed (see `_wind_tunnel`).
"""

from __future__ import annotations

import math
import re
import shlex
import sys
from pathlib import Path

from . import _wind_tunnel
from ._common import Command, RunnerArgs, RunnerError, run, run_commands
from ._foam_case import case_fields, cell_values, read_dict, regions, write_field

__all__ = ["main"]

KNOWN_COMMANDS = frozenset(
    {
        "blockMesh",
        "snappyHexMesh",
        "surfaceFeatures",
        "surfaceFeatureExtract",
        "decomposePar",
        "reconstructPar",
        "reconstructParMesh",
        "simpleFoam",
        "pisoFoam",
        "pimpleFoam",
        "icoFoam",
        "interFoam",
        "chtMultiRegionFoam",
        "potentialFoam",
        "checkMesh",
        "renumberMesh",
        "setFields",
        "topoSet",
        "ideasUnvToFoam",
        "transformPoints",
        "splitMeshRegions",
        "foamDictionary",
    }
)
SOLVERS = frozenset(
    {"simpleFoam", "pisoFoam", "pimpleFoam", "icoFoam", "interFoam", "chtMultiRegionFoam"}
)
MAX_TIMES = 50
MAX_ROWS = 2000
DEFAULT_TIMES = (100.0, 200.0)
_FORCE_COEFFS = re.compile(r"(\w+)\s*\{([^{}]*\btype\s+forceCoeffs\s*;[^{}]*)\}")
_INCLUDE_FUNC = re.compile(r"^\s*#includeFunc\s+(\w+)", re.MULTILINE)


def program(line: str) -> str:
    """The OpenFOAM program a command line runs, launcher words skipped."""
    words = shlex.split(line)
    if words[:1] in (["runApplication"], ["runParallel"]):
        words = words[1:]
    if words[:1] == ["mpirun"]:
        i = 1
        while i < len(words) and words[i].startswith("-"):
            i += 2 if words[i] in ("-np", "-n", "--np") else 1
        words = words[i:]
    if not words:
        raise RunnerError("empty command")
    if words[0] not in KNOWN_COMMANDS:
        raise RunnerError(f"unknown OpenFOAM command {words[0]!r}")
    return words[0]


def _fmt(t: float) -> str:
    return f"{t:g}"


class Case:
    """The case being run (in the output directory) and what its controlDict asks for."""

    def __init__(self, args: RunnerArgs) -> None:
        self.dir = args.output_dir
        self.method = args.method
        self.n_cores = args.params.get("n_cores", 1)
        control = self.dir / "system" / "controlDict"
        self.control_text = control.read_text(errors="replace") if control.is_file() else ""
        self.control = read_dict(control, self.dir)

    def _number(self, key: str, default: float) -> float:
        try:
            return float(self.control.get(key, default))
        except ValueError:
            return default

    def times(self) -> list[float]:
        """The write times of the run (at most MAX_TIMES, always the last one)."""
        if "endTime" not in self.control:
            return list(DEFAULT_TIMES)
        start, end = self._number("startTime", 0.0), self._number("endTime", 0.0)
        step = self._number("writeInterval", end - start or 1.0)
        if self.control.get("writeControl", "timeStep") == "timeStep":
            step *= self._number("deltaT", 1.0)
        count = max(1, round((end - start) / step)) if step > 0 else 1
        every = math.ceil(count / MAX_TIMES)
        picked = [start + k * step for k in range(every, count + 1, every)]
        if not picked or not math.isclose(picked[-1], end):
            picked.append(end)
        return picked

    def function_text(self) -> str:
        """controlDict and the files it #includes from system/ (where function objects live)."""
        texts = [self.control_text]
        for name in re.findall(r'#include\s+"([^"$]+)"', self.control_text):
            path = self.dir / "system" / name
            if path.is_file():
                texts.append(path.read_text(errors="replace"))
        return re.sub(r"//[^\n]*|/\*.*?\*/", "", "\n".join(texts), flags=re.DOTALL)

    def solve(self) -> list[str]:
        """Write time directories and function object outputs; return log lines."""
        times = self.times()
        zones = regions(self.dir) or [""]
        for t in times:
            fraction = t / times[-1] if times[-1] else 1.0
            for zone in zones:
                for field in case_fields(self.dir, zone):
                    where = "/".join(filter(None, (_fmt(t), zone)))
                    write_field(self.dir / where / field.name, field, fraction, where)
        functions = self.function_text()
        found = _FORCE_COEFFS.findall(functions)
        for name, body in found:
            self._force_coeffs(name, body, times[-1])
        minmax = self._min_max(functions, times)
        if not found and not minmax and self.method.startswith("fvm."):
            self._coefficient_dat()
        return [
            f"Time = {_fmt(t)}\nsmoothSolver: Solving for Ux, Final residual = "
            f"{1e-3 / (1 + t):.3e}\n"
            for t in times
        ]

    def _force_coeffs(self, name: str, body: str, end: float) -> None:
        entries = dict(re.findall(r"(\w+)\s+([^;]+);", body))
        header = ["Force coefficients"] + [
            f"{key:<12}: {entries.get(key, default)}"
            for key, default in (
                ("liftDir", "(0 0 1)"),
                ("dragDir", "(1 0 0)"),
                ("pitchAxis", "(0 1 0)"),
                ("magUInf", "1"),
                ("lRef", "1"),
                ("Aref", "1"),
                ("CofR", "(0 0 0)"),
            )
        ]
        dt = self._number("deltaT", 1.0) or 1.0
        steps = min(MAX_ROWS, max(1, round(end / dt)))
        rows = []
        for k in range(1, steps + 1):
            t = k * dt
            cm, cd, cl = (
                0.01 * math.cos(t / 20),
                0.3 + 0.2 * math.exp(-t / 40),
                0.05 * math.sin(t / 15),
            )
            values = (cm, cd, cl, cl / 2 + cm, cl / 2 - cm)
            rows.append(_fmt(t) + "".join(f"\t{v:.6e}" for v in values))
        columns = "# Time" + "".join(f"\t{c}" for c in ("Cm", "Cd", "Cl", "Cl(f)", "Cl(r)"))
        path = self.dir / "postProcessing" / name / "0" / "forceCoeffs.dat"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "".join(f"# {h}\n" for h in header) + columns + "\n" + "\n".join(rows) + "\n"
        )

    def _min_max(self, functions: str, times: list[float]) -> bool:
        """fieldMinMax.dat of each `#includeFunc` min/max object with a region; any written?"""
        written = False
        for name in _INCLUDE_FUNC.findall(functions):
            spec = self.dir / "system" / name
            text = spec.read_text(errors="replace") if spec.is_file() else ""
            region = re.search(r"^\s*region\s+(\w+)\s*;", text, re.MULTILINE)
            if "MinMax" not in text or region is None:
                continue
            listed = re.search(r"fields\s*\(([^)]*)\)", text)
            wanted = (listed[1] if listed else "T").split()
            fields = [f for f in case_fields(self.dir, region[1]) if f.name in wanted]
            rows = []
            for t in times:
                for f in fields:
                    values = [v[0] for v in cell_values(f, t / times[-1] if times[-1] else 1.0)]
                    low, high = min(values), max(values)
                    rows.append(
                        f"{_fmt(t)}\t{f.name}\t{low:.6g}\t(0 0 0)\t{high:.6g}\t(0.01 0.02 0)"
                    )
            path = self.dir / "postProcessing" / region[1] / name / "0" / "fieldMinMax.dat"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(
                "# Field minima and maxima\n# Time\tfield\tmin\tlocation(min)\tmax\tlocation(max)\n"
                + "\n".join(rows)
                + "\n"
            )
            written = True
        return written

    def _coefficient_dat(self) -> None:
        coeff_dir = self.dir / "postProcessing" / "forceCoeffs" / "0"
        coeff_dir.mkdir(parents=True, exist_ok=True)
        rows = ["# Force coefficients (inductiva mock)\n", "# Time Cd Cl\n"]
        for step in range(1, 201):
            cd, cl = 0.3 + 0.2 * math.exp(-step / 40), 0.05 * math.sin(step / 15)
            rows.append(f"{step}\t{cd:.6f}\t{cl:.6f}\n")
        (coeff_dir / "coefficient.dat").write_text("".join(rows))

    def run(self, command: Command) -> None:
        """Run one command: its log, and a solver's results."""
        prog = program(command.cmd)
        print(f"Running {command.cmd} on {self.n_cores} cores")
        lines = [
            f"/* OpenFOAM (inductiva mock) */\nExec   : {command.cmd}\nnProcs : {self.n_cores}\n"
        ]
        if prog in SOLVERS:
            lines.extend(self.solve())
        lines.append("End\n")
        (self.dir / f"log.{prog}").write_text("".join(lines))


def _speed(case: Path) -> float:
    """The wind tunnel's free-stream speed (magUInf of its forceCoeffs), 20 m/s by default."""
    path = case / "system" / "forceCoeffs"
    text = path.read_text(errors="replace") if path.is_file() else ""
    found = re.search(r"magUInf\s+([-\d.eE+]+)\s*;", text)
    return float(found[1]) if found else 20.0


def simulate(args: RunnerArgs) -> None:
    """Copy the case to the outputs, run the commands there, post-process a wind tunnel."""
    args.copy_inputs()
    case = Case(args)
    run_commands(args, case.run, "OpenFOAM", default=["blockMesh", "simpleFoam"])
    if args.scenario == "wind_tunnel":
        _wind_tunnel.postprocess(args.output_dir, _speed(args.output_dir))


def main() -> int:
    """Run the simulation of the task (see the module docstring)."""
    return run(simulate)


if __name__ == "__main__":
    sys.exit(main())
