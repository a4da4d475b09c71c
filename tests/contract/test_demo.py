"""`python -m inductiva.demo` runs end to end in a subprocess and exits 0 quickly."""

from __future__ import annotations

import pathlib
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.contract


def test_demo_runs(tmp_path: pathlib.Path) -> None:
    """The demo exits 0 within 60 s, printing the task table, output table and kill."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "inductiva.demo", "--dir", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-3000:]
    assert elapsed < 60
    out = result.stdout
    assert "Archive size:" in out and " Size         Compressed   Name" in out
    assert "status after kill(): 'killed'" in out
    assert "ID       Simulator" in out and "gromacs" in out and "openfoam" in out
    assert "important_file1.txt" in out and "c2-standard-8" in out
    assert "polled with backoff" in out and "(?filename= subset)" in out
    assert "Uploading" not in result.stderr  # only the selected-files download draws a bar
