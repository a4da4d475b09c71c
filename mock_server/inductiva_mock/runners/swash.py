"""`sw.swash.run_simulation` and `coastal_area.swash.run_simulation`.

Reads the SWASH command file named by `input_filename` (the input directory
is copied to the outputs, where SWASH ran): its computational grid (`CGRID`),
its run (`COMPUTE tbeg delt SEC tend`) and each `BLOCK 'COMPGRID' ... 'file.mat'
... QUANTITIES [OUTPUT tbeg delt SEC]` request, and writes each block as a
MATLAB level-5 file: `Xp`/`Yp` grids, and for time-dependent blocks one
matrix per output time named like SWASH's (`Watlev_000012_500` for 12.5 s).
Values are a made-up wave (deterministic). Grids are capped at 51 points a
side and blocks at 11 output times (spread over the run). The run's log is
`PRINT`.
"""

from __future__ import annotations

import math
import shlex
import sys
from pathlib import Path

from ._common import RunnerArgs, RunnerError, run
from ._matlab import write_mat

__all__ = ["main"]

MAX_POINTS = 51
MAX_TIMES = 11
NAMES = {
    "XP": "Xp",
    "YP": "Yp",
    "BOTL": "Botlev",
    "BOTLEV": "Botlev",
    "WATL": "Watlev",
    "WATLEV": "Watlev",
    "VMAG": "Vmag",
    "VKSI": "Vksi",
    "VETA": "Veta",
    "HSIG": "Hsig",
}
Matrix = list[list[float]]


def hms(text: str) -> float:
    """Seconds of a SWASH time `HHMMSS.sss`."""
    whole, _, fraction = text.partition(".")
    whole = whole.rjust(6, "0")
    return (
        int(whole[:-4]) * 3600
        + int(whole[-4:-2]) * 60
        + int(whole[-2:])
        + float(f"0.{fraction or 0}")
    )


def stamp(seconds: float) -> str:
    """SWASH's `HHMMSS_mmm` suffix of a time-dependent variable."""
    ms = round(seconds * 1000)
    h, rest = divmod(ms // 1000, 3600)
    return f"{h:02d}{rest // 60:02d}{rest % 60:02d}_{ms % 1000:03d}"


class Run:
    """A SWASH command file's grid, run and output requests."""

    def __init__(self, path: Path) -> None:
        self.grid = (0.0, 0.0, 10.0, 10.0, 10, 10)  # x0, y0, xlen, ylen, mx, my
        self.compute = (0.0, 1.0, 10.0)  # tbeg, delt, tend (s)
        self.blocks: list[tuple[str, list[str], tuple[float, float] | None]] = []
        for raw in path.read_text(errors="replace").splitlines():
            line = raw.split("$", 1)[0].strip()
            try:
                words = shlex.split(line)
            except ValueError as exc:
                raise RunnerError(f"{path.name}: cannot parse {line!r}") from exc
            if words:
                self._command(words[0].upper(), words[1:], path.name)

    def _command(self, keyword: str, words: list[str], source: str) -> None:
        try:
            if keyword == "CGRID":
                nums = [w for w in words if not w.isalpha()]
                x0, y0, _, xlen, ylen, mx, my = (float(w) for w in nums[:7])
                self.grid = (x0, y0, xlen, ylen, int(mx), int(my))
            elif keyword == "COMPUTE":
                self.compute = (hms(words[0]), float(words[1]), hms(words[3]))
            elif keyword == "BLOCK":
                name = next(w for w in words[1:] if w.lower().endswith(".mat"))
                rest = [w.upper() for w in words[words.index(name) + 1 :]]
                at = rest.index("OUTPUT") if "OUTPUT" in rest else len(rest)
                quantities = [w for w in rest[:at] if w in NAMES or (w.isalpha() and w != "LAYOUT")]
                output = (hms(rest[at + 1]), float(rest[at + 2])) if at < len(rest) else None
                self.blocks.append((name, quantities, output))
        except (ValueError, IndexError, StopIteration) as exc:
            raise RunnerError(f"{source}: invalid {keyword} command ({exc})") from exc

    def axes(self) -> tuple[list[float], list[float]]:
        """The x and y coordinates of the (capped) grid points."""
        x0, y0, xlen, ylen, mx, my = self.grid
        nx, ny = min(mx + 1, MAX_POINTS), min(my + 1, MAX_POINTS)
        return (
            [x0 + xlen * i / max(1, nx - 1) for i in range(nx)],
            [y0 + ylen * j / max(1, ny - 1) for j in range(ny)],
        )

    def times(self, output: tuple[float, float]) -> list[float]:
        """The output times of a block (at most MAX_TIMES)."""
        start, every = output
        end = self.compute[2]
        count = int((end - start) / every + 1e-9) if every > 0 else 0
        step = math.ceil((count + 1) / MAX_TIMES)
        return [start + k * every for k in range(0, count + 1, step)]


def quantity(name: str, xs: list[float], ys: list[float], t: float) -> Matrix:
    """Rows (one per y) of a quantity at time *t*: a wave travelling along x."""
    span = (xs[-1] - xs[0]) or 1.0
    rows = []
    for y in ys:
        row = []
        for x in xs:
            phase = 2 * math.pi * ((x - xs[0]) / span * 3 - t / 5.5)
            eta = 0.1 * math.sin(phase) * math.exp(-(x - xs[0]) / span)
            u = 0.3 * math.sin(phase) + 0.01 * math.cos(y)
            v = 0.05 * math.cos(phase)
            row.append(
                {
                    "Xp": x,
                    "Yp": y,
                    "Botlev": 1.0 - 0.8 * (x - xs[0]) / span,
                    "Watlev": eta,
                    "Vksi": u,
                    "Veta": v,
                    "Vmag": math.hypot(u, v),
                }.get(name, abs(eta))
            )
        rows.append(row)
    return rows


def simulate(args: RunnerArgs) -> None:
    """Copy the inputs, then write each output block of the command file and the PRINT log."""
    config = args.input_file("input_filename", "input.sws")
    args.copy_inputs()
    swash = Run(config)
    xs, ys = swash.axes()
    for name, quantities, output in swash.blocks:
        matrices: dict[str, Matrix] = {}
        for q in quantities:
            label = NAMES.get(q, q.capitalize())
            if output is None:
                matrices[label] = quantity(label, xs, ys, 0.0)
            else:
                for t in swash.times(output):
                    matrices[f"{label}_{stamp(t)}"] = quantity(label, xs, ys, t)
        target = (args.output_dir / name).resolve()
        if not target.is_relative_to(args.output_dir.resolve()):
            raise RunnerError(f"output {name!r} escapes the simulation directory")
        write_mat(target, matrices)
        print(f"SWASH: wrote {name} ({len(matrices)} variables)")
    (args.output_dir / "PRINT").write_text(
        "SWASH (inductiva mock)\n"
        f"Command file: {config.name}\nGrid: {len(xs)} x {len(ys)} points\n"
        f"Computation: {swash.compute[0]} s to {swash.compute[2]} s, step {swash.compute[1]} s\n"
        f"Output blocks: {len(swash.blocks)}\nSTOP\n"
    )


def main() -> int:
    """Run the simulation of the task (see the module docstring)."""
    return run(simulate)


if __name__ == "__main__":
    sys.exit(main())
