"""Facts of the API contract, generated from openapi.yaml: what the layer and the mock
read of the spec besides the generated client, as typed constants.

Written by scripts/generate.py; never edited by hand. A fact the spec renames or removes
disappears from here, so every use of it fails ``make typecheck``.

* ``__version__``: ``info.version``, the version of the API and of this project.
* ``STATUSES`` (every ``TaskStatusCode`` value, in the spec's order), ``Status`` (one
  constant per value), ``FINAL_STATUSES`` (``x-final-statuses``), ``TaskStatusLiteral``.
* ``Extension`` (one constant per ``x-inductiva-extension`` value) and ``EXTENSIONS``;
  ``API_KEY_HEADER`` (the header of the API key).
* One :class:`Operation` subclass per operation, named after its ``operationId``
  (``list_tasks`` -> ``ListTasks``): ``METHOD``, ``PATH``, ``EXTENSION``, its
  parameters grouped by location (``ListTasks.Query.PER_PAGE``, a :class:`Field`:
  ``.name == "per_page"``, ``.maximum``, ...), ``PARAMETERS``, ``REQUEST`` (the body's
  media types, :class:`Content`) and ``SUCCESS`` (its 2xx responses, :class:`Success`).
  ``OPERATIONS`` lists them all.
* ``Schemas``: one class per object schema, one :class:`Field` per property
  (``Schemas.TaskStatusesRequest.TASKS.max_items``).
* ``SAMPLES``: a schema-valid sample value of every component schema, derived from the
  schema (example, default, first enum value, format, type; see
  ``inductiva_mock.samples``). Shared values: ``sample(name)`` gives a copy to change.
"""

from copy import deepcopy
from typing import Any, ClassVar, Final, Literal

import attrs

__all__ = [
    "API_KEY_HEADER",
    "Content",
    "DownloadTaskOutput",
    "EXTENSIONS",
    "Extension",
    "FINAL_STATUSES",
    "Field",
    "GetTask",
    "GetTaskStatus",
    "GetTaskStatuses",
    "GetVersion",
    "KillTask",
    "ListTaskOutputs",
    "ListTasks",
    "Location",
    "OPERATIONS",
    "Operation",
    "SAMPLES",
    "STATUSES",
    "Schemas",
    "Status",
    "SubmitTask",
    "Success",
    "TaskStatusLiteral",
    "UploadTaskInput",
    "__version__",
    "sample",
]

__version__ = "0.6.0"
"""``info.version`` of the contract: the version of the API and of this project."""

TaskStatusLiteral = Literal[
    "pending-input",
    "submitted",
    "started",
    "success",
    "failed",
    "pending-kill",
    "killed",
    "spot-instance-preempted",
    "executer-terminated",
    "executer-failed",
]
"""Every ``TaskStatusCode`` value, as a type checkers understand (``TaskStatus``)."""

STATUSES: tuple[TaskStatusLiteral, ...] = (
    "pending-input",
    "submitted",
    "started",
    "success",
    "failed",
    "pending-kill",
    "killed",
    "spot-instance-preempted",
    "executer-terminated",
    "executer-failed",
)
"""Every ``TaskStatusCode`` value, in the spec's order (the lifecycle order)."""

FINAL_STATUSES: frozenset[str] = frozenset(
    (
        "success",
        "failed",
        "killed",
        "spot-instance-preempted",
        "executer-terminated",
        "executer-failed",
    )
)
"""``TaskStatusCode`` values after which a task never changes (``x-final-statuses``)."""


class Status:
    """One constant per ``TaskStatusCode`` value."""

    PENDING_INPUT: Final = "pending-input"
    SUBMITTED: Final = "submitted"
    STARTED: Final = "started"
    SUCCESS: Final = "success"
    FAILED: Final = "failed"
    PENDING_KILL: Final = "pending-kill"
    KILLED: Final = "killed"
    SPOT_INSTANCE_PREEMPTED: Final = "spot-instance-preempted"
    EXECUTER_TERMINATED: Final = "executer-terminated"
    EXECUTER_FAILED: Final = "executer-failed"


