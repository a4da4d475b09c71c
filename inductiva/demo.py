"""A tour of the client against a local mock server: ``python -m inductiva.demo``.

Starts the mock backend (state in ``.demo/``), points the client at it, then
submits tasks asynchronously and synchronously, lists them, inspects and
downloads outputs, kills a long task and prints timings. It ends with the same
client against a mock in legacy mode, which speaks only the real API (none of
our extensions), to show the fallbacks. Printing is its job.
"""

from __future__ import annotations

import argparse
import importlib
import pathlib
import shutil
import sys
import time
from typing import Any

import inductiva
from inductiva import _http
from inductiva._format import format_bytes
from inductiva._transfers._progress import progress_enabled
from inductiva.molecules import ProteinSolvationOutput
from inductiva.simulators import OpenFOAMOutput

__all__ = ["main"]

CASE_FILES = {
    "system/controlDict": "application simpleFoam;\nendTime 200;\n",
    "system/blockMeshDict": "vertices ((0 0 0) (1 0 0) (1 1 0) (0 1 0));\n",
    "constant/transportProperties": "nu 1.5e-05;\n",
    "0/U": "internalField uniform (20 0 0);\n",
}


def _pdb(n_atoms: int = 12) -> str:
    """A small helix-like PDB of alanine CA atoms."""
    lines = [
        f"ATOM  {i:5d}  CA  ALA A{i:4d}    {2.3 * (i % 4):8.3f}{2.3 * (i // 4 % 4):8.3f}"
        f"{1.5 * i:8.3f}  1.00  0.00           C\n"
        for i in range(1, n_atoms + 1)
    ]
    return "".join(lines) + "END\n"


def _heading(text: str) -> None:
    print(f"\n== {text} ==", flush=True)


