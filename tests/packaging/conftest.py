"""Helpers of the packaging tests: a clean environment for subprocesses."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here is a `packaging` test (slow, builds and installs, uses PyPI)."""
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.packaging)


def clean_env() -> dict[str, str]:
    """The environment without anything pointing at this repository, its venv or make."""
    drop = {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def run(cmd: Sequence[str], cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run *cmd* in *cwd* with the clean environment; fail the test with its output."""
    proc = subprocess.run(
        list(cmd), cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc
