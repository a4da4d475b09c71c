"""inductiva.simulators on httpx.MockTransport: OpenFOAM, GROMACS and Synthetic validate their
arguments before any request, submit the era's methods and parameters, and OpenFOAMOutput."""

from __future__ import annotations

import asyncio
import inspect
import json
import pathlib
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from task_fakes import FakeApi, cancel_when, input_zip, installed, multipart_parts

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


@pytest.mark.parametrize("bad", [("a.bin",), ("a.bin", -1), ("", 3), ("a", 1.5), ("a", True), "a"])
def test_synthetic_files_must_be_name_size_pairs(fake_api: FakeApi, bad: object) -> None:
    """Synthetic's files entries other than (name, size >= 0) are refused before any request."""
    with pytest.raises(errors.InvalidArgumentError, match=r"\(name, size in bytes\) pair"):
        inductiva.simulators.Synthetic().run(files=[bad], run_async=True)  # type: ignore[list-item]
    assert fake_api.requests == []


@pytest.mark.parametrize("bad", [None, 3, "a.bin", {"a.bin": 3}])
def test_synthetic_files_must_be_a_list(fake_api: FakeApi, bad: object) -> None:
    """Synthetic's files must be a list of pairs; anything else is refused before any request."""
    with pytest.raises(errors.InvalidArgumentError, match="files must be a list"):
        inductiva.simulators.Synthetic().run(files=bad, run_async=True)  # type: ignore[arg-type]
    assert fake_api.requests == []


@pytest.mark.parametrize("bad", [None, 3, True, ["case"], ""])
def test_input_dir_that_is_not_a_path_is_rejected(fake_api: FakeApi, bad: object) -> None:
    """An input_dir that is not a non-empty str/Path is an InvalidArgumentError naming it."""
    with pytest.raises(errors.InvalidArgumentError, match="input_dir"):
        inductiva.simulators.OpenFOAM().run(input_dir=bad, commands=["x"], run_async=True)  # type: ignore[arg-type]
    assert fake_api.requests == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"exit_code": 256},
        {"exit_code": -1},
        {"exit_code": "1"},
        {"exit_code": None},
        {"stdout": 3},
        {"stderr": None},
        {"duration": float("nan")},
        {"duration": 10**400},
    ],
)
def test_synthetic_arguments_are_checked(fake_api: FakeApi, kwargs: dict[str, object]) -> None:
    """Synthetic's exit_code (0-255), stdout/stderr (str) and duration are checked up front."""
    name = next(iter(kwargs))
    with pytest.raises(errors.InvalidArgumentError, match=name):
        inductiva.simulators.Synthetic().run(run_async=True, **kwargs)  # type: ignore[arg-type]
    assert fake_api.requests == []


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


def _simulators(case: pathlib.Path) -> dict[str, tuple[object, dict[str, object]]]:
    """Each simulator with run() keywords that submit a valid task."""
    return {
        "OpenFOAM": (
            inductiva.simulators.OpenFOAM(),
            {"input_dir": case, "commands": ["simpleFoam"], "n_cores": 2},
        ),
        "GROMACS": (inductiva.simulators.GROMACS(), {"input_dir": case, "commands": ["gmx"]}),
        "Synthetic": (inductiva.simulators.Synthetic(), {"duration": 1, "files": [("f", 3)]}),
    }


@pytest.mark.parametrize("name", ["OpenFOAM", "GROMACS", "Synthetic"])
def test_run_async_submits_what_run_submits(
    fake_api: FakeApi, case: pathlib.Path, name: str
) -> None:
    """await run_async(...) sends the same method, params and input files as run(...)."""
    simulator, kwargs = _simulators(case)[name]
    blocking = simulator.run(**kwargs, run_async=True)  # type: ignore[attr-defined]
    awaited = asyncio.run(simulator.run_async(**kwargs, run_async=True))  # type: ignore[attr-defined]
    assert isinstance(awaited, inductiva.Task) and awaited.id != blocking.id
    first, second = (body for body, _ in _submissions(fake_api))
    assert first == second and first["method"] == simulator.method_name  # type: ignore[attr-defined]
    uploads = [r for r in fake_api.requests if r.url.path.endswith("/input")]
    zips = [input_zip(multipart_parts(r)["file"][1]) for r in uploads]
    assert zips[0] == zips[1]