class Extension:
    """One constant per ``x-inductiva-extension`` value of the spec."""

    VERSION: Final = "version"
    IDEMPOTENCY_KEY: Final = "idempotency-key"
    BATCH_STATUS: Final = "batch-status"
    LONG_POLL: Final = "long-poll"
    BYTE_RANGES: Final = "byte-ranges"
    ERROR_CODES: Final = "error-codes"


EXTENSIONS: frozenset[str] = frozenset(
    (
        Extension.VERSION,
        Extension.IDEMPOTENCY_KEY,
        Extension.BATCH_STATUS,
        Extension.LONG_POLL,
        Extension.BYTE_RANGES,
        Extension.ERROR_CODES,
    )
)
"""Every extension the spec declares."""

API_KEY_HEADER: Final = "X-API-Key"
"""The header carrying the API key (the spec's global ``apiKey`` scheme)."""


Location = Literal["path", "query", "header", "cookie", "body"]


@attrs.frozen
class Field:
    """A parameter (``location`` path, query, header or cookie) or a property of a schema
    (``location`` body), and what the spec declares of it (None or False: nothing)."""

    name: str
    location: Location
    required: bool = attrs.field(default=False, kw_only=True)
    type: str | None = attrs.field(default=None, kw_only=True)
    """The JSON type (``integer``, ``string``, ``array``, ...)."""
    schema: str | None = attrs.field(default=None, kw_only=True)
    """The component schema it refers to (e.g. ``TaskStatusCode``)."""
    extension: str | None = attrs.field(default=None, kw_only=True)
    """The extension it belongs to (its own marker, else its operation's)."""
    enum: tuple[Any, ...] | None = attrs.field(default=None, kw_only=True)
    default: Any = attrs.field(default=None, kw_only=True)
    minimum: float | None = attrs.field(default=None, kw_only=True)
    maximum: float | None = attrs.field(default=None, kw_only=True)
    exclusive_minimum: bool = attrs.field(default=False, kw_only=True)
    exclusive_maximum: bool = attrs.field(default=False, kw_only=True)
    min_length: int | None = attrs.field(default=None, kw_only=True)
    max_length: int | None = attrs.field(default=None, kw_only=True)
    pattern: str | None = attrs.field(default=None, kw_only=True)
    format: str | None = attrs.field(default=None, kw_only=True)
    """The string format (``date-time``, ``uuid``, ...)."""
    min_items: int | None = attrs.field(default=None, kw_only=True)
    max_items: int | None = attrs.field(default=None, kw_only=True)
    nullable: bool = attrs.field(default=False, kw_only=True)


@attrs.frozen
class Content:
    """One media type of a request or response body."""

    media_type: str
    schema: str | None = attrs.field(default=None, kw_only=True)
    """The component schema of the body (of its items when ``array``), if it is one."""
    array: bool = attrs.field(default=False, kw_only=True)
    sample: Any = attrs.field(default=None, kw_only=True)
    """A schema-valid body (shared: copy before changing); None unless JSON."""


@attrs.frozen
class Success:
    """A 2xx response of an operation."""

    status: int
    content: tuple[Content, ...] = ()
    extension: str | None = attrs.field(default=None, kw_only=True)


class Operation:
    """The facts of one operation; subclasses also group their parameters by location
    in nested classes ``Path``, ``Query``, ``Header`` and ``Cookie``."""

    OPERATION_ID: ClassVar[str]
    METHOD: ClassVar[str]
    PATH: ClassVar[str]
    """The path template, e.g. ``/tasks/{task_id}``."""
    EXTENSION: ClassVar[str | None]
    PARAMETERS: ClassVar[tuple[Field, ...]]
    REQUEST: ClassVar[tuple[Content, ...]]
    REQUEST_REQUIRED: ClassVar[bool]
    SUCCESS: ClassVar[tuple[Success, ...]]


