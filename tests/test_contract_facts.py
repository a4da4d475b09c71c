"""The generated contract facts (inductiva_api.contract): every spec fact, typed and followed."""

from __future__ import annotations

import copy
import sys
import types
from pathlib import Path
from typing import Any

import pytest
import yaml
from inductiva_api import contract

ROOT = Path(__file__).resolve().parent.parent
SPEC: dict[str, Any] = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
sys.path.insert(0, str(ROOT / "scripts"))
from contract_source import ContractError, class_name, constant, render  # noqa: E402

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def _load(spec: dict[str, Any]) -> types.ModuleType:
    """The contract module *spec* generates, loaded from source."""
    module = types.ModuleType("contract_variant")
    exec(compile(render(spec), "contract_variant.py", "exec"), module.__dict__)
    return module


def _spec_operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in SPEC["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def _param(raw: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in raw:
        return dict(SPEC["components"]["parameters"][raw["$ref"].rsplit("/", 1)[-1]])
    return raw


@pytest.mark.parametrize(("path", "method", "op"), _spec_operations())
def test_every_operation_has_its_facts(path: str, method: str, op: dict[str, Any]) -> None:
    """Each operation's class carries its method, path, parameters and success codes."""
    cls = getattr(contract, class_name(op["operationId"]))
    assert cls in contract.OPERATIONS
    assert (op["operationId"], method.upper(), path) == (cls.OPERATION_ID, cls.METHOD, cls.PATH)
    params = [_param(p) for p in op.get("parameters", [])]
    assert [(f.location, f.name) for f in cls.PARAMETERS] == sorted(
        ((p["in"], p["name"]) for p in params),
        key=lambda t: ("path", "query", "header", "cookie").index(t[0]),
    )
    for p in params:
        group = getattr(cls, {"path": "Path", "query": "Query", "header": "Header"}[p["in"]])
        field = getattr(group, constant(p["name"]))
        assert (field.name, field.required) == (p["name"], p.get("required", False))
        assert field.extension == p.get(
            "x-inductiva-extension", SPEC["paths"][path].get("x-inductiva-extension")
        )
    codes = [int(c) for c in op["responses"] if c.startswith("2")]
    assert [s.status for s in cls.SUCCESS] == codes


def test_parameter_constraints_come_from_the_spec() -> None:
    """Bounds, defaults and enums of a parameter are the spec's."""
    wait = contract.GetTaskStatus.Query.WAIT_SECONDS
    assert (wait.name, wait.minimum, wait.maximum, wait.default) == ("wait_seconds", 0, 60, 0)
    assert wait.extension == contract.Extension.LONG_POLL
    assert contract.ListTasks.Query.STATUS.enum == contract.STATUSES
    assert contract.SubmitTask.Header.IDEMPOTENCY_KEY.max_length == 255
    assert contract.Schemas.TaskStatusesRequest.TASKS.max_items == 1000


def test_statuses_and_extensions_are_the_specs() -> None:
    """STATUSES is TaskStatusCode's enum in order; EXTENSIONS every marker value."""
    codes = SPEC["components"]["schemas"]["TaskStatusCode"]
    assert list(contract.STATUSES) == codes["enum"]
    assert contract.Status.PENDING_KILL == "pending-kill"
    text = (ROOT / "openapi.yaml").read_text(encoding="utf-8")
    used = {
        line.split(":", 1)[1].strip()
        for line in text.splitlines()
        if line.strip().startswith("x-inductiva-extension:")
    }
    assert used == contract.EXTENSIONS
    assert {v for k, v in vars(contract.Extension).items() if k.isupper()} == used


def test_success_bodies_name_their_schema_and_sample() -> None:
    """A JSON success body names its component schema and carries its sample."""
    (ok,) = contract.ListTasks.SUCCESS
    (body,) = ok.content
    assert (ok.status, body.media_type, body.schema, body.array) == (
        200,
        "application/json",
        "Task",
        True,
    )
    assert body.sample == [contract.SAMPLES["Task"]]
    ranged = contract.DownloadTaskOutput.SUCCESS[1]
    assert (ranged.status, ranged.extension) == (206, contract.Extension.BYTE_RANGES)
    assert [c.sample for c in ranged.content] == [None]


def test_sample_gives_a_copy() -> None:
    """sample(name) is a deep copy: changing it leaves SAMPLES alone."""
    task = contract.sample("Task")
    task["executer"]["memory"] = 1
    assert contract.SAMPLES["Task"]["executer"]["memory"] == 0


def test_a_renamed_parameter_replaces_its_constant() -> None:
    """per_page renamed page_size: PER_PAGE is gone (mypy fails at its uses), PAGE_SIZE is new."""
    spec = copy.deepcopy(SPEC)
    (param,) = [p for p in spec["paths"]["/tasks"]["get"]["parameters"] if p["name"] == "per_page"]
    param["name"] = "page_size"
    variant = _load(spec)
    assert not hasattr(variant.ListTasks.Query, "PER_PAGE")
    assert variant.ListTasks.Query.PAGE_SIZE.name == "page_size"


def test_a_renamed_extension_replaces_its_constant() -> None:
    """An extension renamed in the spec: its old constant is gone, the new one is there."""
    text = (ROOT / "openapi.yaml").read_text(encoding="utf-8")
    variant = _load(yaml.safe_load(text.replace("long-poll", "hold")))
    assert not hasattr(variant.Extension, "LONG_POLL")
    assert variant.Extension.HOLD == "hold" and "long-poll" not in variant.EXTENSIONS


def test_a_new_required_field_gets_a_sample() -> None:
    """A required Task field added to the spec is in the regenerated Task sample."""
    spec = copy.deepcopy(SPEC)
    task = spec["components"]["schemas"]["Task"]
    task["properties"]["priority"] = {"type": "integer", "minimum": 1}
    task["required"].append("priority")
    variant = _load(spec)
    assert variant.SAMPLES["Task"]["priority"] == 1
    assert variant.GetTask.SUCCESS[0].content[0].sample["priority"] == 1


def test_a_schema_without_a_sample_fails_generation() -> None:
    """A schema the synthesizer cannot sample stops generation, naming it and the fix."""
    spec = copy.deepcopy(SPEC)
    spec["components"]["schemas"]["Task"]["properties"]["code"] = {
        "type": "string",
        "pattern": "[^a-z]{3}",
    }
    with pytest.raises(ContractError, match=r"Task\.code: pattern .* give the schema an example"):
        render(spec)


def test_two_operations_with_one_class_name_fail_generation() -> None:
    """operationIds that would give one class name stop generation."""
    spec = copy.deepcopy(SPEC)
    spec["paths"]["/tasks"]["get"]["operationId"] = "get-task"
    with pytest.raises(ContractError, match="GetTask"):
        render(spec)


def test_api_key_header_is_the_security_schemes() -> None:
    """API_KEY_HEADER is the header of the spec's global apiKey scheme."""
    scheme = SPEC["components"]["securitySchemes"]["APIKeyHeader"]
    assert scheme["name"] == contract.API_KEY_HEADER