@pytest.mark.parametrize("name", ["OpenFOAM", "GROMACS", "Synthetic"])
def test_run_async_awaits_the_end_of_the_task(
    fake_api: FakeApi, case: pathlib.Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Without run_async=True, await run_async(...) returns once the task has finished."""
    simulator, kwargs = _simulators(case)[name]
    register = fake_api._submit

    def finishing_later(request: httpx.Request) -> httpx.Response:
        answer = register(request)
        fake_api.at(answer.json()["id"], fake_api.clock.now + 90, "success")
        return answer

    monkeypatch.setattr(fake_api, "_submit", finishing_later)
    task = asyncio.run(simulator.run_async(**kwargs))  # type: ignore[attr-defined]
    assert fake_api.tasks[task.id]["status"] == "success"


@pytest.mark.parametrize("name", ["OpenFOAM", "GROMACS", "Synthetic"])
def test_run_async_checks_arguments_before_any_request(
    fake_api: FakeApi, case: pathlib.Path, name: str
) -> None:
    """A bad argument fails run_async as it fails run: before any request."""
    simulator, _ = _simulators(case)[name]
    bad = {"duration": -1} if name == "Synthetic" else {"input_dir": case, "commands": []}
    with pytest.raises(errors.InvalidArgumentError):
        asyncio.run(simulator.run_async(**bad))  # type: ignore[attr-defined]
    assert fake_api.requests == []


@pytest.mark.parametrize("name", ["OpenFOAM", "GROMACS", "Synthetic"])
def test_cancelled_run_async_kills_the_task(
    case: pathlib.Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Cancelling run_async while it waits kills the remote task, then the cancel goes on."""
    api = FakeApi()

    async def main() -> None:
        with api.client() as client:
            simulator, kwargs = _simulators(case)[name]
            simulator.client = client  # type: ignore[attr-defined]
            job = simulator.run_async(**kwargs)  # type: ignore[attr-defined]
            await cancel_when(
                job, lambda: any(r.url.path.endswith("/status") for r in api.requests)
            )

    asyncio.run(main())
    [task] = api.tasks.values()
    assert task["status"] == "killed"


def test_twins_have_the_same_signature_and_say_what_they_are() -> None:
    """run and run_async take the same arguments; each is named and documented as itself."""
    for cls in (
        inductiva.simulators.OpenFOAM,
        inductiva.simulators.GROMACS,
        inductiva.simulators.Synthetic,
    ):
        run, run_async = cls.run, cls.run_async
        assert inspect.signature(run) == inspect.signature(run_async)
        assert (run.__name__, run_async.__name__) == ("run", "run_async")
        assert inspect.iscoroutinefunction(run_async) and not inspect.iscoroutinefunction(run)
        assert "asyncio twin of :meth:`run`" in (run_async.__doc__ or "")
        assert str(inspect.signature(run).return_annotation).startswith("Task[")


_hostile = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.just(10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.lists(st.one_of(st.text(max_size=4), st.integers(-3, 3)), max_size=3),
    st.tuples(st.text(max_size=4), st.integers(-3, 10**3)).map(lambda pair: [pair]),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.builds(object),
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    target=st.sampled_from(
        [
            ("Synthetic", "duration"),
            ("Synthetic", "exit_code"),
            ("Synthetic", "stdout"),
            ("Synthetic", "files"),
            ("Synthetic", "compressible"),
            ("OpenFOAM", "commands"),
            ("OpenFOAM", "n_cores"),
            ("OpenFOAM", "input_dir"),
            ("GROMACS", "commands"),
            ("ProteinSolvation", "simulation_time_ns"),
            ("ProteinSolvation", "temperature"),
            ("ProteinSolvation", "n_steps_min"),
            ("ProteinSolvation", "integrator"),
        ]
    ),
    value=_hostile,
)
def test_any_argument_value_submits_or_is_an_inductiva_error(
    fake_api: FakeApi, case: pathlib.Path, target: tuple[str, str], value: object
) -> None:
    """Hostile values for any submission argument submit, or raise an InductivaError first."""
    kind, name = target
    before = len(fake_api.requests)
    try:
        if kind == "ProteinSolvation":
            pdb = case / "p.pdb"
            pdb.write_text("ATOM\n")
            scenario = inductiva.molecules.ProteinSolvation(protein_pdb=pdb)
            scenario.simulate(run_async=True, **{name: value})
        else:
            simulator = getattr(inductiva.simulators, kind)()
            args: dict[str, object] = {"run_async": True}
            if kind != "Synthetic":
                args.update(input_dir=case, commands=["x"])
            simulator.run(**{**args, name: value})
    except errors.InvalidArgumentError:
        assert len(fake_api.requests) == before  # refused before any request
    except errors.InductivaError:
        pass
