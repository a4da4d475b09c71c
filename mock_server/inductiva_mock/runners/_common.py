"""Command line shared by every runner."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Command", "RunnerArgs", "commands_of", "parse"]


@dataclass
class RunnerArgs:
    """Where a runner reads its input and writes its outputs."""

    input_dir: Path
    output_dir: Path
    params: dict[str, Any]
    method: str


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
