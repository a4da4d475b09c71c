"""The real Inductiva API's own changes after our contract's era, as edits of openapi.yaml.

Each function applies, in place, to a loaded copy of our spec one change that
the vendor really made between client v0.3.5 (our contract) and v0.8.0; its
docstring names the client version whose generated code (``inductiva/client/``
in github.com/inductiva/inductiva, at that tag) first shows it. ``CHANGES``
lists them with their class under ``make check-contract``'s rules: *additive*
(a patch bump and a CHANGELOG section) or *breaking* (a minor bump under 0.x,
and a CHANGELOG section naming each subject in backticks).
``tests/test_maintainer_drill.py`` applies them, runs the checker and the
generator on each variant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "BREAKING",
    "CHANGES",
    "RealChange",
    "changelog_section",
    "download_url_endpoint",
    "media_type_change",
    "new_delete_endpoint",
    "new_endpoint",
    "new_executer_field",
    "new_filter_param",
    "new_request_fields",
    "new_required_task_field",
    "new_status_field",
    "new_statuses",
    "new_task_fields",
    "params_removed",
    "removed_param",
    "schema_rename",
    "submit_response_reshaped",
    "tightened_bound",
    "upload_url_endpoints",
]

Spec = dict[str, Any]
NULL_MEMBER = {"type": "object", "nullable": True, "enum": [None]}
TASK_ID = {"$ref": "#/components/parameters/TaskId"}
# The error responses every task operation of our contract declares.
ERRORS = ("401", "404", "422", "429", "500", "503")


def _schemas(spec: Spec) -> dict[str, Any]:
    schemas: dict[str, Any] = spec["components"]["schemas"]
    return schemas


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: Any, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(spec: Spec) -> dict[str, Any]:
    """Our usual error responses, taken from GET /tasks/{task_id} (so they track the spec)."""
    declared = spec["paths"]["/tasks/{task_id}"]["get"]["responses"]
    return {code: declared[code] for code in ERRORS if code in declared}


def _operation(spec: Spec, op_id: str, summary: str, ok: dict[str, Any]) -> dict[str, Any]:
    """A task operation taking ``task_id``, answering ``ok`` with 200 or an error."""
    return {
        "tags": ["tasks"],
        "operationId": op_id,
        "summary": summary,
        "parameters": [TASK_ID],
        "responses": {"200": ok, **_errors(spec)},
    }


def _position_in_queue(spec: Spec) -> str:
    """``TaskPositionInQueue {tasks_ahead*}`` (v0.7.2), declared once."""
    _schemas(spec).setdefault(
        "TaskPositionInQueue",
        {
            "title": "TaskPositionInQueue",
            "type": "object",
            "required": ["tasks_ahead"],
            "properties": {"tasks_ahead": {"title": "Tasks Ahead", "type": "integer"}},
        },
    )
    return "TaskPositionInQueue"


# --- additive -------------------------------------------------------------------------


def new_endpoint(spec: Spec) -> None:
    """v0.7.2: ``GET /tasks/{task_id}/position_in_queue`` answers ``TaskPositionInQueue``."""
    ok = _json(_ref(_position_in_queue(spec)), "How many tasks are ahead of this one")
    op = _operation(spec, "get_task_position_in_queue", "Get Task Position In Queue", ok)
    spec["paths"]["/tasks/{task_id}/position_in_queue"] = {"get": op}


def new_delete_endpoint(spec: Spec) -> None:
    """v0.8.0: ``DELETE /tasks/{task_id}`` deletes a task (200, any JSON)."""
    ok = _json({}, "Task deleted")
    spec["paths"]["/tasks/{task_id}"]["delete"] = _operation(spec, "delete_task", "Delete Task", ok)


def upload_url_endpoints(spec: Spec) -> None:
    """v0.6.0: ``GET .../input_upload_url`` (where to PUT the zip), ``POST .../input_uploaded``."""
    _schemas(spec)["TaskInputUploadUrl"] = {
        "title": "TaskInputUploadUrl",
        "type": "object",
        "required": ["url", "method"],
        "properties": {"url": {"type": "string"}, "method": {"type": "string"}},
    }
    ok = _json(_ref("TaskInputUploadUrl"), "Where to send the input zip, and how")
    get = _operation(spec, "get_input_upload_url", "Get Input Upload Url", ok)
    done = _operation(spec, "notify_input_uploaded", "Notify Input Uploaded", _json({}, "Noted"))
    spec["paths"]["/tasks/{task_id}/input_upload_url"] = {"get": get}
    spec["paths"]["/tasks/{task_id}/input_uploaded"] = {"post": done}


def download_url_endpoint(spec: Spec) -> None:
    """v0.7.0: ``GET /tasks/{task_id}/download_output_url`` answers ``FileDownloadUrl``."""
    _schemas(spec)["FileDownloadUrl"] = {
        "title": "FileDownloadUrl",
        "type": "object",
        "required": ["url", "file_server_available"],
        "properties": {
            "url": {"type": "string"},
            "file_server_available": {"type": "boolean"},
        },
    }
    ok = _json(_ref("FileDownloadUrl"), "Where to download the output archive")
    op = _operation(spec, "get_output_download_url", "Get Output Download Url", ok)
    spec["paths"]["/tasks/{task_id}/download_output_url"] = {"get": op}


def new_required_task_field(spec: Spec) -> None:
    """v0.6.0: every ``Task`` has a ``project`` (string, required): additive, responses only."""
    task = _schemas(spec)["Task"]
    task["properties"]["project"] = {"title": "Project", "type": "string", "example": "default"}
    task["required"] = [*task["required"], "project"]


def new_task_fields(spec: Spec) -> None:
    """v0.3.8-v0.8.0: optional nullable ``Task`` fields, storage_path to storage_size."""
    time = {"type": "string", "format": "date-time", "nullable": True}
    _schemas(spec)["Task"]["properties"].update(
        {
            "storage_path": {"type": "string", "nullable": True},  # v0.3.8
            "computation_start_time": dict(time),  # v0.4.0
            "computation_end_time": dict(time),  # v0.4.0
            "container_image": {"type": "string", "nullable": True},  # v0.6.0
            "cost": {"type": "number", "nullable": True},  # v0.8.0
            "storage_size": {"type": "integer", "nullable": True},  # v0.8.0
        }
    )


def new_request_fields(spec: Spec) -> None:
    """v0.3.8-v0.8.0: optional ``TaskRequest`` fields (prefix, project, image, time to live)."""
    _schemas(spec)["TaskRequest"]["properties"].update(
        {
            "storage_path_prefix": {"type": "string"},  # v0.3.8
            "project": {"type": "string", "nullable": True},  # v0.6.0
            "container_image": {"type": "string", "nullable": True},  # v0.6.0
            "time_to_live_seconds": {"type": "number", "nullable": True},  # v0.8.0
        }
    )


def new_executer_field(spec: Spec) -> None:
    """v0.4.0: ``n_mpi_hosts`` (integer, required) in both executer models."""
    for name in ("GCloudExecuter", "InductivaExecuter"):
        model = _schemas(spec)[name]
        model["properties"]["n_mpi_hosts"] = {"title": "N Mpi Hosts", "type": "integer"}
        model["required"] = [*model["required"], "n_mpi_hosts"]


def new_filter_param(spec: Spec) -> None:
    """v0.6.0: ``GET /tasks?project=...`` lists only one project's tasks."""
    spec["paths"]["/tasks"]["get"]["parameters"].append(
        {
            "name": "project",
            "in": "query",
            "required": False,
            "description": "Only tasks of this project.",
            "schema": {"type": "string"},
        }
    )


