"""SPH methods: `splishsplash` and `dualsphysics` (`sph.`, `dam_break.`, `fluid_block.`, ...).

The `input_filename` parameter names the configuration file in the input
directory: SPlisHSPlasH's JSON scene (`Configuration.stopAt`, `dataExportFPS`,
`particleRadius`, `particleAttributes`, `FluidModels` with `translation` and
`scale`) or DualSPHysics's XML case (`TimeMax`, `TimeOut`, the particle
distance `dp` and the fluid `drawbox`). The fluid block is filled with
particles that fall and spread in the unit tank (a made-up, deterministic
motion) and exported, as the real executers did, as legacy VTK particle files
under `vtk/`: `ParticleData_<fluid id>_<frame>.vtk` (frames from 1, FIELD
arrays such as `velocity` and `density`) with the log `log/SPH_log.txt` for
SPlisHSPlasH; `PartFluid_<nnnn>.vtk` (frames from 0, `Vel`, `Rhop`, `Idp`) with
`Run.out` for DualSPHysics, whose input directory is copied to the outputs.
The fluid tank needs its `tank.json`.
"""

from __future__ import annotations

import json
import math
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._common import RunnerArgs, RunnerError, run
from ._vtk import VtkArray, VtkData, write_vtk

__all__ = ["main"]

MAX_FRAMES = 25
MAX_PARTICLES = 400
GRAVITY = 9.81
Vec = tuple[float, float, float]


@dataclass
class Setup:
    """What the run simulates, read from its configuration file."""

    end: float
    every: float  # output time step
    spacing: float  # particle distance
    origin: Vec
    size: Vec
    velocity: Vec
    density: float
    name: str = "Fluid"
    attributes: tuple[str, ...] = ("velocity",)


def _vec(value: object, default: Vec) -> Vec:
    if isinstance(value, list) and len(value) == 3:
        return (float(value[0]), float(value[1]), float(value[2]))
    return default


def splishsplash_setup(path: Path, radius: float) -> Setup:
    """The first fluid model of a SPlisHSPlasH scene."""
    try:
        scene: dict[str, Any] = json.loads(path.read_text())
        conf: dict[str, Any] = scene.get("Configuration", {})
        model: dict[str, Any] = (scene.get("FluidModels") or [{}])[0]
        material: dict[str, Any] = next(
            (m for m in scene.get("Materials", []) if m.get("id") == model.get("id")), {}
        )
        return Setup(
            end=float(conf.get("stopAt", 1.0)),
            every=1 / float(conf.get("dataExportFPS", 25.0)),
            spacing=2 * float(conf.get("particleRadius", radius)),
            origin=_vec(model.get("translation"), (0.0, 0.0, 0.0)),
            size=_vec(model.get("scale"), (1.0, 1.0, 1.0)),
            velocity=_vec(model.get("initialVelocity"), (0.0, 0.0, 0.0)),
            density=float(material.get("density0", 1000.0)),
            name=str(model.get("id", "Fluid")),
            attributes=tuple(
                a for a in str(conf.get("particleAttributes", "velocity")).split(";") if a
            ),
        )
    except (ValueError, TypeError, AttributeError, ZeroDivisionError) as exc:
        raise RunnerError(f"{path.name}: not a SPlisHSPlasH scene ({exc})") from exc


def dualsphysics_setup(path: Path) -> Setup:
    """The fluid box of a DualSPHysics XML case."""
    try:
        root = ET.parse(path).getroot()
        params = {p.get("key"): p.get("value") for p in root.iter("parameter")}
        definition = root.find(".//geometry/definition")
        dp = float(definition.get("dp", "0.02")) if definition is not None else 0.02
        boxes = root.findall(".//mainlist/drawbox")
        box = boxes[0] if boxes else None
        point = box.find("point") if box is not None else None
        size = box.find("size") if box is not None else None
        rho = root.find(".//constantsdef/rhop0")
        return Setup(
            end=float(params.get("TimeMax") or 1.0),
            every=float(params.get("TimeOut") or 0.05),
            spacing=dp,
            origin=_xyz(point, (0.0, 0.0, 0.0)),
            size=_xyz(size, (0.5, 0.5, 0.5)),
            velocity=(0.0, 0.0, 0.0),
            density=float(rho.get("value", "1000")) if rho is not None else 1000.0,
        )
    except (ET.ParseError, ValueError, TypeError) as exc:
        raise RunnerError(f"{path.name}: not a DualSPHysics case ({exc})") from exc


def _xyz(element: ET.Element | None, default: Vec) -> Vec:
    if element is None:
        return default
    return (float(element.get("x", 0)), float(element.get("y", 0)), float(element.get("z", 0)))


