"""The maintainer's drill: backend changes applied to a copy of the spec flow through codegen.

Each scenario edits a temporary copy of openapi.yaml, regenerates the client
with ``scripts/generate.py --spec ... --target ...`` and checks the outcome the
README's "Regenerating after a backend change" promises. One variant carries
the runtime changes (a new Task field, a new final status, a removed endpoint);
a second one renames a query parameter.

The second half replays the real API's own history (``drill/real_changes.py``:
what the vendor changed between client v0.3.5 and v0.8.0): each change must be
refused by ``scripts/check_contract.py`` until it is versioned and announced as
its class requires, and the additive and breaking groups must regenerate
cleanly. ``real_variant(name)`` (and ``additive_variant``/``breaking_variant``)
give a regenerated variant, built once per module, for further assertions:
``variant.target`` holds its ``inductiva_api``, ``variant.env()`` puts it first on
``PYTHONPATH``, ``variant.spec_path`` is its spec (e.g. for a mock server).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from drill.real_changes import BREAKING, CHANGES, RealChange, changelog_section
from drill.variants import (
    VARIANTS,
    Variant,
    apply,
    build_variant,
    bumped,
    current_spec,
    describe,
    run_check,
)

ROOT = Path(__file__).resolve().parent.parent
GENERATE = [sys.executable, str(ROOT / "scripts" / "generate.py")]


def _regenerate(tmp: Path, edit: object) -> Path:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    edit(spec)  # type: ignore[operator]
    path = tmp / "openapi.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    target = tmp / "gen"
    proc = subprocess.run(
        [*GENERATE, "--spec", str(path), "--target", str(target)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return target


def _runtime_changes(spec: dict) -> None:
    schemas = spec["components"]["schemas"]
    schemas["Task"]["properties"]["cost_usd"] = {"type": "number", "nullable": True}
    schemas["TaskStatusCode"]["enum"].append("expired")
    schemas["TaskStatusCode"]["x-final-statuses"].append("expired")
    del spec["paths"]["/tasks/{task_id}/kill"]
    cost = {"type": "object", "properties": {"usd": {"type": "number"}}}
    spec["paths"]["/tasks/{task_id}/cost"] = {
        "get": {
            "tags": ["tasks"],
            "operationId": "get_task_cost",
            "parameters": [{"$ref": "#/components/parameters/TaskId"}],
            "responses": {
                "200": {"description": "Cost", "content": {"application/json": {"schema": cost}}},
                "422": {"$ref": "#/components/responses/UnprocessableEntity"},
            },
        }
    }


def _renamed_parameter(spec: dict) -> None:
    params = spec["paths"]["/tasks/{task_id}/status"]["get"]["parameters"]
    (param,) = [p for p in params if p.get("name") == "wait_seconds"]
    param["name"] = "wait"


@pytest.fixture(scope="module")
def runtime_variant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Regenerated with cost_usd, a final status `expired`, a cost endpoint and no kill one."""
    return _regenerate(tmp_path_factory.mktemp("runtime"), _runtime_changes)


# `make typecheck`'s settings, with the regenerated package in place of generated/. The
# checked-in generated/ is also on sys.path (editable install), where mypy would find a
# removed endpoint's module: the wrapper hides it, so only the regenerated package counts.
MYPY_CONFIG = """[mypy]
strict = True
python_version = 3.11
mypy_path = {target}:{mock}

[mypy-inductiva_api.*]
ignore_errors = True
"""
MYPY_RUN = """
import sys
sys.path[:] = [p for p in sys.path if p != {hidden!r}]
from mypy.__main__ import console_entry
sys.argv = ["mypy", *{args!r}]
console_entry()
"""


def _mypy(target: Path, tmp: Path) -> subprocess.CompletedProcess[str]:
    """`mypy --strict inductiva` against the package in ``target``."""
    config = tmp / "mypy.ini"
    config.write_text(MYPY_CONFIG.format(target=target, mock=ROOT / "mock_server"))
    args = ["--config-file", str(config), "--cache-dir", str(tmp / "cache"), "inductiva"]
    code = MYPY_RUN.format(hidden=str(ROOT / "generated"), args=args)
    env = {k: v for k, v in os.environ.items() if k != "MYPYPATH"}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )


TASK = {
    "task_id": "1691150776862178362",
    "status": "expired",
    "method_name": "fvm.openfoam.run_simulation",
    "create_time": "2023-08-04T12:06:17+00:00",
    "cost_usd": 1.5,
}

