"""Pure task logic shared by the sync and async APIs: statuses, arguments, values.

Nothing here does I/O. :class:`TaskInfo` is the frozen value object wrapping
the generated ``Task`` model (which stays the single source of truth for its
fields); the functions decide whether a status is final
and validate user arguments with errors that name what is allowed.

Every fact of the contract comes from generated code: the statuses and their
order (``contract.STATUSES``), the final ones (``x-final-statuses``), the
model's fields. Generated model classes are never imported at module level: a
schema renamed by a regeneration fails ``make typecheck`` where it is used, not
``import inductiva``. The executer is read by its attributes, whatever model
the contract names it (an executer of a kind this client does not know, kept
as its raw data by the generated parser, is read by its keys).
"""

from __future__ import annotations

import datetime
import enum
import logging
from typing import TYPE_CHECKING, Any, cast

import attrs
from inductiva_api.contract import FINAL_STATUSES, STATUSES
from inductiva_api.types import Unset

from ._types import TaskStatus
from ._validate import check_seconds
from .errors import InvalidArgumentError

if TYPE_CHECKING:
    from attrs import AttrsInstance
    from inductiva_api.models import Task as TaskModel
    from inductiva_api.models import TaskStatusCode

__all__ = [
    "ALL_STATUSES",
    "TERMINAL_STATUSES",
    "TaskInfo",
    "is_terminal",
    "known_status",
    "model_fields",
    "plain",
    "simulator_of",
    "status_text",
    "validate_last_n",
    "validate_status",
    "validate_task_id",
    "validate_timeout",
]

logger = logging.getLogger("inductiva")

ALL_STATUSES: tuple[str, ...] = STATUSES
"""Every status of the API contract, in the contract's (lifecycle) order."""
TERMINAL_STATUSES: frozenset[str] = FINAL_STATUSES
"""The final statuses, as the contract lists them (``x-final-statuses``, generated)."""
_warned_unknown: set[str] = set()


def status_text(status: TaskStatusCode | str) -> str:
    """The plain string of a status, known (enum) or not."""
    return status.value if isinstance(status, enum.Enum) else str(status)


def known_status(status: str) -> TaskStatusCode | None:
    """The enum member for ``status``, or None for a status this client does not know."""
    from inductiva_api.models import TaskStatusCode

    try:
        return TaskStatusCode(status)
    except ValueError:
        return None


def is_terminal(status: str) -> bool:
    """Whether the task will not change any more; unknown statuses are not final (logged once)."""
    if status in TERMINAL_STATUSES:
        return True
    if known_status(status) is None and status not in _warned_unknown:
        _warned_unknown.add(status)
        logger.warning("Unknown task status %r (newer API?); treating it as not final.", status)
    return False


def simulator_of(method_name: str) -> str:
    """``"fvm.openfoam.run_simulation"`` → ``"openfoam"``; ``"synthetic.run"`` → ``"synthetic"``."""
    parts = method_name.split(".")
    return parts[1] if len(parts) >= 3 else parts[0]


def validate_status(status: str | None) -> TaskStatusCode | None:
    """``status`` as an enum member, or InvalidArgumentError naming the allowed values."""
    if status is None:
        return None
    member = known_status(status) if isinstance(status, str) else None
    if member is None:
        raise InvalidArgumentError(
            f"status must be one of {', '.join(ALL_STATUSES)} (or None), got {status!r}"
        )
    return member


def validate_last_n(last_n: object) -> int:
    """``last_n`` if it is a positive int, else InvalidArgumentError."""
    if isinstance(last_n, bool) or not isinstance(last_n, int) or last_n < 1:
        raise InvalidArgumentError(f"last_n must be a positive integer, got {last_n!r}")
    return last_n


def validate_task_id(task_id: object) -> str:
    """A task id is a non-empty string of digits (ints are accepted and converted)."""
    if isinstance(task_id, int) and not isinstance(task_id, bool) and task_id >= 0:
        task_id = str(task_id)
    if not isinstance(task_id, str) or not task_id.isdigit() or not task_id.isascii():
        raise InvalidArgumentError(
            f"task_id must be a string of digits such as '1691150776862178362', got {task_id!r}"
        )
    return task_id


def validate_timeout(name: str, value: float | None) -> float | None:
    """A timeout is None (no limit) or a number of seconds >= 0."""
    return check_seconds(name, value, allow_none=True, allow_zero=True)


def _aware(value: object) -> datetime.datetime | None:
    if not isinstance(value, datetime.datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=datetime.UTC)


