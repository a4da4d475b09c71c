"""Command line shared by every runner."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["RunnerArgs", "parse"]


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
