"""Strict response validation: a response carrying an undeclared field fails."""

from __future__ import annotations

from typing import Any

import pytest
from inductiva_mock.spec import SpecRequest, SpecResponse, SpecValidator, json_bytes
from starlette.datastructures import Headers, QueryParams

TASK: dict[str, Any] = {
    "task_id": "1691150776862178362",
    "status": "started",
    "method_name": "fvm.openfoam.run_simulation",
    "create_time": "2023-09-01T10:00:00+00:00",
    "input_submit_time": None,
    "start_time": None,
    "end_time": None,
    "executer": {
        "uuid": "0b7a3f4e-0000-4000-8000-000000000000",
        "cpu_count_logical": 8,
        "cpu_count_physical": 4,
        "memory": 34359738368,
        "host_type": "gcloud",
        "vm_type": "c2-standard-8",
        "vm_name": "mock-x",
    },
}


@pytest.fixture(scope="module")
def validators() -> tuple[SpecValidator, SpecValidator]:
    """A strict and a non-strict validator of openapi.yaml."""
    return SpecValidator(strict=True), SpecValidator()


def _errors(validator: SpecValidator, path: str, status: int, body: Any) -> list[str]:
    request = SpecRequest("GET", path, QueryParams(""), Headers({"x-api-key": "k"}))
    headers = {"content-type": "application/json"}
    return validator.response_errors(request, SpecResponse(status, headers, json_bytes(body)))


def test_declared_task_passes_both(validators: tuple[SpecValidator, SpecValidator]) -> None:
    """A Task with only declared fields passes strict and non-strict validation."""
    for v in validators:
        assert _errors(v, f"/tasks/{TASK['task_id']}", 200, TASK) == []


def test_undeclared_id_on_task_fails_only_strict(
    validators: tuple[SpecValidator, SpecValidator],
) -> None:
    """A Task carrying a stale `id` field fails in strict mode and passes otherwise."""
    strict, lax = validators
    stale = {**TASK, "id": TASK["task_id"]}
    assert _errors(strict, f"/tasks/{TASK['task_id']}", 200, stale)
    assert _errors(lax, f"/tasks/{TASK['task_id']}", 200, stale) == []


def test_undeclared_fields_fail_in_nested_and_listed_objects(
    validators: tuple[SpecValidator, SpecValidator],
) -> None:
    """Extra fields in an executer, a listed Task or an error body fail strictly."""
    strict, _ = validators
    extra_executer = {**TASK, "executer": {**TASK["executer"], "n_vcpus": 8}}
    assert _errors(strict, f"/tasks/{TASK['task_id']}", 200, extra_executer)
    assert _errors(strict, "/tasks", 200, [TASK]) == []
    assert _errors(strict, "/tasks", 200, [{**TASK, "input_size_bytes": 3}])
    assert _errors(strict, "/tasks/1/status", 404, {"detail": "x"}) == []
    assert _errors(strict, "/tasks/1/status", 404, {"detail": "x", "code": "not_found"})


def test_strict_does_not_touch_free_form_objects() -> None:
    """TaskRequest.params (an object without properties) still accepts any fields."""
    from inductiva_mock.spec import load_spec_dict, strict_spec

    spec = strict_spec(load_spec_dict())
    schemas = spec["components"]["schemas"]
    assert "additionalProperties" not in schemas["TaskRequest"]["properties"]["params"]
    assert schemas["Task"]["additionalProperties"] is False
