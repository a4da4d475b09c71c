"""Simulators that run an input directory you prepared.

::

    openfoam = inductiva.simulators.OpenFOAM()
    task = openfoam.run(input_dir="my_case", commands=["blockMesh", "simpleFoam"], n_cores=4)
    print(task.get_output().force_coefficients()[-1])

Each simulator submits the API's method for it (e.g.
``fvm.openfoam.run_simulation``) with the input directory as ``sim_dir``.
``run(...)`` blocks (or returns once the input is uploaded, with
``run_async=True``); ``await run_async(...)`` is its asyncio twin, with the
same arguments: both are made from one ``_run`` that checks the arguments and
says what to submit (see :mod:`inductiva._simulation`).
Commands are strings or, for programs that ask questions on stdin,
``{"cmd": "gmx genion ...", "prompts": ["SOL"]}``. ``Synthetic`` runs the
``test.synthetic.run_simulation`` test method (configurable duration, exit code
and output files), handy for trying the client out.
"""

from __future__ import annotations

import pathlib
from collections.abc import Mapping, Sequence
from typing import Any

from ._http import ClientLike
from ._outputs import TaskOutput
from ._simulation import (
    OutT,
    Submission,
    check_positive,
    commands_param,
    existing_dir,
    submitter,
    submitter_async,
)
from ._validate import check_seconds, printable
from .errors import InvalidArgumentError
from .outputs.gromacs import GROMACSOutput
from .outputs.openfoam import ForceCoefficients, OpenFOAMOutput

__all__ = [
    "GROMACS",
    "ForceCoefficients",
    "GROMACSOutput",
    "OpenFOAM",
    "OpenFOAMOutput",
    "Synthetic",
]


class _Simulator:
    """What every simulator has: the API method it submits and the client it submits through."""

    method_name = ""

    def __init__(self, *, client: ClientLike | None = None) -> None:
        self.client = client
        """The client tasks are submitted through (None: the default client)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def _submission(
        self, params: dict[str, Any], output: type[OutT], run_async: bool, **where: Any
    ) -> Submission[OutT]:
        """This simulator's method with ``params``; ``where``: the input and resource pool."""
        return Submission(self.method_name, params, output, self.client, run_async, **where)


class OpenFOAM(_Simulator):
    """The OpenFOAM CFD suite; runs ``commands`` in a case directory."""

    method_name = "fvm.openfoam.run_simulation"

    def _run(
        self,
        input_dir: str | pathlib.Path,
        commands: Sequence[str | Mapping[str, Any]],
        n_cores: int = 1,
        run_async: bool = False,
        resource_pool: str | None = None,
        *,
        n_vcpus: int | None = None,
    ) -> Submission[OpenFOAMOutput]:
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
        where = {"input_dir": case, "resource_pool": resource_pool}
        return self._submission(params, OpenFOAMOutput, run_async, **where)

    run = submitter(_run)
    run_async = submitter_async(_run)


class GROMACS(_Simulator):
    """The GROMACS molecular-dynamics suite; runs ``gmx`` ``commands`` in an input directory."""

    method_name = "md.gromacs.run_simulation"

    def _run(
        self,
        input_dir: str | pathlib.Path,
        commands: Sequence[str | Mapping[str, Any]],
        run_async: bool = False,
        resource_pool: str | None = None,
    ) -> Submission[GROMACSOutput]:
        """Run ``commands`` (e.g. ``["gmx grompp -f md.mdp -o md.tpr", "gmx mdrun -deffnm md"]``).

        Blocks until the task finishes unless ``run_async``; a blocking run
        kills the remote task if interrupted (Ctrl-C), then re-raises.
        """
        where = {"input_dir": existing_dir("input_dir", input_dir), "resource_pool": resource_pool}
        params = {"commands": commands_param(commands, "['gmx mdrun -deffnm md']")}
        return self._submission(params, GROMACSOutput, run_async, **where)

    run = submitter(_run)
    run_async = submitter_async(_run)


def _params_file(directory: pathlib.Path) -> None:
    """The synthetic method's input: a one-line ``params.txt``."""
    (directory / "params.txt").write_text("synthetic\n")


def _file_spec(spec: object) -> tuple[str, int]:
    """One ``(name, size in bytes)`` pair of Synthetic's ``files``, checked."""
    match spec:
        case (str() as name, int() as size) if name and size >= 0 and not isinstance(size, bool):
            return name, size
    raise InvalidArgumentError(
        f"each of files must be a (name, size in bytes) pair: a non-empty str and an int >= 0,"
        f" got {printable(repr(spec))[:80]}"
    )


class Synthetic(_Simulator):
    """A test simulator: sleeps ``duration`` seconds, prints, writes files, exits."""

    method_name = "test.synthetic.run_simulation"

    def _run(
        self,
        duration: float = 0.0,
        exit_code: int = 0,
        stdout: str = "",
        stderr: str = "",
        files: Sequence[tuple[str, int]] = (),
        run_async: bool = False,
        compressible: bool = True,
    ) -> Submission[TaskOutput]:
        """Submit a synthetic task; ``files`` are ``(name, size in bytes)`` pairs to create."""
        seconds = check_seconds("duration", duration, allow_zero=True)
        if isinstance(files, str | bytes) or not isinstance(files, Sequence):
            raise InvalidArgumentError(
                "files must be a list of (name, size in bytes) pairs, got "
                f"{printable(repr(files))[:80]}"
            )
        if (
            isinstance(exit_code, bool)
            or not isinstance(exit_code, int)
            or not 0 <= exit_code <= 255
        ):
            raise InvalidArgumentError(
                f"exit_code must be an int from 0 to 255, got {printable(repr(exit_code))[:80]}"
            )
        for name, text in (("stdout", stdout), ("stderr", stderr)):
            if not isinstance(text, str):
                raise InvalidArgumentError(f"{name} must be a str, got {type(text).__name__}")
        params: dict[str, Any] = {
            "duration": seconds,
            "exit_code": exit_code,
            "stdout": stdout,
            "stderr": stderr,
            "files": [
                {"name": name, "size": size, "compressible": compressible}
                for name, size in map(_file_spec, files)
            ],
        }
        return self._submission(params, TaskOutput, run_async, render=_params_file)

    run = submitter(_run)
    run_async = submitter_async(_run)
