"""The mock follows the spec it serves: additive changes need no hand-written mock code.

One mock serves a later spec: a new JSON operation, a new binary-only operation, a new
required Task field, a Task property removed and a new optional filter of GET /tasks.
Responses are validated strictly, so every answer below also conforms to that spec.
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from inductiva_mock.launcher import MockServer
from mock_helpers import SYNTHETIC, client_for, submit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from contract_source import render  # noqa: E402

SPEC: dict[str, Any] = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
TASK_ID = {"$ref": "#/components/parameters/TaskId"}
ERRORS = {
    "401": {"$ref": "#/components/responses/Unauthorized"},
    "422": {"$ref": "#/components/responses/UnprocessableEntity"},
}


def later_spec() -> dict[str, Any]:
    """openapi.yaml as a later backend might serve it."""
    spec = copy.deepcopy(SPEC)
    schemas = spec["components"]["schemas"]
    schemas["TaskCost"] = {
        "type": "object",
        "required": ["usd", "currency"],
        "properties": {
            "usd": {"type": "number", "minimum": 0.5},
            "currency": {"type": "string", "enum": ["USD", "EUR"]},
        },
    }
    currency = {"name": "currency", "in": "query", "schema": {"type": "string", "maxLength": 3}}
    spec["paths"]["/tasks/{task_id}/cost"] = {
        "get": {
            "operationId": "get_task_cost",
            "parameters": [TASK_ID, currency],
            "responses": {
                "200": {
                    "description": "Cost",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/TaskCost"}}
                    },
                },
                **ERRORS,
            },
        }
    }
    binary = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    spec["paths"]["/tasks/{task_id}/archive"] = {
        "get": {
            "operationId": "get_task_archive",
            "parameters": [TASK_ID],
            "responses": {"200": {"description": "Zip", "content": binary}, **ERRORS},
        }
    }
    task = schemas["Task"]
    task["properties"]["priority"] = {"type": "integer", "minimum": 1, "maximum": 9}
    task["required"].append("priority")
    del task["properties"]["input_submit_time"]
    spec["paths"]["/tasks"]["get"]["parameters"].append(
        {"name": "method_name", "in": "query", "schema": {"type": "string"}}
    )
    return spec


@pytest.fixture(scope="module")
def later(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    """A strict mock serving the later spec."""
    tmp = tmp_path_factory.mktemp("later-spec")
    (tmp / "openapi.yaml").write_text(yaml.safe_dump(later_spec(), sort_keys=False))
    args = ["--spec", str(tmp / "openapi.yaml")]
    server = MockServer(
        data_dir=tmp / "data", api_keys=["k"], strict_responses=True, extra_args=args
    )
    with server:
        yield server
        assert server.stats()["response_validation_errors"] == []


@pytest.fixture
def api(later: MockServer) -> Iterator[httpx.Client]:
    """A client of the later-spec mock."""
    with client_for(later, "k") as client:
        yield client


def _log(server: MockServer) -> str:
    return server.log_path.read_text(errors="replace")


def test_new_operation_answers_its_sample_and_warns(later: MockServer, api: httpx.Client) -> None:
    """An operation without a handler answers the spec's sample, and the log says so once."""
    for _ in range(2):
        r = api.get("/tasks/123/cost", params={"currency": "EUR"})
        assert r.status_code == 200, r.text
        assert r.json() == {"usd": 0.5, "currency": "USD"}
    warning = (
        "no handler for get_task_cost (GET /tasks/{task_id}/cost): answering the spec's "
        "sample; add a handler in mock_server/inductiva_mock/handlers.py"
    )
    assert _log(later).count(warning) == 1


def test_new_operation_is_authenticated_and_validated(api: httpx.Client) -> None:
    """The generic answer comes after auth and request validation, like every operation."""
    assert httpx.get(f"{api.base_url}/tasks/1/cost").status_code == 401
    r = api.get("/tasks/1/cost", params={"currency": "EURO"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "currency"]


def test_binary_only_operation_is_501_naming_it(later: MockServer, api: httpx.Client) -> None:
    """An operation that cannot be answered from a sample is a 501 saying what to add where."""
    r = api.get("/tasks/1/archive")
    assert r.status_code == 501
    detail = r.json()["detail"]
    assert "get_task_archive (GET /tasks/{task_id}/archive)" in detail
    assert "mock_server/inductiva_mock/handlers.py" in detail
    assert detail in _log(later)


def test_new_required_task_field_is_filled(later: MockServer, api: httpx.Client) -> None:
    """GET /tasks/{id} and GET /tasks carry a new required field, with its sample value."""
    task_id = submit(api, SYNTHETIC, {}, upload=False)
    assert api.get(f"/tasks/{task_id}").json()["priority"] == 1
    page = api.get("/tasks", params={"per_page": 5}).json()
    assert page and all(t["priority"] == 1 for t in page)
    assert "GET /tasks/{task_id} -> 200: Task.priority required by the spec" in _log(later)


def test_removed_task_property_is_dropped(api: httpx.Client) -> None:
    """A Task property removed from the spec is no longer in the answers."""
    task_id = submit(api, SYNTHETIC, {}, upload=False)
    assert "input_submit_time" not in api.get(f"/tasks/{task_id}").json()
    page = api.get("/tasks").json()
    assert page and not any("input_submit_time" in t for t in page)


def test_new_optional_filter_is_accepted(api: httpx.Client) -> None:
    """A new optional query parameter passes validation (the handler ignores it)."""
    assert api.get("/tasks", params={"method_name": SYNTHETIC}).status_code == 200


# `make typecheck` on the mock with a regenerated contract, the checked-in one hidden.
MYPY_RUN = """
import sys
sys.path[:] = [p for p in sys.path if p != {hidden!r}]
from mypy.__main__ import console_entry
sys.argv = ["mypy", *{args!r}]
console_entry()
"""


def test_renamed_parameter_fails_the_mock_type_check(tmp_path: Path) -> None:
    """per_page renamed in the spec: mypy --strict on the mock fails where it reads it."""
    spec = copy.deepcopy(SPEC)
    (param,) = [p for p in spec["paths"]["/tasks"]["get"]["parameters"] if p["name"] == "per_page"]
    param["name"] = "page_size"
    target = tmp_path / "gen"
    shutil.copytree(ROOT / "generated", target)
    (target / "inductiva_api" / "contract.py").write_text(render(spec), encoding="utf-8")
    config = tmp_path / "mypy.ini"
    paths = f"{target}:{ROOT / 'mock_server'}"
    config.write_text(
        f"[mypy]\nstrict = True\npython_version = 3.11\nmypy_path = {paths}\n"
        "[mypy-inductiva_api.*]\nignore_errors = True\n"
    )
    args = ["--config-file", str(config), "--cache-dir", str(tmp_path / "cache")]
    code = MYPY_RUN.format(hidden=str(ROOT / "generated"), args=[*args, "-p", "inductiva_mock"])
    env = {k: v for k, v in os.environ.items() if k != "MYPYPATH"}
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    errors = [line for line in proc.stdout.splitlines() if ": error:" in line]
    assert proc.returncode == 1 and errors, proc.stdout + proc.stderr
    assert all("handlers.py" in e and "PER_PAGE" in e for e in errors), proc.stdout