def new_statuses(spec: Spec) -> None:
    """v0.3.8-v0.8.0: six statuses (zombie ... ttl-exceeded); four of them final."""
    codes = _schemas(spec)["TaskStatusCode"]
    final = [
        "zombie",  # v0.3.8
        "executer-terminated-by-user",  # v0.4.2
        "executer-terminated-ttl-exceeded",  # v0.7.3
        "ttl-exceeded",  # v0.8.0
    ]
    running = ["computation-started", "computation-ended"]  # v0.5.0
    codes["enum"] = [*codes["enum"], *final, *running]
    codes["x-final-statuses"] = [*codes["x-final-statuses"], *final]


def new_status_field(spec: Spec) -> None:
    """v0.7.2: ``TaskStatus.position_in_queue``: a ``TaskPositionInQueue`` or null."""
    member = _ref(_position_in_queue(spec))
    _schemas(spec)["TaskStatus"]["properties"]["position_in_queue"] = {
        "anyOf": [member, dict(NULL_MEMBER)]
    }


# --- breaking -------------------------------------------------------------------------


def schema_rename(spec: Spec) -> None:
    """v0.5.0: ``GCloudExecuter``/``InductivaExecuter`` become one flat ``Executer``."""
    schemas = _schemas(spec)
    del schemas["GCloudExecuter"], schemas["InductivaExecuter"]
    fields = {
        "uuid": "string",
        "cpu_count_logical": "integer",
        "cpu_count_physical": "integer",
        "memory": "integer",
        "n_mpi_hosts": "integer",
        "vm_type": "string",
        "vm_name": "string",
        "host_type": "string",
    }
    schemas["Executer"] = {
        "title": "Executer",
        "type": "object",
        "required": list(fields),
        "properties": {name: {"type": kind} for name, kind in fields.items()},
    }
    executer = schemas["Task"]["properties"]["executer"]
    executer["anyOf"] = [_ref("Executer"), dict(NULL_MEMBER)]