SAMPLES: dict[str, Any] = {
    "HTTPValidationError": {"detail": [{"loc": ["string"], "msg": "string", "type": "string"}]},
    "ValidationError": {"loc": ["string"], "msg": "string", "type": "string"},
    "HTTPError": {"detail": "Task 1691150776862178362 not found."},
    "Version": {"version": "string", "api_version": "string", "extensions": ["string"]},
    "TaskStatusCode": "pending-input",
    "AnyTaskStatus": "pending-input",
    "TaskRequest": {
        "method": "string",
        "params": {},
        "resource_pool": "00000000-0000-4000-8000-000000000000",
    },
    "TaskStatusesRequest": {
        "tasks": [{"id": "0", "last_status": "pending-input"}],
        "wait_seconds": 0,
    },
    "KnownTaskStatus": {"id": "0", "last_status": "pending-input"},
    "TaskStatuses": {"tasks": [{"id": "string", "status": "pending-input"}]},
    "TaskStatus": {"id": "string", "status": "pending-input"},
    "Body_upload_task_input": {"file": ""},
    "GCloudExecuter": {
        "uuid": "string",
        "cpu_count_logical": 0,
        "cpu_count_physical": 0,
        "memory": 0,
        "host_type": "gcloud",
        "vm_type": "string",
        "vm_name": "string",
    },
    "InductivaExecuter": {
        "uuid": "string",
        "cpu_count_logical": 0,
        "cpu_count_physical": 0,
        "memory": 0,
        "host_type": "inductiva-hardware",
    },
    "Task": {
        "task_id": "1691150776862178362",
        "status": "pending-input",
        "method_name": "fvm.openfoam.run_simulation",
        "create_time": "1970-01-01T00:00:00Z",
        "input_submit_time": "1970-01-01T00:00:00Z",
        "start_time": "1970-01-01T00:00:00Z",
        "end_time": "1970-01-01T00:00:00Z",
        "executer": {
            "uuid": "string",
            "cpu_count_logical": 0,
            "cpu_count_physical": 0,
            "memory": 0,
            "host_type": "gcloud",
            "vm_type": "string",
            "vm_name": "string",
        },
    },
    "FileInfo": {"name": "stdout.txt", "size": 0, "compressed_size": 0},
    "OutputArchiveInfo": {
        "size": 0,
        "contents": [{"name": "stdout.txt", "size": 0, "compressed_size": 0}],
    },
}
"""A schema-valid sample of every component schema (shared: see ``sample``)."""


def sample(schema: str) -> Any:
    """A copy of the sample of component schema *schema*, free to change."""
    return deepcopy(SAMPLES[schema])


class GetVersion(Operation):
    """``GET /version``: API and server version, and the extensions the server offers."""

    OPERATION_ID = "get_version"
    METHOD = "GET"
    PATH = "/version"
    EXTENSION = "version"

    PARAMETERS = ()
    REQUEST = ()
    REQUEST_REQUIRED = False
    SUCCESS = (
        Success(200, (Content("application/json", schema="Version", sample=SAMPLES["Version"]),)),
    )


class SubmitTask(Operation):
    """``POST /tasks/submit``: Submit Task."""

    OPERATION_ID = "submit_task"
    METHOD = "POST"
    PATH = "/tasks/submit"
    EXTENSION = None

    class Header:
        IDEMPOTENCY_KEY: Final = Field(
            "Idempotency-Key",
            "header",
            type="string",
            extension="idempotency-key",
            min_length=1,
            max_length=255,
        )

    PARAMETERS = (Header.IDEMPOTENCY_KEY,)
    REQUEST = (Content("application/json", schema="TaskRequest", sample=SAMPLES["TaskRequest"]),)
    REQUEST_REQUIRED = True
    SUCCESS = (
        Success(
            202, (Content("application/json", schema="TaskStatus", sample=SAMPLES["TaskStatus"]),)
        ),
    )


