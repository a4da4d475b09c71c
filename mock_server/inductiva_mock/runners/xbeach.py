"""`sw.xbeach.run_simulation`: XBeach's `xboutput.nc` and its logs.

Reads `params.txt` (the `input_filename` parameter): the grid size `nx`, `ny`,
the run `tstart`/`tstop`, the global output interval `tintg` and the global
variables listed after `nglobalvar = N` (`zb`, `zs`, `H` when none). The input
directory is copied to the outputs, where XBeach ran, and gets `xboutput.nc`
(NetCDF-3 classic: dimensions `nx`, `ny` and the unlimited `globaltime`;
`globalx`, `globaly` and each global variable over `(globaltime, ny, nx)`),
`XBlog.txt`, `XBerror.txt` and `XBwarning.txt`. Grids are capped at 51 points
a side and outputs at 11 times.
"""

from __future__ import annotations

import math
import sys

from ._common import RunnerArgs, RunnerError, run
from ._netcdf import NcVariable, write_netcdf

__all__ = ["main"]

MAX_POINTS = 51
MAX_TIMES = 11
UNITS = {"zb": "m", "zs": "m", "H": "m", "u": "m/s", "v": "m/s"}


def read_params(text: str) -> tuple[dict[str, str], list[str]]:
    """The `key = value` settings of params.txt and its global output variables."""
    settings: dict[str, str] = {}
    variables: list[str] = []
    pending = 0
    for raw in text.splitlines():
        line = raw.split("%", 1)[0].strip()
        if not line:
            continue
        if "=" in line:
            key, value = (part.strip() for part in line.split("=", 1))
            settings[key] = value
            pending = int(value) if key == "nglobalvar" else 0
        elif pending:
            variables.append(line.split()[0])
            pending -= 1
    return settings, variables or ["zb", "zs", "H"]


def simulate(args: RunnerArgs) -> None:
    """Copy the inputs, then write xboutput.nc and the logs."""
    config = args.input_file("input_filename", "params.txt")
    settings, names = read_params(config.read_text(errors="replace"))
    try:
        nx = min(int(settings.get("nx", "50")) + 1, MAX_POINTS)
        ny = min(int(settings.get("ny", "0")) + 1, MAX_POINTS)
        start = float(settings.get("tstart", "0"))
        stop = float(settings.get("tstop", "100"))
        every = float(settings.get("tintg", "1")) or 1.0
    except ValueError as exc:
        raise RunnerError(f"{config.name}: invalid setting ({exc})") from exc
    args.copy_inputs()
    count = int((stop - start) / every + 1e-9)
    step = math.ceil((count + 1) / MAX_TIMES)
    times = [start + k * every for k in range(0, count + 1, step)]
    xs = [10.0 * i for i in range(nx)]
    ys = [10.0 * j for j in range(ny)]
    grid = [(x, y) for y in ys for x in xs]
    variables = [
        NcVariable("globalx", ("ny", "nx"), [x for x, _ in grid], {"units": "m"}),
        NcVariable("globaly", ("ny", "nx"), [y for _, y in grid], {"units": "m"}),
        NcVariable("globaltime", ("globaltime",), times, {"units": "s"}),
    ]
    for k, name in enumerate(names):
        values = [
            (1 + k) * 0.1 * math.sin(x / 50 - t / 10) - (0.01 * x if name == "zb" else 0.0)
            for t in times
            for x, _ in grid
        ]
        attrs = {"units": UNITS.get(name, "-"), "long_name": name}
        variables.append(NcVariable(name, ("globaltime", "ny", "nx"), values, attrs))
    dims = [("nx", nx), ("ny", ny), ("globaltime", None)]
    write_netcdf(args.output_dir / "xboutput.nc", dims, variables, {"Conventions": "CF-1.6"})
    (args.output_dir / "XBlog.txt").write_text(
        "XBeach (inductiva mock)\n"
        f"Reading {config.name}\nnx = {nx - 1}, ny = {ny - 1}\n"
        f"Writing {len(times)} global outputs of {', '.join(names)} to xboutput.nc\n"
        "End of program xbeach\n"
    )
    (args.output_dir / "XBerror.txt").write_text("")
    (args.output_dir / "XBwarning.txt").write_text("")
    print(f"XBeach: {len(times)} outputs written to xboutput.nc")


def main() -> int:
    """Run the simulation of the task (see the module docstring)."""
    return run(simulate)


if __name__ == "__main__":
    sys.exit(main())