def plain(value: object) -> Any:
    """A generated model's value as plain data: enums as strings, models as dicts, UNSET as None.

    Datetimes (parsed by the generated code, ``format: date-time``) stay datetimes,
    made timezone-aware (UTC when the API gives no offset).
    """
    if isinstance(value, Unset):
        return None
    if isinstance(value, datetime.datetime):
        return _aware(value)
    if isinstance(value, enum.Enum):
        return value.value
    if attrs.has(type(value)):
        return model_fields(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def model_fields(model: object) -> dict[str, Any]:
    """Every field of a generated model, in declaration order, then its extra properties.

    Built from the model class itself (no hand-written list), so a field added
    to the spec and regenerated, or a property the spec does not declare yet
    (``additional_properties``), is included. Fields the API left out are
    omitted.
    """
    out: dict[str, Any] = {}
    if not attrs.has(type(model)):
        return out
    for field in attrs.fields(cast("type[AttrsInstance]", type(model))):
        if field.name == "additional_properties":
            continue
        value = getattr(model, field.name)
        if not isinstance(value, Unset):
            out[field.name] = plain(value)
    for name, value in dict(getattr(model, "additional_properties", {})).items():
        out.setdefault(str(name), plain(value))
    return out


def _executer_value(executer: object, name: str) -> object:
    """Field ``name`` of the executer: an attribute of its model, or a key of raw data.

    None (or UNSET) before the task runs; an executer of a kind this client's
    contract does not know stays the raw dict the generated parser kept.
    """
    if isinstance(executer, dict):
        return executer.get(name)
    value = getattr(executer, name, None)
    return None if isinstance(value, Unset) else value


class _Field:
    """A friendly view of one field of the model (the attribute's name), read-only."""

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name


class _Moment(_Field):
    """A date-time field of the model, timezone-aware (UTC when the API gives no offset)."""

    def __get__(self, info: TaskInfo, owner: type | None = None) -> datetime.datetime | None:
        return _aware(getattr(info.model, self.name))


class _ExecuterText(_Field):
    """A text field of the executer, or None (not started, or not this kind of executer)."""

    def __get__(self, info: TaskInfo, owner: type | None = None) -> str | None:
        value = _executer_value(info.model.executer, self.name)
        return value if isinstance(value, str) else None


class _ExecuterCount(_Field):
    """A whole-number field of the executer, or None."""

    def __get__(self, info: TaskInfo, owner: type | None = None) -> int | None:
        value = _executer_value(info.model.executer, self.name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None


@attrs.frozen
class TaskInfo:
    """Everything the API says about one task: the generated ``Task`` model, with friendly views.

    Every field of the model is readable as an attribute (``info.method_name``,
    and a field added to the contract later, once regenerated), and so is every
    property the server sent that the contract does not declare yet
    (``info.cost_usd``); :meth:`fields` gives them all as a dict. On top of
    that: ``id``, ``status`` (plain text), ``simulator``, timezone-aware
    ``create_time``/``input_submit_time``/``start_time``/``end_time`` (None when
    unknown), ``host_type`` (``"gcloud"`` or ``"inductiva-hardware"``),
    ``vm_type`` (Google Cloud only), the CPU counts and ``memory`` (bytes),
    None until the task runs on an executer, and ``execution_time``.

    ``TaskInfo(model)`` wraps a generated ``Task`` (``TaskInfo(Task.from_dict(json))``
    for the API's JSON).
    """

    model: TaskModel

    @classmethod
    def from_model(cls, model: TaskModel) -> TaskInfo:
        """Wrap the generated ``Task`` model."""
        return cls(model)

    def __getattr__(self, name: str) -> Any:
        """Any other field of the model, or an extra property the server sent (plain data)."""
        if name.startswith("__") or name == "model":
            raise AttributeError(name)
        model = self.model
        if attrs.has(type(model)) and name in attrs.fields_dict(type(model)):
            return plain(getattr(model, name))
        extra = model.additional_properties
        if name in extra:
            return plain(extra[name])
        raise AttributeError(f"{type(self).__name__!r} has no field {name!r}")

    def fields(self) -> dict[str, Any]:
        """Every field the API sent (declared or extra), as plain data; see :func:`model_fields`."""
        return model_fields(self.model)

    def as_dict(self) -> dict[str, Any]:
        """The API's JSON for this task (the model's ``to_dict()``)."""
        return self.model.to_dict()

    @property
    def id(self) -> str:
        """The task id (``task_id`` in the API)."""
        return str(self.model.task_id)

    @property
    def status(self) -> TaskStatus:
        """The status as plain text, known or not (a newer status passes as is)."""
        return cast(TaskStatus, status_text(self.model.status))

    def _repr_html_(self) -> str:
        """Notebook display: the rows of ``inductiva tasks info`` as an HTML table."""
        from ._html import task_info_html

        return task_info_html(self)

    @property
    def method_name(self) -> str:
        """The dotted simulator method, e.g. ``fvm.openfoam.run_simulation``."""
        return str(self.model.method_name)

    create_time = _Moment("When the task was registered (timezone-aware), or None.")
    input_submit_time = _Moment("When its input was uploaded (timezone-aware), or None.")
    start_time = _Moment("When it started running (timezone-aware), or None.")
    end_time = _Moment("When it ended (timezone-aware), or None.")
    host_type = _ExecuterText('``"gcloud"`` or ``"inductiva-hardware"``; None until the task runs.')
    vm_type = _ExecuterText(
        "The machine type, e.g. ``c2-standard-8`` (Google Cloud only); None if unknown."
    )
    cpu_count_logical = _ExecuterCount("Logical CPUs of the executer, or None.")
    cpu_count_physical = _ExecuterCount("Physical CPUs of the executer, or None.")
    memory = _ExecuterCount("Memory of the executer in bytes, or None.")

    @property
    def simulator(self) -> str:
        """The simulator part of ``method_name``, e.g. ``openfoam``."""
        return simulator_of(self.method_name)

    @property
    def is_terminal(self) -> bool:
        """Whether the task has finished (this information will not change)."""
        return is_terminal(self.status)

    @property
    def execution_time(self) -> float | None:
        """Seconds between start and end, or None until both are known."""
        if self.start_time is None or self.end_time is None:
            return None
        return max(0.0, (self.end_time - self.start_time).total_seconds())