class UploadTaskInput(Operation):
    """``POST /tasks/{task_id}/input``: Upload Task Input."""

    OPERATION_ID = "upload_task_input"
    METHOD = "POST"
    PATH = "/tasks/{task_id}/input"
    EXTENSION = None

    class Path:
        TASK_ID: Final = Field("task_id", "path", required=True, type="string")

    PARAMETERS = (Path.TASK_ID,)
    REQUEST = (Content("multipart/form-data", schema="Body_upload_task_input"),)
    REQUEST_REQUIRED = False
    SUCCESS = (
        Success(
            200, (Content("application/json", schema="TaskStatus", sample=SAMPLES["TaskStatus"]),)
        ),
    )


class ListTasks(Operation):
    """``GET /tasks``: Get User Tasks."""

    OPERATION_ID = "list_tasks"
    METHOD = "GET"
    PATH = "/tasks"
    EXTENSION = None

    class Query:
        PAGE: Final = Field("page", "query", type="integer")
        PER_PAGE: Final = Field("per_page", "query", type="integer")
        STATUS: Final = Field(
            "status", "query", type="string", schema="TaskStatusCode", enum=STATUSES
        )

    PARAMETERS = (
        Query.PAGE,
        Query.PER_PAGE,
        Query.STATUS,
    )
    REQUEST = ()
    REQUEST_REQUIRED = False
    SUCCESS = (
        Success(
            200, (Content("application/json", schema="Task", array=True, sample=[SAMPLES["Task"]]),)
        ),
    )


class GetTask(Operation):
    """``GET /tasks/{task_id}``: Get Task."""

    OPERATION_ID = "get_task"
    METHOD = "GET"
    PATH = "/tasks/{task_id}"
    EXTENSION = None

    class Path:
        TASK_ID: Final = Field("task_id", "path", required=True, type="string")

    PARAMETERS = (Path.TASK_ID,)
    REQUEST = ()
    REQUEST_REQUIRED = False
    SUCCESS = (Success(200, (Content("application/json", schema="Task", sample=SAMPLES["Task"]),)),)


class GetTaskStatuses(Operation):
    """``POST /tasks/status``: Get Many Task Statuses."""

    OPERATION_ID = "get_task_statuses"
    METHOD = "POST"
    PATH = "/tasks/status"
    EXTENSION = "batch-status"

    PARAMETERS = ()
    REQUEST = (
        Content(
            "application/json", schema="TaskStatusesRequest", sample=SAMPLES["TaskStatusesRequest"]
        ),
    )
    REQUEST_REQUIRED = True
    SUCCESS = (
        Success(
            200,
            (Content("application/json", schema="TaskStatuses", sample=SAMPLES["TaskStatuses"]),),
        ),
    )


class GetTaskStatus(Operation):
    """``GET /tasks/{task_id}/status``: Get Task Status."""

    OPERATION_ID = "get_task_status"
    METHOD = "GET"
    PATH = "/tasks/{task_id}/status"
    EXTENSION = None

    class Path:
        TASK_ID: Final = Field("task_id", "path", required=True, type="string")

    class Query:
        WAIT_SECONDS: Final = Field(
            "wait_seconds",
            "query",
            type="number",
            extension="long-poll",
            minimum=0,
            maximum=60,
            default=0,
        )
        LAST_STATUS: Final = Field(
            "last_status",
            "query",
            type="string",
            schema="TaskStatusCode",
            extension="long-poll",
            enum=STATUSES,
        )

    PARAMETERS = (
        Path.TASK_ID,
        Query.WAIT_SECONDS,
        Query.LAST_STATUS,
    )
    REQUEST = ()
    REQUEST_REQUIRED = False
    SUCCESS = (
        Success(
            200, (Content("application/json", schema="TaskStatus", sample=SAMPLES["TaskStatus"]),)
        ),
    )


