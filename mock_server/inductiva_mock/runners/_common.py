"""What every runner shares: its command line, the `commands` parameter, failing clearly.

A runner is `python -m inductiva_mock.runners.<name> --input-dir --output-dir
--params FILE --method NAME`. It writes the task's files into the output
directory, prints what it does on stdout, and on error prints `error: ...` on
stderr and exits 1 (the task ends `failed`, as the real executers' runs do).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "Command",
    "RunnerArgs",
    "RunnerError",
    "commands_of",
    "fail",
    "parse",
    "run",
    "run_commands",
]


class RunnerError(Exception):
    """A simulation step failed; the message is printed on stderr."""


@dataclass
class RunnerArgs:
    """Where a runner reads its input and writes its outputs."""

    input_dir: Path
    output_dir: Path
    params: dict[str, Any]
    method: str

    @property
    def scenario(self) -> str:
        """The method's first part: `protein_solvation` of `protein_solvation.gromacs...`."""
        return self.method.split(".", 1)[0]

    def copy_inputs(self) -> None:
        """Copy the input directory into the outputs (the real executers run there)."""
        shutil.copytree(self.input_dir, self.output_dir, dirs_exist_ok=True)

    def input_file(self, param: str, default: str | None = None) -> Path:
        """The input file named by parameter *param*, which must exist."""
        name = self.params.get(param, default)
        if not isinstance(name, str) or not name:
            raise RunnerError(f"parameter {param!r} (an input file name) is required")
        path = (self.input_dir / name).resolve()
        if not path.is_relative_to(self.input_dir.resolve()) or not path.is_file():
            raise RunnerError(f"input file {name!r} (parameter {param!r}) not found")
        return path


def parse(argv: list[str] | None = None) -> RunnerArgs:
    """Parse `--input-dir --output-dir --params FILE --method NAME`."""
    p = argparse.ArgumentParser()
    p.add_argument("--input-dir", type=Path, required=True)
    p.add_argument("--output-dir", type=Path, required=True)
    p.add_argument("--params", type=Path, required=True)
    p.add_argument("--method", default="")
    ns = p.parse_args(argv)
    params = json.loads(ns.params.read_text()) if ns.params.exists() else {}
    ns.output_dir.mkdir(parents=True, exist_ok=True)
    return RunnerArgs(ns.input_dir, ns.output_dir, params, ns.method)


def fail(message: str) -> int:
    """Print `error: message` on stderr; return the exit status 1."""
    print(f"error: {message}", file=sys.stderr, flush=True)
    return 1


def run(simulate: Callable[[RunnerArgs], None]) -> int:
    """Parse the arguments and run *simulate*; a RunnerError (or bad file) fails the task."""
    args = parse()
    try:
        simulate(args)
    except (RunnerError, OSError, ValueError, KeyError) as exc:
        return fail(str(exc))
    return 0


@dataclass
class Command:
    """One command of a `commands` parameter: the command line and its stdin prompts."""

    cmd: str
    prompts: list[str]


def commands_of(value: Any) -> list[Command]:
    """The `commands` parameter, given as `[{"cmd": ..., "prompts": [...]}]` or as strings.

    Raises ValueError for anything else.
    """
    if not isinstance(value, list):
        raise ValueError("parameter 'commands' must be a list")
    out: list[Command] = []
    for item in value:
        if isinstance(item, str):
            out.append(Command(item, []))
        elif isinstance(item, dict) and isinstance(item.get("cmd"), str):
            prompts = item.get("prompts") or []
            if not isinstance(prompts, list):
                raise ValueError(f"prompts of {item['cmd']!r} must be a list")
            out.append(Command(item["cmd"], [str(p) for p in prompts]))
        else:
            raise ValueError(f'each command must be a string or {{"cmd", "prompts"}}: {item!r}')
    return out


def run_commands(
    args: RunnerArgs,
    run_one: Callable[[Command], None],
    what: str,
    default: list[str] | None = None,
) -> None:
    """Run each command of the `commands` parameter (*what* names them), echoing it on stdout.

    Without the parameter, *default* runs (if given). Raises RunnerError naming
    the command that failed.
    """
    value = args.params.get("commands", default)
    if value is None:
        raise RunnerError(f"parameter 'commands' (the {what} command lines) is required")
    for command in commands_of(value):
        print(f"$ {command.cmd}", flush=True)
        try:
            run_one(command)
        except (RunnerError, OSError, ValueError) as exc:
            raise RunnerError(f"{command.cmd}: {exc}") from exc
