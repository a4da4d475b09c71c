"""inductiva._outputs: the output class of each task method (registry) and the generic
TaskOutput."""

from __future__ import annotations

import pathlib

import pytest

import inductiva
from inductiva._outputs import TaskOutput, output_class, register_output
from inductiva.molecules import ProteinSolvationOutput
from inductiva.simulators import OpenFOAMOutput


def test_protein_solvation_output_is_registered_for_the_method() -> None:
    """get_output() of protein_solvation.gromacs.run_simulation is a ProteinSolvationOutput."""
    assert output_class("protein_solvation.gromacs.run_simulation") is ProteinSolvationOutput
    assert output_class("fvm.openfoam.run_simulation") is OpenFOAMOutput


def test_generic_output_and_registry(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unknown methods get TaskOutput; register_output adds a class for a method."""
    monkeypatch.setattr("inductiva._outputs._REGISTRY", dict(inductiva._outputs._REGISTRY))
    (tmp_path / "stdout.txt").write_text("hello")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "f.txt").write_text("")
    output = output_class("new.thing.run")(tmp_path)
    assert type(output) is TaskOutput and output.stdout() == "hello"
    assert output.files() == ["stdout.txt", "sub/f.txt"]

    class Mine(TaskOutput):
        pass

    register_output("mine.run", Mine)
    assert output_class("mine.run") is Mine
