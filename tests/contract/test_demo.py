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


def _demo(directory: pathlib.Path | str, cwd: pathlib.Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inductiva.demo", "--dir", str(directory)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


@pytest.mark.parametrize("directory", ["/proc/nope", "/dev/null/x"])
def test_demo_dir_that_cannot_be_made_exits_2(tmp_path: pathlib.Path, directory: str) -> None:
    """A --dir the demo cannot create: exit 2, one line naming it, no traceback."""
    result = _demo(directory, tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(
        f"python -m inductiva.demo: error: cannot use --dir {directory}"
    )
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_demo_never_empties_a_directory_it_did_not_make(tmp_path: pathlib.Path) -> None:
    """--dir pointing at a directory of the user's files: exit 2, every file left as it was."""
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "thesis.tex").write_text("years of work")
    result = _demo(tmp_path / "project", tmp_path)
    assert result.returncode == 2 and "the demo did not make" in result.stderr
    assert (tmp_path / "project" / "thesis.tex").read_text() == "years of work"
