"""Simulators that run an input directory you prepared.

::

    openfoam = inductiva.simulators.OpenFOAM()
    task = openfoam.run(input_dir="my_case", commands=["blockMesh", "simpleFoam"], n_cores=4)
    print(task.get_output().force_coefficients()[-1])

Each simulator submits the API's method for it (e.g.
``fvm.openfoam.run_simulation``) with the input directory as ``sim_dir``.
Commands are strings or, for programs that ask questions on stdin,
``{"cmd": "gmx genion ...", "prompts": ["SOL"]}``. ``Synthetic`` runs the
``test.synthetic.run_simulation`` test method (configurable duration, exit code
and output files), handy for trying the client out.
"""

from __future__ import annotations

import pathlib
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import attrs

from ._http import ClientLike
from ._outputs import TaskOutput
from ._simulation import check_positive, commands_param, existing_dir, submit
from .errors import InvalidArgumentError
from .task import Task

__all__ = ["GROMACS", "ForceCoefficients", "OpenFOAM", "OpenFOAMOutput", "Synthetic"]


class ForceCoefficients(NamedTuple):
    """One row of ``postProcessing/forceCoeffs/0/coefficient.dat``."""

    time: float
    cd: float
    cl: float


def _is_number(name: str) -> bool:
    try:
        float(name)
    except ValueError:
        return False
    return True


@attrs.frozen
class OpenFOAMOutput(TaskOutput):
    """Outputs of an OpenFOAM run: logs, time directories and force coefficients."""

    def logs(self) -> dict[str, str]:
        """Each command's log text, by command name (from the ``log.<command>`` files)."""
        files = sorted(self.path.glob("log.*"))
        return {p.name.removeprefix("log."): p.read_text(errors="replace") for p in files}

    def time_steps(self) -> list[float]:
        """The times with a result directory (e.g. ``100/``), ascending."""
        dirs = (p.name for p in self.path.iterdir() if p.is_dir() and _is_number(p.name))
        return sorted(float(name) for name in dirs)

    def force_coefficients(self) -> list[ForceCoefficients]:
        """``(time, cd, cl)`` rows of the forceCoeffs function object."""
        path = self.path / "postProcessing" / "forceCoeffs" / "0" / "coefficient.dat"
        rows = []
        for line in path.read_text().splitlines():
            fields = line.split()
            if fields and not line.lstrip().startswith("#"):
                rows.append(ForceCoefficients(*(float(f) for f in fields[:3])))
        return rows


class OpenFOAM:
    """The OpenFOAM CFD suite; runs ``commands`` in a case directory."""

    method_name = "fvm.openfoam.run_simulation"

    def __init__(self, *, client: ClientLike | None = None) -> None:
        self.client = client
        """The client tasks are submitted through (None: the default client)."""

    def __repr__(self) -> str:
        return "OpenFOAM()"

    def run(
        self,
        input_dir: str | pathlib.Path,
        commands: Sequence[str | Mapping[str, Any]],
        n_cores: int = 1,
        run_async: bool = False,
        resource_pool: str | None = None,
        *,
        n_vcpus: int | None = None,
    ) -> Task[OpenFOAMOutput]:
        """Run ``commands`` (e.g. ``["blockMesh", "simpleFoam"]``) on the case in ``input_dir``.

        ``n_cores`` is the number of MPI processes (``n_vcpus``, its former
        name, is still accepted). Blocks until the task finishes unless
        ``run_async``; a blocking run kills the remote task if interrupted
        (Ctrl-C), then re-raises.
        """
        case = existing_dir("input_dir", input_dir)
        params_commands = commands_param(commands, "['blockMesh', 'simpleFoam']")
        if n_vcpus is not None:
            if n_cores not in (1, n_vcpus):
                raise InvalidArgumentError(
                    f"n_vcpus={n_vcpus!r} and n_cores={n_cores!r} disagree; pass n_cores only"
                )
            check_positive("n_vcpus", n_vcpus, integer=True)
            n_cores = n_vcpus
        check_positive("n_cores", n_cores, integer=True)
        params = {"commands": params_commands, "n_cores": n_cores}
        return submit(
            self.method_name,
            params,
            case,
            run_async=run_async,
            resource_pool=resource_pool,
            output=OpenFOAMOutput,
            client=self.client,
        )


class GROMACS:
    """The GROMACS molecular-dynamics suite; runs ``gmx`` ``commands`` in an input directory."""

    method_name = "md.gromacs.run_simulation"

    def __init__(self, *, client: ClientLike | None = None) -> None:
        self.client = client
        """The client tasks are submitted through (None: the default client)."""

    def __repr__(self) -> str:
        return "GROMACS()"

    def run(
        self,
        input_dir: str | pathlib.Path,
        commands: Sequence[str | Mapping[str, Any]],
        run_async: bool = False,
        resource_pool: str | None = None,
    ) -> Task[TaskOutput]:
        """Run ``commands`` (e.g. ``["gmx grompp -f md.mdp -o md.tpr", "gmx mdrun -deffnm md"]``).

        Blocks until the task finishes unless ``run_async``; a blocking run
        kills the remote task if interrupted (Ctrl-C), then re-raises.
        """
        directory = existing_dir("input_dir", input_dir)
        params = {"commands": commands_param(commands, "['gmx mdrun -deffnm md']")}
        return submit(
            self.method_name,
            params,
            directory,
            run_async=run_async,
            resource_pool=resource_pool,
            output=TaskOutput,
            client=self.client,
        )


class Synthetic:
    """A test simulator: sleeps ``duration`` seconds, prints, writes files, exits."""

    method_name = "test.synthetic.run_simulation"

    def __init__(self, *, client: ClientLike | None = None) -> None:
        self.client = client
        """The client tasks are submitted through (None: the default client)."""

    def __repr__(self) -> str:
        return "Synthetic()"

    def run(
        self,
        duration: float = 0.0,
        exit_code: int = 0,
        stdout: str = "",
        stderr: str = "",
        files: Sequence[tuple[str, int]] = (),
        run_async: bool = False,
        compressible: bool = True,
    ) -> Task[TaskOutput]:
        """Submit a synthetic task; ``files`` are ``(name, size in bytes)`` pairs to create."""
        if isinstance(duration, bool) or not isinstance(duration, int | float) or duration < 0:
            raise InvalidArgumentError(f"duration must be seconds >= 0, got {duration!r}")
        params: dict[str, Any] = {
            "duration": float(duration),
            "exit_code": int(exit_code),
            "stdout": stdout,
            "stderr": stderr,
            "files": [
                {"name": name, "size": int(size), "compressible": compressible}
                for name, size in files
            ],
        }
        with tempfile.TemporaryDirectory(prefix="inductiva-input-") as tmp:
            (pathlib.Path(tmp) / "params.txt").write_text("synthetic\n")
            return submit(
                self.method_name,
                params,
                pathlib.Path(tmp),
                run_async=run_async,
                output=TaskOutput,
                client=self.client,
            )