def tightened_bound(spec: Spec) -> None:
    """v0.6.0: ``GET /tasks`` takes ``page`` >= 1 and ``per_page`` in 1..500 (no bounds before)."""
    for param in spec["paths"]["/tasks"]["get"]["parameters"]:
        if param.get("name") == "page":
            param["schema"]["minimum"] = 1
        if param.get("name") == "per_page":
            param["schema"].update(minimum=1, maximum=500)


def removed_param(spec: Spec) -> None:
    """v0.8.0: ``GET /tasks/{task_id}/output`` no longer takes the ``filename`` query."""
    op = spec["paths"]["/tasks/{task_id}/output"]["get"]
    op["parameters"] = [p for p in op["parameters"] if p.get("name") != "filename"]


def media_type_change(spec: Spec) -> None:
    """v0.6.0: the upload is ``PUT`` with a required ``application/octet-stream`` body."""
    item = spec["paths"]["/tasks/{task_id}/input"]
    op = item.pop("post")
    op["requestBody"] = {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
    op["description"] = "The input zip, as the raw request body. The task moves to `submitted`."
    item["put"] = op
    del _schemas(spec)["Body_upload_task_input"]


def params_removed(spec: Spec) -> None:
    """v0.7.0: ``TaskRequest`` loses ``params``; only ``method`` stays required."""
    request = _schemas(spec)["TaskRequest"]
    del request["properties"]["params"]
    request["required"] = [name for name in request["required"] if name != "params"]


def submit_response_reshaped(spec: Spec) -> None:
    """v0.8.0: ``POST /tasks/submit`` answers ``TaskSubmittedInfo`` (was ``TaskStatus``)."""
    position = _ref(_position_in_queue(spec))
    _schemas(spec)["TaskSubmittedInfo"] = {
        "title": "TaskSubmittedInfo",
        "type": "object",
        "required": ["id", "status"],
        "properties": {
            "id": {"title": "Id", "type": "string"},
            "status": _ref("AnyTaskStatus"),
            "position_in_queue": {"anyOf": [position, dict(NULL_MEMBER)]},
            "time_to_live_seconds": {"type": "number", "nullable": True},
        },
    }
    accepted = spec["paths"]["/tasks/submit"]["post"]["responses"]["202"]
    accepted["content"]["application/json"]["schema"] = _ref("TaskSubmittedInfo")


# --- the catalogue --------------------------------------------------------------------


@dataclass(frozen=True)
class RealChange:
    """One real change: its edit, the client version that shows it, its class, its subjects.

    ``subjects`` are what ``make check-contract`` names for a breaking change
    (and the CHANGELOG must quote); empty for an additive one.
    """

    apply: Callable[[Spec], None]
    version: str
    kind: Literal["additive", "breaking"]
    subjects: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.apply.__name__

    @property
    def breaking(self) -> bool:
        return self.kind == "breaking"


CHANGES: tuple[RealChange, ...] = (
    RealChange(new_endpoint, "0.7.2", "additive"),
    RealChange(new_delete_endpoint, "0.8.0", "additive"),
    RealChange(upload_url_endpoints, "0.6.0", "additive"),
    RealChange(download_url_endpoint, "0.7.0", "additive"),
    RealChange(new_required_task_field, "0.6.0", "additive"),
    RealChange(new_task_fields, "0.3.8", "additive"),
    RealChange(new_request_fields, "0.3.8", "additive"),
    RealChange(new_executer_field, "0.4.0", "additive"),
    RealChange(new_filter_param, "0.6.0", "additive"),
    RealChange(new_statuses, "0.3.8", "additive"),
    RealChange(new_status_field, "0.7.2", "additive"),
    RealChange(
        schema_rename, "0.5.0", "breaking", ("GCloudExecuter", "InductivaExecuter", "Task.executer")
    ),
    RealChange(tightened_bound, "0.6.0", "breaking", ("page", "per_page")),
    RealChange(removed_param, "0.8.0", "breaking", ("filename",)),
    RealChange(
        media_type_change, "0.6.0", "breaking", ("upload_task_input", "Body_upload_task_input")
    ),
    RealChange(params_removed, "0.7.0", "breaking", ("TaskRequest.params",)),
    RealChange(submit_response_reshaped, "0.8.0", "breaking", ("submit_task",)),
)
BREAKING = tuple(c for c in CHANGES if c.breaking)


def changelog_section(version: str, changes: tuple[RealChange, ...] | list[RealChange]) -> str:
    """A ``## <version>`` CHANGELOG section describing ``changes``, naming every subject."""
    lines = [f"## {version}", ""]
    for change in changes:
        named = ", ".join(f"`{s}`" for s in change.subjects)
        lines.append(f"- {change.name} (real API, client v{change.version}) {named}".rstrip())
    return "\n".join(lines) + "\n"