def particles(setup: Setup) -> list[Vec]:
    """The block's particles on a grid (coarsened to at most MAX_PARTICLES)."""
    spacing = max(setup.spacing, 1e-3)
    counts = [max(1, int(s / spacing)) for s in setup.size]
    while counts[0] * counts[1] * counts[2] > MAX_PARTICLES:
        counts = [max(1, math.ceil(c / 2)) for c in counts]
    steps = [s / c for s, c in zip(setup.size, counts, strict=True)]
    return [
        (
            setup.origin[0] + (i + 0.5) * steps[0],
            setup.origin[1] + (j + 0.5) * steps[1],
            setup.origin[2] + (k + 0.5) * steps[2],
        )
        for k in range(counts[2])
        for j in range(counts[1])
        for i in range(counts[0])
    ]


def frame_times(setup: Setup) -> list[float]:
    """The export times (at most MAX_FRAMES, spread over the run)."""
    count = max(1, int(setup.end / setup.every + 1e-9)) if setup.every > 0 else 1
    every = math.ceil((count + 1) / MAX_FRAMES)
    return [k * setup.every for k in range(0, count + 1, every)]


def state(p: Vec, t: float, setup: Setup) -> tuple[Vec, Vec]:
    """Position and velocity of the particle starting at *p*, at time *t*."""
    cx = setup.origin[0] + setup.size[0] / 2
    fall = 0.5 * GRAVITY * t * t
    z = max(0.01, p[2] - fall * p[2] / (p[2] + 0.2))
    vz = 0.0 if z <= 0.01 else -GRAVITY * t * p[2] / (p[2] + 0.2)
    x = min(1.0, max(0.0, p[0] + setup.velocity[0] * t + 0.5 * (p[0] - cx) * t))
    y = min(1.0, max(0.0, p[1] + setup.velocity[1] * t))
    return (x, y, z), (setup.velocity[0] + 0.5 * (p[0] - cx), setup.velocity[1], vz)


def export(setup: Setup, out: Path, dualsphysics: bool) -> int:
    """Write the VTK frames of *setup* under `out/vtk/`; return how many."""
    start = particles(setup)
    times = frame_times(setup)
    for n, t in enumerate(times):
        states = [state(p, t, setup) for p in start]
        points = [s[0] for s in states]
        velocity = [c for s in states for c in s[1]]
        density = [setup.density * (1 + 0.002 * math.sin(i + 5 * t)) for i in range(len(points))]
        if dualsphysics:
            arrays = [
                VtkArray("Idp", 1, list(range(len(points))), "unsigned_int"),
                VtkArray("Vel", 3, velocity),
                VtkArray("Rhop", 1, density),
            ]
            name = f"PartFluid_{n:04d}.vtk"
        else:
            known = {
                "id": VtkArray("id", 1, list(range(len(points))), "unsigned_int"),
                "velocity": VtkArray("velocity", 3, velocity),
                "density": VtkArray("density", 1, density),
            }
            arrays = [known[a] for a in setup.attributes if a in known]
            name = f"ParticleData_{setup.name}_{n + 1}.vtk"
        data = VtkData("particle data", points, particles=True, point_data=arrays)
        data.field_data = not dualsphysics
        write_vtk(out / "vtk" / name, data)
    return len(times)


def simulate(args: RunnerArgs) -> None:
    """Read the configuration, write the particle frames and the simulator's log."""
    simulator = args.method.split(".")[1] if "." in args.method else ""
    config = args.input_file("input_filename", "config.xml")
    out = args.output_dir
    if simulator == "dualsphysics":
        args.copy_inputs()
        setup = dualsphysics_setup(config)
        frames = export(setup, out, dualsphysics=True)
        (out / "Run.out").write_text(
            f"DualSPHysics (inductiva mock)\nCase: {config.name}\nTimeMax={setup.end}\n"
            f"TimeOut={setup.every}\nParticles: {len(particles(setup))}\n"
            f"Part files: {frames}\nFinished execution.\n"
        )
    else:
        if args.scenario == "fluid_tank":
            args.input_file("tank_filename", "tank.json")
        radius = float(args.params.get("particle_radius", 0.025))
        setup = splishsplash_setup(config, radius)
        frames = export(setup, out, dualsphysics=False)
        log = out / "log" / "SPH_log.txt"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(f"SPlisHSPlasH (inductiva mock)\nScene: {config.name}\nFrames: {frames}\n")
    print(f"{simulator}: {frames} frames of {len(particles(setup))} particles written to vtk/")


def main() -> int:
    """Run the simulation of the task (see the module docstring)."""
    return run(simulate)


if __name__ == "__main__":
    sys.exit(main())