SCRIPT = """
import io, json, contextlib, httpx, inductiva_api, inductiva
from inductiva import _http, cli
assert inductiva_api.__file__.startswith(TARGET), inductiva_api.__file__
body = json.loads(BODY)
def handler(request):
    if request.url.path.endswith("/status"):
        return httpx.Response(200, json={"id": body["task_id"], "status": "expired"})
    if request.url.path.endswith("/cost"):
        assert request.headers["X-API-Key"] == "k"
        return httpx.Response(200, json={"usd": 2.5})
    return httpx.Response(200, json=body)
_http.set_transport(httpx.MockTransport(handler))
inductiva.api_key, inductiva.api_url = "k", "http://mock.invalid"
task = inductiva.Task(body["task_id"])
print("wait:", task.wait(timeout=5))
print("cost_usd:", task.get_info().cost_usd)
out = io.StringIO()
with contextlib.redirect_stdout(out):
    cli.main(["tasks", "info", body["task_id"]])
from inductiva_api.api.tasks import get_task_cost
print("endpoint:", inductiva.api.call(get_task_cost.sync_detailed, task_id=body["task_id"]).usd)
print("cli:", [line for line in out.getvalue().splitlines() if line.startswith("cost_usd")])
"""


def test_drill_runtime_changes_reach_users_without_hand_edits(runtime_variant: Path) -> None:
    """New field on TaskInfo and `tasks info`; new final status ends wait(); new endpoint works."""
    script = SCRIPT.replace("TARGET", repr(str(runtime_variant)))
    script = script.replace("BODY", repr(json.dumps(TASK)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(runtime_variant), str(ROOT)])}
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert "wait: expired" in lines
    assert "cost_usd: 1.5" in lines
    assert "endpoint: 2.5" in lines
    assert any(line.startswith("cli: ['cost_usd:") and "1.5" in line for line in lines), lines


def test_drill_removed_endpoint_fails_the_type_check(runtime_variant: Path, tmp_path: Path) -> None:
    """An endpoint removed from the spec fails `make typecheck` on inductiva/, naming it."""
    proc = _mypy(runtime_variant, tmp_path)
    assert proc.returncode == 1, proc.stdout
    errors = [line for line in proc.stdout.splitlines() if ": error:" in line]
    assert errors and all("kill_task" in line for line in errors), proc.stdout


def test_drill_renamed_query_parameter_fails_the_type_check(tmp_path: Path) -> None:
    """wait_seconds renamed to wait in the spec: mypy --strict on inductiva/ fails at the call."""
    target = _regenerate(tmp_path, _renamed_parameter)
    proc = _mypy(target, tmp_path)
    assert proc.returncode == 1, proc.stdout
    assert "inductiva/task.py" in proc.stdout and "wait_seconds" in proc.stdout, proc.stdout


def test_checked_in_package_type_checks_against_checked_in_client(tmp_path: Path) -> None:
    """Control for the drill: the same mypy command passes on the unchanged client."""
    proc = _mypy(ROOT / "generated", tmp_path)
    assert proc.returncode == 0, proc.stdout


GOOD = """
import inductiva
from inductiva_api.api.tasks import get_task_status

status = inductiva.api.call(get_task_status.sync_detailed, task_id="1", wait_seconds=2.0)
print(status.id)
"""
BAD = """
import inductiva
from inductiva_api.api.tasks import get_task_status

inductiva.api.call(get_task_status.sync_detailed, task_id="1", wait_secs=2.0)
"""


