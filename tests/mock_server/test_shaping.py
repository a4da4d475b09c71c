"""Response shaping (inductiva_mock.shaping): required fields filled, undeclared ones dropped."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from inductiva_mock.shaping import Shaper

ROOT = Path(__file__).resolve().parents[2]
SPEC: dict[str, Any] = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
TASK_REF = {"$ref": "#/components/schemas/Task"}
EXECUTER = {
    "uuid": "u",
    "cpu_count_logical": 8,
    "cpu_count_physical": 4,
    "memory": 1,
    "host_type": "gcloud",
    "vm_type": "c2-standard-8",
}
TASK = {"task_id": "1", "status": "started", "method_name": "m", "executer": EXECUTER}


def _spec_with(**schemas: Any) -> dict[str, Any]:
    spec = copy.deepcopy(SPEC)
    spec["components"]["schemas"].update(schemas)
    return spec


def _shape(spec: dict[str, Any], schema: Any, value: Any) -> tuple[bool, list[str]]:
    plan = Shaper(spec).plan(schema)
    assert plan is not None
    notes: list[str] = []
    return plan(value, notes), notes


def test_conforming_payload_is_left_alone() -> None:
    """A payload the schema already describes is not changed."""
    task = copy.deepcopy(TASK)
    assert _shape(SPEC, TASK_REF, task) == (False, [])
    assert task == TASK


def test_missing_required_fields_are_filled_in_nested_objects_and_arrays() -> None:
    """A new required field is filled with its sample in a listed Task and in its executer."""
    spec = copy.deepcopy(SPEC)
    schemas = spec["components"]["schemas"]
    schemas["Task"]["properties"]["priority"] = {"type": "integer", "minimum": 1}
    schemas["Task"]["required"].append("priority")
    schemas["GCloudExecuter"]["properties"]["zone"] = {"type": "string", "example": "eu-1"}
    schemas["GCloudExecuter"]["required"].append("zone")
    page = [copy.deepcopy(TASK), {**copy.deepcopy(TASK), "executer": None}]
    changed, notes = _shape(spec, {"type": "array", "items": TASK_REF}, page)
    assert changed
    assert [t["priority"] for t in page] == [1, 1]
    assert page[0]["executer"]["zone"] == "eu-1" and page[1]["executer"] is None
    assert sorted(set(notes)) == ["GCloudExecuter.zone filled", "Task.priority filled"]


def test_undeclared_properties_are_dropped() -> None:
    """A property the schema does not declare is dropped, also inside an anyOf branch."""
    task = {**copy.deepcopy(TASK), "id": "1", "executer": {**EXECUTER, "n_vcpus": 8}}
    changed, notes = _shape(SPEC, TASK_REF, task)
    assert changed and "id" not in task and "n_vcpus" not in task["executer"]
    assert sorted(notes) == ["GCloudExecuter.n_vcpus dropped", "Task.id dropped"]


def test_any_of_shapes_by_the_matching_branch() -> None:
    """An Inductiva executer is shaped as InductivaExecuter (its host_type), not GCloud's."""
    spec = copy.deepcopy(SPEC)
    inductiva = spec["components"]["schemas"]["InductivaExecuter"]
    inductiva["properties"]["site"] = {"type": "string", "example": "lisbon"}
    inductiva["required"].append("site")
    executer = {k: v for k, v in EXECUTER.items() if k != "vm_type"}
    executer["host_type"] = "inductiva-hardware"
    task = {**copy.deepcopy(TASK), "executer": executer}
    _shape(spec, TASK_REF, task)
    assert task["executer"]["site"] == "lisbon" and "vm_type" not in task["executer"]


def test_additional_properties_allowed_are_kept() -> None:
    """An object that allows additional properties keeps them."""
    spec = _spec_with(
        Open={
            "type": "object",
            "required": ["a"],
            "properties": {"a": {"type": "string"}},
            "additionalProperties": True,
        }
    )
    value = {"a": "x", "b": 1}
    assert _shape(spec, {"$ref": "#/components/schemas/Open"}, value) == (False, [])
    assert value == {"a": "x", "b": 1}


def test_free_form_and_scalar_schemas_need_no_plan() -> None:
    """A schema with nothing to fill or drop has no plan (no cost per response)."""
    shaper = Shaper(SPEC)
    assert shaper.plan({"type": "string"}) is None
    assert shaper.plan({"type": "object"}) is None
    assert shaper.plan({"$ref": "#/components/schemas/AnyTaskStatus"}) is None


def test_recursive_schema_is_shaped_without_looping() -> None:
    """A schema containing itself is shaped at every depth."""
    spec = _spec_with(
        Node={
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "child": {"$ref": "#/components/schemas/Node"},
            },
        }
    )
    value: dict[str, Any] = {"child": {"child": {"extra": 1}}}
    _shape(spec, {"$ref": "#/components/schemas/Node"}, value)
    assert value == {"name": "string", "child": {"name": "string", "child": {"name": "string"}}}