def _prepare_inputs(root: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    pdb = root / "my_protein.pdb"
    pdb.write_text(_pdb())
    case = root / "openfoam_case"
    for name, text in CASE_FILES.items():
        (case / name).parent.mkdir(parents=True, exist_ok=True)
        (case / name).write_text(text)
    return pdb, case


def _tour(work: pathlib.Path, bars: bool) -> None:
    """The demo itself; ``bars``: draw the progress bar of the selected-files download.

    Other transfers (tiny inputs, whole outputs) run without bars to keep the text readable.
    """
    inductiva.progress = False
    pdb, case = _prepare_inputs(work)
    synthetic = inductiva.simulators.Synthetic()

    _heading("Submitting asynchronously (returns at once)")
    long_task = synthetic.run(duration=120, run_async=True)
    print(f"long synthetic task: {long_task.id}, status {long_task.get_status()!r}")
    protein = inductiva.molecules.ProteinSolvation(protein_pdb=pdb)
    protein_task = protein.simulate(simulation_time_ns=0.1, temperature=310, run_async=True)
    print(f"protein solvation task: {protein_task.id}, status {protein_task.get_status()!r}")

    _heading("Submitting synchronously (blocks; Ctrl-C would kill the remote task)")
    openfoam_task = inductiva.simulators.OpenFOAM().run(
        input_dir=case, commands=["blockMesh", "simpleFoam"], n_vcpus=4
    )
    print(f"OpenFOAM task {openfoam_task.id} finished: {openfoam_task.get_status()!r}")
    files_task = synthetic.run(
        duration=1,
        stdout="demo run\n",
        files=[("important_file1.txt", 3_984_589), ("important_file2.txt", 1_331_692)],
    )
    print(f"synthetic task {files_task.id} finished: {files_task.get_status()!r}")

    _heading("Waiting for the async protein task, then reading its output")
    print(f"final status: {protein_task.wait(timeout=60)!r}")
    output = protein_task.get_output(output_dir=work / "outputs" / protein_task.id)
    if isinstance(output, ProteinSolvationOutput):
        print(f"output in {output.path}; first energies (ps, kJ/mol): {output.energies()[:3]}")
    foam = openfoam_task.get_output(output_dir=work / "outputs" / openfoam_task.id)
    if isinstance(foam, OpenFOAMOutput):
        coefficients = foam.force_coefficients()[-1]
        print(f"OpenFOAM time steps: {foam.time_steps()}; last Cd/Cl: {coefficients}")

    _heading("Output files of a task")
    print(files_task.get_output_files_info())

    _heading("Downloading selected files (with a progress bar)")
    inductiva.progress = bars
    selected = files_task.download_outputs(
        filenames=["important_file1.txt", "important_file2.txt"],
        output_dir=work / "outputs" / files_task.id,
    )
    inductiva.progress = False
    print(f"downloaded: {sorted(p.name for p in selected.iterdir())} into {selected}")

    _heading("Killing the long task")
    print(f"status after kill(): {long_task.kill(wait_timeout=30)!r}")

    _heading("Execution times and machine types")
    for task in (protein_task, openfoam_task, files_task, long_task):
        seconds = task.get_execution_time()
        shown = "n/a" if seconds is None else f"{seconds:.2f} s"
        print(f"{task.id}: {shown} on {task.get_machine_type() or 'n/a'}")

    _heading("inductiva.tasks.list(10)")
    inductiva.tasks.list(10)
    _heading("inductiva.tasks.list(5, status='success')")
    inductiva.tasks.list(5, status="success")


def _legacy_tour(work: pathlib.Path, launcher: Any) -> None:
    """Waits and partial downloads against a server without our extensions."""
    _heading("A server that speaks only the real API (no long-poll, no ranges, no /version)")
    with launcher.MockServer(
        data_dir=work / "legacy-data", api_keys=("demo-key",), legacy=True
    ) as server:
        inductiva.api_url = server.url
        _http.reset()
        task = inductiva.simulators.Synthetic().run(
            duration=1,
            files=[("important_file1.txt", 3_984_589), ("bulk.bin", 32_000_000)],
            compressible=False,
        )
        print(f"synthetic task {task.id} finished: {task.get_status()!r} (polled with backoff)")
        size = task.get_output_files_info().size
        server.reset_stats()
        selected = task.download_outputs(
            filenames=["important_file1.txt"], output_dir=work / "outputs" / task.id
        )
        sent = server.stats()["bytes_sent_output"]
        print(
            f"downloaded {sorted(p.name for p in selected.iterdir())}: the server sent "
            f"{format_bytes(sent)} of a {format_bytes(size)} archive (?filename= subset)"
        )


MARK = ".inductiva-demo"
"""Marks a directory the demo made: the next run may empty it."""


def _fresh(work: pathlib.Path) -> None:
    """Make ``work`` an empty directory of the demo's.

    A directory of an earlier run (marked, or holding ``mock-data/``) is emptied; any other
    non-empty one is refused (ValueError): ``--dir ~/project`` must not wipe a project.
    OSError when it cannot be created.
    """
    if work.is_dir() and any(work.iterdir()):
        if not ((work / MARK).exists() or (work / "mock-data").is_dir()):
            raise ValueError("it is a directory with files the demo did not make; pick a new one")
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    (work / MARK).write_text("made by python -m inductiva.demo; emptied by its next run\n")


def main(argv: list[str] | None = None) -> int:
    """Run the tour against a fresh mock server; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m inductiva.demo", description=__doc__)
    parser.add_argument("--dir", type=pathlib.Path, default=pathlib.Path(".demo"))
    args = parser.parse_args(argv)
    try:  # the mock backend is an optional extra, untyped: imported dynamically
        launcher: Any = importlib.import_module("inductiva_mock.launcher")
    except ImportError:
        print("The demo needs the mock server: pip install -e '.[mock]'", file=sys.stderr)
        return 1
    work: pathlib.Path = args.dir.resolve()
    try:
        _fresh(work)
    except (OSError, ValueError) as exc:
        why = f"{exc.strerror} ({exc.filename})" if isinstance(exc, OSError) else str(exc)
        print(f"{parser.prog}: error: cannot use --dir {args.dir}: {why}", file=sys.stderr)
        return 2
    started = time.monotonic()
    with launcher.MockServer(data_dir=work / "mock-data", api_keys=("demo-key",)) as server:
        print(f"Mock server at {server.url} (state in {work / 'mock-data'})")
        inductiva.api_url, inductiva.api_key = server.url, "demo-key"
        previous, bars = inductiva.progress, progress_enabled()  # honours INDUCTIVA_PROGRESS
        _http.reset()
        try:
            _tour(work, bars)
            _legacy_tour(work, launcher)
        finally:
            inductiva.progress = previous
            _http.reset()
    print(f"\nDemo finished in {time.monotonic() - started:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
