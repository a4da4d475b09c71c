"""`stellarators.simsopt.run_simulation`: the era's stellarator coil search.

The parameters name the input files (`coil_coefficients_filename`,
`coil_currents_filename`, `plasma_surface_filename`,
`objectives_weights_filename`: a JSON object of weights) and the search
(`num_iterations`, `num_samples`). As the real search script did, the outputs
are `objectives.csv` (`iteration, sample, total` and one column per weight),
`iteration_<i>/sample_<j>/coil_coefficients.npz` and `field.npz`
(`magnetic_field` of shape (50, 35, 3) and `magnetic_field_absolute`
(50, 35) on the plasma surface), and the best sample copied to
`Final Configuration/` with its `final_objectives.csv`. The mock keeps each
sample's input coefficients (it adds no noise), computes made-up objectives,
and runs at most 3 iterations of 3 samples.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
import sys
from pathlib import Path

from ._common import RunnerArgs, RunnerError, run
from ._npy import write_npz

__all__ = ["main"]

MAX_ITERATIONS = 3
MAX_SAMPLES = 3
NUM_PHI, NUM_THETA = 50, 35
FINAL = "Final Configuration"


def _count(args: RunnerArgs, name: str, cap: int) -> int:
    value = args.params.get(name, 1)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RunnerError(f"parameter {name!r} must be a positive integer, got {value!r}")
    return min(value, cap)


def field(seed: float) -> tuple[list[float], list[float]]:
    """The magnetic field vectors and strengths on the surface grid (C order)."""
    vectors: list[float] = []
    strengths: list[float] = []
    for i in range(NUM_PHI):
        phi = 2 * math.pi * i / NUM_PHI
        for j in range(NUM_THETA):
            theta = 2 * math.pi * j / NUM_THETA
            b = (
                math.cos(phi) * (1 + 0.1 * math.cos(theta + seed)),
                math.sin(phi) * (1 + 0.1 * math.cos(theta + seed)),
                0.2 * math.sin(theta - seed),
            )
            vectors.extend(b)
            strengths.append(math.sqrt(sum(c * c for c in b)))
    return vectors, strengths


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("a", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


def simulate(args: RunnerArgs) -> None:
    """Write every sample's coefficients, field and objectives; keep the best as final."""
    coefficients = args.input_file("coil_coefficients_filename")
    for param in ("coil_currents_filename", "plasma_surface_filename"):
        args.input_file(param)
    weights_file = args.input_file("objectives_weights_filename")
    try:
        weights = {str(k): float(v) for k, v in json.loads(weights_file.read_text()).items()}
    except (ValueError, AttributeError) as exc:
        raise RunnerError(f"{weights_file.name}: not a JSON object of weights ({exc})") from exc
    iterations = _count(args, "num_iterations", MAX_ITERATIONS)
    samples = _count(args, "num_samples", MAX_SAMPLES)
    out = args.output_dir
    header = ["iteration", "sample", "total", *weights]
    _write_csv(out / "objectives.csv", [header])
    best: tuple[float, int, list[str]] = (math.inf, 0, [])
    for iteration in range(1, iterations + 1):
        rows = []
        for sample in range(samples):
            folder = out / f"iteration_{iteration}" / f"sample_{sample}"
            folder.mkdir(parents=True)
            shutil.copyfile(coefficients, folder / "coil_coefficients.npz")
            vectors, strengths = field(iteration + 0.37 * sample)
            write_npz(
                folder / "field.npz",
                {
                    "magnetic_field": (vectors, (NUM_PHI, NUM_THETA, 3)),
                    "magnetic_field_absolute": (strengths, (NUM_PHI, NUM_THETA)),
                },
            )
            values = {k: abs(math.sin(iteration + 1.7 * sample + n)) for n, k in enumerate(weights)}
            total = sum(weights[k] * v for k, v in values.items())
            row = [
                str(iteration),
                str(sample),
                f"{total:.3f}",
                *(f"{v:.3f}" for v in values.values()),
            ]
            rows.append(row)
            if iteration == iterations and total < best[0]:
                best = (total, sample, row)
        _write_csv(out / "objectives.csv", rows)
    shutil.copytree(out / f"iteration_{iterations}" / f"sample_{best[1]}", out / FINAL)
    _write_csv(out / FINAL / "final_objectives.csv", [header, best[2]])
    print(f"simsopt: {iterations} iterations of {samples} samples; best sample {best[1]}")


def main() -> int:
    """Run the simulation of the task (see the module docstring)."""
    return run(simulate)


if __name__ == "__main__":
    sys.exit(main())