def test_call_helper_type_checks_endpoint_arguments(tmp_path: Path) -> None:
    """mypy --strict rejects a misspelt parameter passed through call(); a good call passes."""
    (tmp_path / "good.py").write_text(GOOD)
    (tmp_path / "bad.py").write_text(BAD)
    cmd = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache")]
    proc = subprocess.run(
        [*cmd, str(tmp_path / "good.py"), str(tmp_path / "bad.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    errors = [line for line in proc.stdout.splitlines() if ": error:" in line]
    assert proc.returncode == 1 and errors, proc.stdout
    assert all(line.startswith(str(tmp_path / "bad.py")) for line in errors), proc.stdout
    assert 'Unexpected keyword argument "wait_secs"' in proc.stdout


# --- the real API's history (client v0.3.5 -> v0.8.0) ------------------------------------

ADDITIVE = tuple(c for c in CHANGES if not c.breaking)
CURRENT = str(current_spec()["info"]["version"])
PATCH, BREAKING_VERSION = bumped(CURRENT, breaking=False), bumped(CURRENT, breaking=True)


def _name(change: RealChange) -> str:
    return change.name


@pytest.fixture(scope="module")
def real_variant(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Variant]:
    """``real_variant("additive" | "breaking")``: the variant regenerated, once per module."""
    built: dict[str, Variant] = {}

    def get(name: str) -> Variant:
        if name not in built:
            built[name] = build_variant(name, tmp_path_factory.mktemp(f"real-{name}"))
        return built[name]

    return get


@pytest.fixture(scope="module")
def additive_variant(real_variant: Callable[[str], Variant]) -> Variant:
    """Every real additive change, regenerated (version: a patch bump)."""
    return real_variant("additive")


@pytest.fixture(scope="module")
def breaking_variant(real_variant: Callable[[str], Variant]) -> Variant:
    """Every real breaking change, regenerated (version: the breaking bump)."""
    return real_variant("breaking")


@pytest.mark.parametrize("change", BREAKING, ids=_name)
def test_real_breaking_change_is_refused_until_announced(
    tmp_path: Path, change: RealChange
) -> None:
    """A real breaking change fails check-contract, naming it, until a minor bump names it."""
    announced = changelog_section(PATCH, [change])
    proc = run_check(apply([change], PATCH), tmp_path, announced)
    assert proc.returncode == 1, proc.stdout
    assert f"breaking changes need a major version (0.x: minor), {BREAKING_VERSION}" in proc.stdout
    spec = apply([change], BREAKING_VERSION)
    proc = run_check(spec, tmp_path, f"## {BREAKING_VERSION}\n\n- changes\n")
    assert proc.returncode == 1, proc.stdout
    for subject in change.subjects:
        assert f"name `{subject}` in CHANGELOG.md" in proc.stdout, proc.stdout
    proc = run_check(spec, tmp_path, changelog_section(BREAKING_VERSION, [change]))
    assert proc.returncode == 0, proc.stdout


@pytest.mark.parametrize("change", ADDITIVE, ids=_name)
def test_real_additive_change_passes_once_versioned(tmp_path: Path, change: RealChange) -> None:
    """A real additive change needs a version bump and a CHANGELOG section, and nothing else."""
    section = changelog_section(PATCH, [change])
    proc = run_check(apply([change], CURRENT), tmp_path, section)
    assert proc.returncode == 1 and f"info.version is {CURRENT}" in proc.stdout, proc.stdout
    proc = run_check(apply([change], PATCH), tmp_path, "# Changelog\n")
    assert proc.returncode == 1 and f"no '## {PATCH}' section" in proc.stdout, proc.stdout
    proc = run_check(apply([change], PATCH), tmp_path, section)
    assert proc.returncode == 0, proc.stdout


def test_real_changes_cover_both_classes() -> None:
    """The catalogue holds the issue's changes: each named one, additive and breaking alike."""
    names = {c.name: c.kind for c in CHANGES}
    assert names["new_endpoint"] == names["new_required_task_field"] == "additive"
    assert names["new_filter_param"] == "additive"
    for name in ("schema_rename", "tightened_bound", "removed_param", "media_type_change"):
        assert names[name] == "breaking", name
    assert all(c.subjects for c in BREAKING) and not any(c.subjects for c in ADDITIVE)
    assert set(VARIANTS["additive"]) | set(VARIANTS["breaking"]) == set(CHANGES)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_real_change_variant_passes_the_check_when_announced(
    real_variant: Callable[[str], Variant], tmp_path: Path, name: str
) -> None:
    """All the variant's changes released together pass check-contract with its CHANGELOG."""
    variant = real_variant(name)
    spec = yaml.safe_load(variant.spec_path.read_text(encoding="utf-8"))
    proc = run_check(spec, tmp_path, variant.changelog)
    assert proc.returncode == 0, proc.stdout


def _facts(variant: Variant) -> dict[str, Any]:
    facts = describe(variant)
    assert facts["file"].startswith(str(variant.target)), facts["file"]
    assert facts["version"] == variant.version
    return facts


def test_regenerated_additive_variant_offers_the_new_api(additive_variant: Variant) -> None:
    """Additive variant: regenerates, imports, and has the new endpoints, fields and statuses."""
    facts = _facts(additive_variant)
    endpoints, models = facts["endpoints"], facts["models"]
    new = {"get_task_position_in_queue", "delete_task", "get_input_upload_url"}
    assert new | {"notify_input_uploaded", "get_output_download_url"} <= set(endpoints)
    assert "project" in endpoints["list_tasks"]["parameters"]
    assert {"project", "storage_path", "cost", "computation_start_time"} <= set(models["Task"])
    assert {"project", "time_to_live_seconds"} <= set(models["TaskRequest"])
    assert "n_mpi_hosts" in models["GCloudExecuter"]
    assert "position_in_queue" in models["TaskStatus"]
    assert {"zombie", "ttl-exceeded", "computation-started"} <= set(models["TaskStatusCode"])
    assert {"zombie", "ttl-exceeded"} <= set(facts["final_statuses"])
    assert "computation-started" not in facts["final_statuses"]


def test_regenerated_breaking_variant_has_the_new_shapes(breaking_variant: Variant) -> None:
    """Breaking variant: regenerates, imports, and has Executer, a File upload, no filename."""
    facts = _facts(breaking_variant)
    endpoints, models = facts["endpoints"], facts["models"]
    assert "Executer" in models and "GCloudExecuter" not in models
    assert "BodyUploadTaskInput" not in models
    assert "File" in endpoints["upload_task_input"]["parameters"]["body"]
    assert "filename" not in endpoints["download_task_output"]["parameters"]
    assert "params" not in models["TaskRequest"]
    assert "TaskSubmittedInfo" in endpoints["submit_task"]["returns"]
