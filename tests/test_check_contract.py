"""`make check-contract`: each kind of breaking change is caught unless versioned and announced."""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import io
import itertools
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "check_contract.py"
RELEASED = yaml.safe_load(next((ROOT / "spec" / "released").glob("openapi-0.5.0.yaml")).read_text())
Spec = dict


def _load_script() -> Any:
    """scripts/check_contract.py as a module (its package contract_diff sits beside it)."""
    sys.path.insert(0, str(SCRIPT.parent))
    spec = importlib.util.spec_from_file_location("check_contract", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_contract = _load_script()


def _schemas(s: Spec) -> dict:
    return s["components"]["schemas"]


def _op(s: Spec, path: str, method: str = "get") -> dict:
    return s["paths"][path][method]


def _param(s: Spec, path: str, name: str, method: str = "get") -> dict:
    (param,) = [p for p in _op(s, path, method)["parameters"] if p.get("name") == name]
    return param


def _wait(s: Spec) -> dict:
    return _param(s, "/tasks/{task_id}/status", "wait_seconds")["schema"]


def _per_page(s: Spec) -> dict:
    return _param(s, "/tasks", "per_page")["schema"]


def _filename(s: Spec) -> dict:
    return _param(s, "/tasks/{task_id}/output", "filename")


def _idempotency_key(s: Spec) -> dict:
    return _param(s, "/tasks/submit", "Idempotency-Key", "post")["schema"]


def _upload(s: Spec) -> dict:
    return _op(s, "/tasks/{task_id}/input", "post")


def _download_200(s: Spec) -> dict:
    return _op(s, "/tasks/{task_id}/output")["responses"]["200"]


def _task(s: Spec) -> dict:
    return _schemas(s)["Task"]["properties"]


def _request(s: Spec) -> dict:
    return _schemas(s)["TaskRequest"]["properties"]


# --- the kinds kept from the first version of the checker --------------------------------


def _rename_param(s: Spec) -> None:
    """wait_seconds renamed to wait."""
    _status_params(s)[1]["name"] = "wait"


def _status_params(s: Spec) -> list:
    return s["paths"]["/tasks/{task_id}/status"]["get"]["parameters"]


def _rename_operation(s: Spec) -> None:
    """kill_task's operationId renamed to cancel_task."""
    s["paths"]["/tasks/{task_id}/kill"]["post"]["operationId"] = "cancel_task"


def _move_operation(s: Spec) -> None:
    """POST /tasks/{task_id}/kill moved to /tasks/{task_id}/cancel."""
    s["paths"]["/tasks/{task_id}/cancel"] = s["paths"].pop("/tasks/{task_id}/kill")


def _param_required(s: Spec) -> None:
    """last_status made required."""
    _status_params(s)[2]["required"] = True


def _param_type(s: Spec) -> None:
    """wait_seconds: number to integer."""
    _status_params(s)[1]["schema"] = {"type": "integer"}


def _required_request_property(s: Spec) -> None:
    """TaskRequest.resource_pool made required."""
    _schemas(s)["TaskRequest"]["required"].append("resource_pool")


def _remove_response_property(s: Spec) -> None:
    """Task.end_time removed."""
    del _schemas(s)["Task"]["properties"]["end_time"]


def _rename_response_property(s: Spec) -> None:
    """FileInfo.compressed_size renamed to compressed."""
    props = _schemas(s)["FileInfo"]["properties"]
    props["compressed"] = props.pop("compressed_size")
    _schemas(s)["FileInfo"]["required"] = ["name", "size", "compressed"]


def _response_property_optional(s: Spec) -> None:
    """FileInfo.compressed_size no longer required in a response."""
    _schemas(s)["FileInfo"]["required"].remove("compressed_size")


def _remove_enum_value(s: Spec) -> None:
    """TaskStatusCode loses pending-kill."""
    _schemas(s)["TaskStatusCode"]["enum"].remove("pending-kill")


def _property_type(s: Spec) -> None:
    """OutputArchiveInfo.size: integer to string."""
    _schemas(s)["OutputArchiveInfo"]["properties"]["size"] = {"type": "string"}


def _remove_operation(s: Spec) -> None:
    """POST /tasks/{task_id}/kill removed."""
    del s["paths"]["/tasks/{task_id}/kill"]


# --- request constraints tightened ------------------------------------------------------


def _maximum_lowered(s: Spec) -> None:
    """wait_seconds: maximum 60 lowered to 30."""
    _wait(s)["maximum"] = 30


def _maximum_set(s: Spec) -> None:
    """per_page gets a maximum (500) where it had none (the real API's v0.6.0 change)."""
    _per_page(s)["maximum"] = 500


def _exclusive_maximum(s: Spec) -> None:
    """wait_seconds: maximum 60 made exclusive (OpenAPI 3.0 boolean form)."""
    _wait(s)["exclusiveMaximum"] = True


def _minimum_raised(s: Spec) -> None:
    """wait_seconds: minimum 0 raised to 1."""
    _wait(s)["minimum"] = 1


def _exclusive_minimum(s: Spec) -> None:
    """wait_seconds: minimum 0 made exclusive."""
    _wait(s)["exclusiveMinimum"] = True


def _max_length_lowered(s: Spec) -> None:
    """Idempotency-Key: maxLength 255 lowered to 64."""
    _idempotency_key(s)["maxLength"] = 64


def _min_length_raised(s: Spec) -> None:
    """Idempotency-Key: minLength 1 raised to 16."""
    _idempotency_key(s)["minLength"] = 16


def _max_items_set(s: Spec) -> None:
    """filename (an array) gets maxItems 10."""
    _filename(s)["schema"]["maxItems"] = 10


def _min_items_set(s: Spec) -> None:
    """filename gets minItems 2."""
    _filename(s)["schema"]["minItems"] = 2


def _unique_items_set(s: Spec) -> None:
    """filename gets uniqueItems."""
    _filename(s)["schema"]["uniqueItems"] = True


def _multiple_of_set(s: Spec) -> None:
    """wait_seconds must be a multiple of 0.5."""
    _wait(s)["multipleOf"] = 0.5


def _pattern_added(s: Spec) -> None:
    """TaskRequest.method gets a pattern."""
    _request(s)["method"]["pattern"] = "^[a-z_]+(\\.[a-z_]+)+$"


def _pattern_changed(s: Spec) -> None:
    """TaskRequest.method's pattern changed (from the one _pattern_added sets)."""
    _request(s)["method"]["pattern"] = "^[a-z]+$"


def _enum_set_on_request(s: Spec) -> None:
    """TaskRequest.method restricted to an enum."""
    _request(s)["method"]["enum"] = ["fvm.openfoam.run_simulation"]


def _nullable_removed_in_request(s: Spec) -> None:
    """TaskRequest.resource_pool no longer nullable."""
    del _request(s)["resource_pool"]["nullable"]


def _request_closed(s: Spec) -> None:
    """TaskRequest gets additionalProperties: false."""
    _schemas(s)["TaskRequest"]["additionalProperties"] = False


def _read_only_in_request(s: Spec) -> None:
    """TaskRequest.resource_pool made readOnly: a request no longer carries it."""
    _request(s)["resource_pool"]["readOnly"] = True


# --- response constraints loosened ------------------------------------------------------


def _enum_value_added_to_response(s: Spec) -> None:
    """GCloudExecuter.host_type, read strictly, gains the value gce."""
    _schemas(s)["GCloudExecuter"]["properties"]["host_type"]["enum"].append("gce")


def _enum_dropped_in_response(s: Spec) -> None:
    """GCloudExecuter.host_type's enum dropped: any string may come back."""
    del _schemas(s)["GCloudExecuter"]["properties"]["host_type"]["enum"]


def _response_bounds(s: Spec) -> None:
    """FileInfo.size bounded to 0..2**40 and Task.task_id to 32 digits (a base for below)."""
    _schemas(s)["FileInfo"]["properties"]["size"].update(minimum=0, maximum=2**40)
    _task(s)["task_id"].update(maxLength=32, pattern="^[0-9]+$")


def _response_maximum_raised(s: Spec) -> None:
    """FileInfo.size: maximum 2**40 raised to 2**50."""
    _schemas(s)["FileInfo"]["properties"]["size"]["maximum"] = 2**50


def _response_minimum_removed(s: Spec) -> None:
    """FileInfo.size: minimum 0 removed."""
    del _schemas(s)["FileInfo"]["properties"]["size"]["minimum"]


def _response_max_length_removed(s: Spec) -> None:
    """Task.task_id: maxLength 32 removed."""
    del _task(s)["task_id"]["maxLength"]


def _response_pattern_removed(s: Spec) -> None:
    """Task.task_id: pattern removed."""
    del _task(s)["task_id"]["pattern"]


def _nullable_added_in_response(s: Spec) -> None:
    """Task.method_name may now be null."""
    _task(s)["method_name"]["nullable"] = True


def _write_only_in_response(s: Spec) -> None:
    """Task.method_name made writeOnly: a response no longer carries it."""
    _task(s)["method_name"]["writeOnly"] = True


def _union_member_added(s: Spec) -> None:
    """Task.executer's union gains a third executer model."""
    _schemas(s)["LocalExecuter"] = {"type": "object", "properties": {"uuid": {"type": "string"}}}
    _task(s)["executer"]["anyOf"].insert(0, {"$ref": "#/components/schemas/LocalExecuter"})


# --- operations, parameters, bodies, responses, security --------------------------------


def _method_changed(s: Spec) -> None:
    """kill_task moved from POST to PUT."""
    item = s["paths"]["/tasks/{task_id}/kill"]
    item["put"] = item.pop("post")


def _body_media_type_changed(s: Spec) -> None:
    """The upload takes application/octet-stream instead of multipart/form-data."""
    body = _upload(s)["requestBody"]
    body["content"] = {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
    }


def _body_made_required(s: Spec) -> None:
    """The upload's request body made required."""
    _upload(s)["requestBody"]["required"] = True


def _success_media_type_removed(s: Spec) -> None:
    """The output's 200 response no longer declares application/octet-stream."""
    del _download_200(s)["content"]["application/octet-stream"]


def _success_status_changed(s: Spec) -> None:
    """submit_task answers 201 instead of 202."""
    responses = _op(s, "/tasks/submit", "post")["responses"]
    responses["201"] = responses.pop("202")


def _success_header_removed(s: Spec) -> None:
    """The output's 200 response loses its ETag header."""
    del _download_200(s)["headers"]["ETag"]


def _required_param_added(s: Spec) -> None:
    """GET /tasks gets a new required query parameter project."""
    params = _op(s, "/tasks")["parameters"]
    params.append(
        {"name": "project", "in": "query", "required": True, "schema": {"type": "string"}}
    )


def _param_moved(s: Spec) -> None:
    """wait_seconds moved from the query to a header."""
    _status_params(s)[1]["in"] = "header"


def _param_style_changed(s: Spec) -> None:
    """filename no longer exploded (?filename=a,b instead of ?filename=a&filename=b)."""
    _filename(s)["explode"] = False


def _security_header_renamed(s: Spec) -> None:
    """The API key moves from the X-API-Key header to Authorization."""
    s["components"]["securitySchemes"]["APIKeyHeader"]["name"] = "Authorization"


def _security_requirement_changed(s: Spec) -> None:
    """get_task requires a bearer token instead of the API key."""
    s["components"]["securitySchemes"]["Bearer"] = {"type": "http", "scheme": "bearer"}
    _op(s, "/tasks/{task_id}")["security"] = [{"Bearer": []}]


def _model_renamed(s: Spec) -> None:
    """InductivaExecuter renamed to HardwareExecuter (the model and the reference to it)."""
    _schemas(s)["HardwareExecuter"] = _schemas(s).pop("InductivaExecuter")
    _task(s)["executer"]["anyOf"][1] = {"$ref": "#/components/schemas/HardwareExecuter"}


class Case(NamedTuple):
    """A change, the subjects CHANGELOG must name, a fragment of its message, a base edit."""

    change: Callable[[Spec], None]
    subjects: tuple[str, ...]
    says: str
    before: Callable[[Spec], None] | None = None


def _case(change: Callable[[Spec], None], *subjects: str, says: str, before: Any = None) -> Case:
    return Case(change, subjects, says, before)


BREAKING: dict[str, Case] = {
    "operation removed": _case(_remove_operation, "kill_task", says="operation removed"),
    "operation renamed (operationId)": _case(
        _rename_operation, "kill_task", says="renamed to cancel_task"
    ),
    "operation renamed (path)": _case(
        _move_operation, "kill_task", says="moved to POST /tasks/{task_id}/cancel"
    ),
    "operation moved (method)": _case(
        _method_changed, "kill_task", says="moved to PUT /tasks/{task_id}/kill"
    ),
    "parameter renamed": _case(
        _rename_param, "wait_seconds", says="parameter 'wait_seconds' removed"
    ),
    "parameter made required": _case(
        _param_required, "last_status", says="'last_status' made required"
    ),
    "required parameter added": _case(
        _required_param_added, "project", says="required parameter 'project' added"
    ),
    "parameter moved (in)": _case(_param_moved, "wait_seconds", says="moved from query to header"),
    "parameter style/explode changed": _case(
        _param_style_changed, "filename", says="serialization changed"
    ),
    "parameter type changed": _case(
        _param_type, "wait_seconds", says="type changed from number to integer"
    ),
    "request property made required": _case(
        _required_request_property, "TaskRequest.resource_pool", says="made required in a request"
    ),
    "response property removed": _case(
        _remove_response_property, "Task.end_time", says="property removed"
    ),
    "response property renamed": _case(
        _rename_response_property, "FileInfo.compressed_size", says="property removed (or renamed)"
    ),
    "response property made optional": _case(
        _response_property_optional,
        "FileInfo.compressed_size",
        says="response property made optional",
    ),
    "enum value removed": _case(
        _remove_enum_value, "TaskStatusCode.pending-kill", says="enum value 'pending-kill' removed"
    ),
    "property type changed": _case(
        _property_type, "OutputArchiveInfo.size", says="type changed from integer to string"
    ),
    "request maximum lowered": _case(
        _maximum_lowered, "wait_seconds", says="maximum <= 60 -> <= 30"
    ),
    "request maximum set": _case(_maximum_set, "per_page", says="maximum none -> <= 500"),
    "request exclusiveMaximum set": _case(
        _exclusive_maximum, "wait_seconds", says="maximum <= 60 -> < 60"
    ),
    "request minimum raised": _case(_minimum_raised, "wait_seconds", says="minimum >= 0 -> >= 1"),
    "request exclusiveMinimum set": _case(
        _exclusive_minimum, "wait_seconds", says="minimum >= 0 -> > 0"
    ),
    "request maxLength lowered": _case(
        _max_length_lowered, "Idempotency-Key", says="maxLength 255 -> 64"
    ),
    "request minLength raised": _case(
        _min_length_raised, "Idempotency-Key", says="minLength 1 -> 16"
    ),
    "request maxItems set": _case(_max_items_set, "filename", says="maxItems none -> 10"),
    "request minItems set": _case(_min_items_set, "filename", says="minItems none -> 2"),
    "request uniqueItems set": _case(
        _unique_items_set, "filename", says="uniqueItems false -> true"
    ),
    "request multipleOf set": _case(
        _multiple_of_set, "wait_seconds", says="multipleOf none -> 0.5"
    ),
    "request pattern added": _case(_pattern_added, "TaskRequest.method", says="pattern none ->"),
    "request pattern changed": _case(
        _pattern_changed, "TaskRequest.method", before=_pattern_added, says="-> '^[a-z]+$'"
    ),
    "request enum set": _case(
        _enum_set_on_request, "TaskRequest.method", says="now restricts a request value"
    ),
    "request nullable removed": _case(
        _nullable_removed_in_request, "TaskRequest.resource_pool", says="nullable true -> false"
    ),
    "request additionalProperties false": _case(
        _request_closed, "TaskRequest", says="additionalProperties allowed -> false"
    ),
    "request property made readOnly": _case(
        _read_only_in_request, "TaskRequest.resource_pool", says="now readOnly"
    ),
    "response enum value added": _case(
        _enum_value_added_to_response,
        "GCloudExecuter.host_type.gce",
        says="enum value 'gce' added to a response",
    ),
    "response enum dropped": _case(
        _enum_dropped_in_response, "GCloudExecuter.host_type", says="enum dropped"
    ),
    "response maximum raised": _case(
        _response_maximum_raised,
        "FileInfo.size",
        before=_response_bounds,
        says="maximum <= 1099511627776 -> <= 1125899906842624",
    ),
    "response minimum removed": _case(
        _response_minimum_removed,
        "FileInfo.size",
        before=_response_bounds,
        says="minimum >= 0 -> none",
    ),
    "response maxLength removed": _case(
        _response_max_length_removed,
        "Task.task_id",
        before=_response_bounds,
        says="maxLength 32 -> none",
    ),
    "response pattern removed": _case(
        _response_pattern_removed,
        "Task.task_id",
        before=_response_bounds,
        says="pattern '^[0-9]+$' -> none",
    ),
    "response nullable added": _case(
        _nullable_added_in_response, "Task.method_name", says="nullable false -> true"
    ),
    "response property made writeOnly": _case(
        _write_only_in_response, "Task.method_name", says="now writeOnly"
    ),
    "response union member added": _case(
        _union_member_added, "Task.executer", says="anyOf members changed: added LocalExecuter"
    ),
    "request body media type changed": _case(
        _body_media_type_changed,
        "upload_task_input",
        says="multipart/form-data no longer accepted (now application/octet-stream)",
    ),
    "request body made required": _case(
        _body_made_required, "upload_task_input", says="request body made required"
    ),
    "success media type removed": _case(
        _success_media_type_removed,
        "download_task_output",
        says="200 response no longer application/octet-stream",
    ),
    "success status code changed": _case(
        _success_status_changed, "submit_task", says="success response 202 removed (now 201)"
    ),
    "success response header removed": _case(
        _success_header_removed, "download_task_output", says="header ETag removed"
    ),
    "security scheme header renamed": _case(
        _security_header_renamed,
        "APIKeyHeader",
        says="name changed from 'X-API-Key' to 'Authorization'",
    ),
    "security requirement changed": _case(
        _security_requirement_changed,
        "get_task",
        says="security requirement APIKeyHeader no longer accepted",
    ),
    "model renamed": _case(
        _model_renamed,
        "InductivaExecuter",
        "Task.executer",
        says="removed InductivaExecuter; added HardwareExecuter",
    ),
}


def _dump(spec: Spec) -> str:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(spec, Dumper=dumper, sort_keys=False)


class Result(NamedTuple):
    returncode: int
    stdout: str


def _run(tmp_path: Path, spec: Spec, changelog: str, released: Spec | None = None) -> Result:
    """`check_contract.py --spec ... --released ... --changelog ...` (in-process: it is quick)."""
    released = released or RELEASED
    (tmp_path / "released").mkdir(exist_ok=True)
    for old in (tmp_path / "released").glob("*.yaml"):
        old.unlink()
    name = f"openapi-{released['info']['version']}.yaml"
    (tmp_path / "released" / name).write_text(_dump(released))
    (tmp_path / "openapi.yaml").write_text(_dump(spec))
    (tmp_path / "CHANGELOG.md").write_text(changelog)
    args = ["--spec", "openapi.yaml", "--released", "released", "--changelog", "CHANGELOG.md"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.chdir(tmp_path):
        code = check_contract.main(args)
    return Result(code, out.getvalue())


def _changed(change: Callable[[Spec], None], version: str, base: Spec | None = None) -> Spec:
    spec = copy.deepcopy(base or RELEASED)
    change(spec)
    spec["info"]["version"] = version
    return spec


def _base(case: Case) -> Spec:
    """The released spec, with the case's preparatory edit (its version unchanged)."""
    base = copy.deepcopy(RELEASED)
    if case.before is not None:
        case.before(base)
    return base


def _note(version: str, subjects: tuple[str, ...]) -> str:
    return f"## {version}\n\n" + "".join(f"- `{s}`: changed\n" for s in subjects)


def test_the_checked_in_contract_passes() -> None:
    """openapi.yaml passes against spec/released (what `make check-contract` runs in CI)."""
    proc = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_released_contracts_follow_the_rules(tmp_path: Path) -> None:
    """Each released contract, checked against the one before it, passes (0.5.0 -> 0.6.0)."""
    versions = sorted(
        (ROOT / "spec" / "released").glob("openapi-*.yaml"),
        key=lambda p: check_contract.version_tuple(p.stem.removeprefix("openapi-")),
    )
    changelog = (ROOT / "CHANGELOG.md").read_text()
    for older, newer in itertools.pairwise(versions):
        old, new = (yaml.safe_load(p.read_text()) for p in (older, newer))
        result = _run(tmp_path, new, changelog, released=old)
        assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("kind", sorted(BREAKING))
def test_breaking_change_fails_without_major_bump(tmp_path: Path, kind: str) -> None:
    """Each kind of breaking change fails when only the patch version is bumped."""
    case = BREAKING[kind]
    base = _base(case)
    proc = _run(tmp_path, _changed(case.change, "0.5.1", base), _note("0.5.1", case.subjects), base)
    assert proc.returncode == 1, proc.stdout
    assert "breaking changes need a major version" in proc.stdout


@pytest.mark.parametrize("kind", sorted(BREAKING))
def test_breaking_change_must_be_named_in_the_changelog(tmp_path: Path, kind: str) -> None:
    """A major (0.x: minor) bump passes only once CHANGELOG names the change's subject."""
    case = BREAKING[kind]
    base = _base(case)
    spec = _changed(case.change, "0.6.0", base)
    proc = _run(tmp_path, spec, "## 0.6.0\n\n- something else\n", base)
    assert proc.returncode == 1 and case.says in proc.stdout, proc.stdout
    for subject in case.subjects:
        assert f"`{subject}`" in proc.stdout, proc.stdout
    proc = _run(tmp_path, spec, _note("0.6.0", case.subjects), base)
    assert proc.returncode == 0, proc.stdout


# --- compatible changes: a patch (or minor) bump and a CHANGELOG section are enough -------


def _add_field(s: Spec) -> None:
    """Task gets an optional cost_usd."""
    _schemas(s)["Task"]["properties"]["cost_usd"] = {"type": "number"}


def _add_required_response_field(s: Spec) -> None:
    """Task gets a required project (the real API's v0.6.0 change): responses only."""
    _task(s)["project"] = {"type": "string"}
    _schemas(s)["Task"]["required"].append("project")


def _new_status(s: Spec) -> None:
    """TaskStatusCode gains zombie: responses read it through AnyTaskStatus, tolerantly."""
    _schemas(s)["TaskStatusCode"]["enum"].append("zombie")


def _request_maximum_raised(s: Spec) -> None:
    """wait_seconds: maximum 60 raised to 120 (a request accepts more)."""
    _wait(s)["maximum"] = 120


def _request_nullable_added(s: Spec) -> None:
    """TaskRequest.method may be null (a request accepts more)."""
    _request(s)["method"]["nullable"] = True


def _response_tightened(s: Spec) -> None:
    """Task.task_id gets a pattern and a maxLength (a response promises more)."""
    _task(s)["task_id"].update(pattern="^[0-9]+$", maxLength=32)


def _optional_param_added(s: Spec) -> None:
    """GET /tasks gets an optional project filter (the real API's v0.6.0 change)."""
    params = _op(s, "/tasks")["parameters"]
    params.append(
        {"name": "project", "in": "query", "required": False, "schema": {"type": "string"}}
    )


def _endpoint_added(s: Spec) -> None:
    """A new operation, DELETE /tasks/{task_id} (the real API's v0.8.0 change)."""
    s["paths"]["/tasks/{task_id}"]["delete"] = {
        "operationId": "delete_task",
        "parameters": [{"$ref": "#/components/parameters/TaskId"}],
        "responses": {"200": {"description": "Deleted"}},
    }


def _error_response_added(s: Spec) -> None:
    """get_task declares a 410 error."""
    _op(s, "/tasks/{task_id}")["responses"]["410"] = {"description": "Gone"}


def _request_media_type_added(s: Spec) -> None:
    """The upload also accepts application/octet-stream."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    _upload(s)["requestBody"]["content"]["application/octet-stream"] = binary


def _security_dropped(s: Spec) -> None:
    """get_task no longer needs authentication (a key sent anyway is ignored)."""
    _op(s, "/tasks/{task_id}")["security"] = []


ADDITIVE: dict[str, Callable[[Spec], None]] = {
    "optional response property added": _add_field,
    "required response property added": _add_required_response_field,
    "status added (read tolerantly)": _new_status,
    "request constraint loosened": _request_maximum_raised,
    "request nullable added": _request_nullable_added,
    "response constraint tightened": _response_tightened,
    "optional parameter added": _optional_param_added,
    "operation added": _endpoint_added,
    "error response added": _error_response_added,
    "request media type added": _request_media_type_added,
    "authentication dropped": _security_dropped,
}


@pytest.mark.parametrize("kind", sorted(ADDITIVE))
def test_compatible_change_passes_with_a_patch_bump(tmp_path: Path, kind: str) -> None:
    """Each compatible kind passes with a patch bump and a CHANGELOG section naming nothing."""
    proc = _run(tmp_path, _changed(ADDITIVE[kind], "0.5.1"), "## 0.5.1\n\n- more\n")
    assert proc.returncode == 0, proc.stdout


def test_additive_change_needs_a_version_bump_and_changelog_section(tmp_path: Path) -> None:
    """A compatible change passes with a minor or patch bump and a CHANGELOG section only."""
    assert _run(tmp_path, _changed(_add_field, "0.5.0"), "").returncode == 1
    assert _run(tmp_path, _changed(_add_field, "0.5.1"), "# Changelog\n").returncode == 1
    assert _run(tmp_path, _changed(_add_field, "0.5.1"), "## 0.5.1\n- cost\n").returncode == 0


def test_status_added_to_a_strict_enum_is_breaking(tmp_path: Path) -> None:
    """Without AnyTaskStatus's plain-string member, a new status breaks readers of Task.status."""

    def strict(s: Spec) -> None:
        _task(s)["status"] = {"$ref": "#/components/schemas/TaskStatusCode"}

    base = _changed(strict, "0.5.0")
    proc = _run(tmp_path, _changed(_new_status, "0.6.0", base), "## 0.6.0\n", base)
    assert proc.returncode == 1 and "`TaskStatusCode.zombie`" in proc.stdout, proc.stdout


def test_major_bump_rule_outside_0x(tmp_path: Path) -> None:
    """From 1.x on, a breaking change needs 2.0.0: a minor bump is refused."""
    base = copy.deepcopy(RELEASED)
    base["info"]["version"] = "1.2.0"
    note = "## {v}\n- `kill_task` removed\n"
    bad_spec = _changed(_remove_operation, "1.3.0", base)
    bad = _run(tmp_path, bad_spec, note.format(v="1.3.0"), released=base)
    good_spec = _changed(_remove_operation, "2.0.0", base)
    good = _run(tmp_path, good_spec, note.format(v="2.0.0"), released=base)
    assert bad.returncode == 1 and "2.0.0" in bad.stdout
    assert good.returncode == 0, good.stdout