class KillTask(Operation):
    """``POST /tasks/{task_id}/kill``: Kill Task."""

    OPERATION_ID = "kill_task"
    METHOD = "POST"
    PATH = "/tasks/{task_id}/kill"
    EXTENSION = None

    class Path:
        TASK_ID: Final = Field("task_id", "path", required=True, type="string")

    PARAMETERS = (Path.TASK_ID,)
    REQUEST = ()
    REQUEST_REQUIRED = False
    SUCCESS = (
        Success(
            200, (Content("application/json", schema="TaskStatus", sample=SAMPLES["TaskStatus"]),)
        ),
    )


class ListTaskOutputs(Operation):
    """``GET /tasks/{task_id}/output/list``: Get Outputs List."""

    OPERATION_ID = "list_task_outputs"
    METHOD = "GET"
    PATH = "/tasks/{task_id}/output/list"
    EXTENSION = None

    class Path:
        TASK_ID: Final = Field("task_id", "path", required=True, type="string")

    PARAMETERS = (Path.TASK_ID,)
    REQUEST = ()
    REQUEST_REQUIRED = False
    SUCCESS = (
        Success(
            200,
            (
                Content(
                    "application/json",
                    schema="OutputArchiveInfo",
                    sample=SAMPLES["OutputArchiveInfo"],
                ),
            ),
        ),
    )


class DownloadTaskOutput(Operation):
    """``GET /tasks/{task_id}/output``: Download Task Output."""

    OPERATION_ID = "download_task_output"
    METHOD = "GET"
    PATH = "/tasks/{task_id}/output"
    EXTENSION = None

    class Path:
        TASK_ID: Final = Field("task_id", "path", required=True, type="string")

    class Query:
        FILENAME: Final = Field("filename", "query", type="array")

    class Header:
        RANGE: Final = Field("Range", "header", type="string", extension="byte-ranges")
        IF_RANGE: Final = Field("If-Range", "header", type="string", extension="byte-ranges")

    PARAMETERS = (
        Path.TASK_ID,
        Query.FILENAME,
        Header.RANGE,
        Header.IF_RANGE,
    )
    REQUEST = ()
    REQUEST_REQUIRED = False
    SUCCESS = (
        Success(
            200,
            (
                Content("application/json", sample={}),
                Content("application/octet-stream"),
            ),
        ),
        Success(206, (Content("application/octet-stream"),), extension="byte-ranges"),
    )


OPERATIONS: tuple[type[Operation], ...] = (
    GetVersion,
    SubmitTask,
    UploadTaskInput,
    ListTasks,
    GetTask,
    GetTaskStatuses,
    GetTaskStatus,
    KillTask,
    ListTaskOutputs,
    DownloadTaskOutput,
)
"""Every operation, in the spec's order."""


