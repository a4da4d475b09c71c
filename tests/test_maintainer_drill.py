"""The maintainer's drill: backend changes applied to a copy of the spec flow through codegen.

Each scenario edits a temporary copy of openapi.yaml, regenerates the client
with ``scripts/generate.py --spec ... --target ...`` and checks the outcome the
README's "Regenerating after a backend change" promises. One variant carries
the runtime changes (a new Task field, a new final status, a removed endpoint);
a second one renames a query parameter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

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
from inductiva import _client, cli
assert inductiva_api.__file__.startswith(TARGET), inductiva_api.__file__
body = json.loads(BODY)
def handler(request):
    if request.url.path.endswith("/status"):
        return httpx.Response(200, json={"id": body["task_id"], "status": "expired"})
    if request.url.path.endswith("/cost"):
        assert request.headers["X-API-Key"] == "k"
        return httpx.Response(200, json={"usd": 2.5})
    return httpx.Response(200, json=body)
_client.set_transport(httpx.MockTransport(handler))
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
