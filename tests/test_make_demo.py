"""`make demo` installs only what the demo needs (the client and its mock), saying so; `make
test` still installs the whole development toolchain. Checked with `make -n` on a fresh venv."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _plan(target: str, venv: Path) -> str:
    """What `make -n TARGET` would run with VENV at a fresh path."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    proc = subprocess.run(
        ["make", "--no-print-directory", "-n", target, f"VENV={venv}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return proc.stdout


def test_demo_installs_only_the_client_and_its_mock(tmp_path: Path) -> None:
    """On a fresh machine `make demo` installs '.[mock]' (not dev), says so, then runs the demo."""
    plan = _plan("demo", tmp_path / "venv")
    assert "pip install --quiet -e '.[mock]'" in plan
    assert "[dev]" not in plan and "npm" not in plan
    assert 'echo "make demo: installing inductiva-tasks and its mock server' in plan
    assert plan.rstrip().endswith("-m inductiva.demo")


def test_test_still_installs_the_development_toolchain(tmp_path: Path) -> None:
    """`make test` installs the dev extra (and marks the demo's needs as met)."""
    plan = _plan("test", tmp_path / "venv")
    assert "pip install --quiet -e '.[dev]'" in plan
    assert f"touch {tmp_path / 'venv'}/.installed {tmp_path / 'venv'}/.installed-demo" in plan