class Schemas:
    """One class per object schema: its properties, as :class:`Field` constants."""

    class HTTPValidationError:
        """``HTTPValidationError``."""

        DETAIL: Final = Field("detail", "body", type="array")

    class ValidationError:
        """``ValidationError``."""

        LOC: Final = Field("loc", "body", required=True, type="array")
        MSG: Final = Field("msg", "body", required=True, type="string")
        TYPE: Final = Field("type", "body", required=True, type="string")

    class HTTPError:
        """``HTTPError``."""

        DETAIL: Final = Field("detail", "body", required=True, type="string")

    class Version:
        """``Version``."""

        VERSION: Final = Field("version", "body", required=True, type="string", extension="version")
        API_VERSION: Final = Field(
            "api_version", "body", required=True, type="string", extension="version"
        )
        EXTENSIONS: Final = Field(
            "extensions", "body", required=True, type="array", extension="version"
        )

    class TaskRequest:
        """``TaskRequest``."""

        METHOD: Final = Field("method", "body", required=True, type="string")
        PARAMS: Final = Field("params", "body", required=True, type="object")
        RESOURCE_POOL: Final = Field(
            "resource_pool", "body", type="string", format="uuid4", nullable=True
        )

    class TaskStatusesRequest:
        """``TaskStatusesRequest``."""

        TASKS: Final = Field(
            "tasks",
            "body",
            required=True,
            type="array",
            extension="batch-status",
            min_items=1,
            max_items=1000,
        )
        WAIT_SECONDS: Final = Field(
            "wait_seconds",
            "body",
            type="number",
            extension="batch-status",
            minimum=0,
            maximum=60,
            default=0,
        )

    class KnownTaskStatus:
        """``KnownTaskStatus``."""

        ID: Final = Field(
            "id",
            "body",
            required=True,
            type="string",
            extension="batch-status",
            pattern="^[0-9]{1,32}$",
        )
        LAST_STATUS: Final = Field(
            "last_status",
            "body",
            type="string",
            schema="TaskStatusCode",
            extension="batch-status",
            enum=STATUSES,
        )

    class TaskStatuses:
        """``TaskStatuses``."""

        TASKS: Final = Field("tasks", "body", required=True, type="array", extension="batch-status")

    class TaskStatus:
        """``TaskStatus``."""

        ID: Final = Field("id", "body", required=True, type="string")
        STATUS: Final = Field("status", "body", required=True, schema="AnyTaskStatus")

    class BodyUploadTaskInput:
        """``Body_upload_task_input``."""

        FILE: Final = Field("file", "body", required=True, type="string", format="binary")

    class GCloudExecuter:
        """``GCloudExecuter``."""

        UUID: Final = Field("uuid", "body", required=True, type="string")
        CPU_COUNT_LOGICAL: Final = Field("cpu_count_logical", "body", required=True, type="integer")
        CPU_COUNT_PHYSICAL: Final = Field(
            "cpu_count_physical", "body", required=True, type="integer"
        )
        MEMORY: Final = Field("memory", "body", required=True, type="integer")
        HOST_TYPE: Final = Field(
            "host_type", "body", required=True, type="string", enum=("gcloud",)
        )
        VM_TYPE: Final = Field("vm_type", "body", required=True, type="string")
        VM_NAME: Final = Field("vm_name", "body", type="string")

    class InductivaExecuter:
        """``InductivaExecuter``."""

        UUID: Final = Field("uuid", "body", required=True, type="string")
        CPU_COUNT_LOGICAL: Final = Field("cpu_count_logical", "body", required=True, type="integer")
        CPU_COUNT_PHYSICAL: Final = Field(
            "cpu_count_physical", "body", required=True, type="integer"
        )
        MEMORY: Final = Field("memory", "body", required=True, type="integer")
        HOST_TYPE: Final = Field(
            "host_type", "body", required=True, type="string", enum=("inductiva-hardware",)
        )

    class Task:
        """``Task``."""

        TASK_ID: Final = Field("task_id", "body", required=True, type="string")
        STATUS: Final = Field("status", "body", required=True, schema="AnyTaskStatus")
        METHOD_NAME: Final = Field("method_name", "body", required=True, type="string")
        CREATE_TIME: Final = Field(
            "create_time", "body", type="string", format="date-time", nullable=True
        )
        INPUT_SUBMIT_TIME: Final = Field(
            "input_submit_time", "body", type="string", format="date-time", nullable=True
        )
        START_TIME: Final = Field(
            "start_time", "body", type="string", format="date-time", nullable=True
        )
        END_TIME: Final = Field(
            "end_time", "body", type="string", format="date-time", nullable=True
        )
        EXECUTER: Final = Field("executer", "body")

    class FileInfo:
        """``FileInfo``."""

        NAME: Final = Field("name", "body", required=True, type="string")
        SIZE: Final = Field("size", "body", required=True, type="integer")
        COMPRESSED_SIZE: Final = Field("compressed_size", "body", required=True, type="integer")

    class OutputArchiveInfo:
        """``OutputArchiveInfo``."""

        SIZE: Final = Field("size", "body", required=True, type="integer")
        CONTENTS: Final = Field("contents", "body", required=True, type="array")
