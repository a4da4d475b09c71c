"""inductiva.simulators on httpx.MockTransport: OpenFOAM, GROMACS and Synthetic validate their
arguments before any request, submit the era's methods and parameters, and OpenFOAMOutput."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Iterator

import pytest
from task_fakes import FakeApi, input_zip, installed, multipart_parts

import inductiva
from inductiva import errors
from inductiva.simulators import ForceCoefficients, OpenFOAMOutput


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
    """The in-memory API behind the default client, on simulated time."""
    yield from installed(monkeypatch)


@pytest.fixture
def case(tmp_path: pathlib.Path) -> pathlib.Path:
    """A minimal OpenFOAM case directory."""
    (tmp_path / "case" / "system").mkdir(parents=True)
    (tmp_path / "case" / "system" / "controlDict").write_text("application simpleFoam;\n")
    return tmp_path / "case"


def _upload(api: FakeApi) -> tuple[dict[str, bytes], dict[str, object]]:
    """The input zip of the one upload so far, and its input.json."""
    [request] = [r for r in api.requests if r.url.path.endswith("/input")]
    parts = multipart_parts(request)
    assert list(parts) == ["file"]
    return input_zip(parts["file"][1])


def _submissions(api: FakeApi) -> list[tuple[dict[str, object], str]]:
    return [
        (json.loads(r.content), r.headers.get("Idempotency-Key", ""))
        for r in api.requests
        if r.url.path == "/tasks/submit"
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"commands": []}, "non-empty list"),
        ({"commands": "simpleFoam"}, "non-empty list"),
        ({"commands": ["blockMesh", " "]}, "non-empty string"),
        ({"commands": ["simpleFoam"], "n_vcpus": 0}, "n_vcpus"),
    ],
)
def test_openfoam_validates_arguments(
    fake_api: FakeApi, case: pathlib.Path, kwargs: dict[str, object], message: str
) -> None:
    """Empty or malformed commands and bad n_vcpus are rejected before any request."""
    with pytest.raises(errors.InvalidArgumentError, match=message):
        inductiva.simulators.OpenFOAM().run(input_dir=case, **kwargs)  # type: ignore[arg-type]
    assert fake_api.requests == []


def test_openfoam_missing_input_dir(fake_api: FakeApi, tmp_path: pathlib.Path) -> None:
    """A missing input_dir is an InvalidArgumentError naming it."""
    with pytest.raises(errors.InvalidArgumentError, match="missing_case"):
        inductiva.simulators.OpenFOAM().run(input_dir=tmp_path / "missing_case", commands=["x"])
    assert fake_api.requests == []


def test_openfoam_submits_commands(fake_api: FakeApi, case: pathlib.Path) -> None:
    """run() sends the era's method and params: sim_dir, commands with prompts, n_cores."""
    inductiva.simulators.OpenFOAM().run(
        input_dir=case,
        commands=["blockMesh", {"cmd": "simpleFoam", "prompts": ["y"]}],
        n_cores=4,
        run_async=True,
    )
    [(body, _)] = _submissions(fake_api)
    assert body == {
        "method": "fvm.openfoam.run_simulation",
        "params": {
            "sim_dir": "sim_dir",
            "commands": [
                {"cmd": "blockMesh", "prompts": []},
                {"cmd": "simpleFoam", "prompts": ["y"]},
            ],
            "n_cores": 4,
        },
    }
    members, document = _upload(fake_api)
    assert sorted(members) == ["input.json", "sim_dir/", "sim_dir/system/controlDict"]
    assert document == body["params"]


def test_openfoam_still_takes_n_vcpus(fake_api: FakeApi, case: pathlib.Path) -> None:
    """n_vcpus (the former name) is sent as n_cores; disagreeing with n_cores is an error."""
    openfoam = inductiva.simulators.OpenFOAM()
    openfoam.run(input_dir=case, commands=["simpleFoam"], n_vcpus=3, run_async=True)
    [(body, _)] = _submissions(fake_api)
    assert body["params"]["n_cores"] == 3  # type: ignore[index]
    with pytest.raises(errors.InvalidArgumentError, match="disagree"):
        openfoam.run(input_dir=case, commands=["simpleFoam"], n_cores=2, n_vcpus=3)


@pytest.mark.parametrize(
    "bad", [{"cmd": ""}, {"cmd": "x", "prompts": "SOL"}, {"cmd": "x", "other": 1}, 3]
)
def test_malformed_command_dicts_are_rejected(
    fake_api: FakeApi, case: pathlib.Path, bad: object
) -> None:
    """A command dict without a cmd, with prompts not a list, or with other keys is rejected."""
    with pytest.raises(errors.InvalidArgumentError, match="cmd"):
        inductiva.simulators.GROMACS().run(input_dir=case, commands=[bad])  # type: ignore[list-item]
    assert fake_api.requests == []


def test_gromacs_and_synthetic_method_names(fake_api: FakeApi, case: pathlib.Path) -> None:
    """GROMACS submits md.gromacs.run_simulation, Synthetic test.synthetic.run_simulation."""
    gromacs = inductiva.simulators.GROMACS()
    gromacs.run(input_dir=case, commands=["gmx mdrun -deffnm md"], run_async=True)
    inductiva.simulators.Synthetic().run(duration=1, files=[("a.bin", 10)], run_async=True)
    first, second = (body for body, _ in _submissions(fake_api))
    command = {"cmd": "gmx mdrun -deffnm md", "prompts": []}
    assert first == {
        "method": "md.gromacs.run_simulation",
        "params": {"sim_dir": "sim_dir", "commands": [command]},
    }
    assert second["method"] == "test.synthetic.run_simulation"
    params = second["params"]
    assert isinstance(params, dict) and params["sim_dir"] == "sim_dir"
    assert params["files"] == [{"name": "a.bin", "size": 10, "compressible": True}]


def test_openfoam_output_parses_files(tmp_path: pathlib.Path) -> None:
    """OpenFOAMOutput reads logs, time directories and force coefficients."""
    (tmp_path / "log.simpleFoam").write_text("End\n")
    (tmp_path / "log.blockMesh").write_text("mesh\n")
    for name in ("100", "0.5", "constant"):
        (tmp_path / name).mkdir()
    coeffs = tmp_path / "postProcessing" / "forceCoeffs" / "0"
    coeffs.mkdir(parents=True)
    (coeffs / "coefficient.dat").write_text("# Force\n# Time Cd Cl\n1\t0.5\t0.01\n2\t0.45\t-0.02\n")
    output = OpenFOAMOutput(tmp_path)
    assert output.logs() == {"blockMesh": "mesh\n", "simpleFoam": "End\n"}
    assert output.time_steps() == [0.5, 100.0]
    assert output.force_coefficients() == [
        ForceCoefficients(1.0, 0.5, 0.01),
        ForceCoefficients(2.0, 0.45, -0.02),
    ]
