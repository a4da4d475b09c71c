"""Pure task logic shared by the sync and async APIs: statuses, arguments, values.

Nothing here does I/O. :class:`TaskInfo` is the frozen value object built from
the generated ``Task`` model; the functions decide whether a status is final
and validate user arguments with errors that name what is allowed.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

import attrs
from inductiva_api.models import GCloudExecuter, InductivaExecuter, TaskStatusCode
from inductiva_api.models import Task as TaskModel
from inductiva_api.types import Unset

from ._validate import check_seconds
from .errors import InvalidArgumentError

__all__ = [
    "ALL_STATUSES",
    "TERMINAL_STATUSES",
    "TaskInfo",
    "is_terminal",
    "known_status",
    "simulator_of",
    "status_text",
    "validate_last_n",
    "validate_status",
    "validate_task_id",
    "validate_timeout",
]

logger = logging.getLogger("inductiva")

_LIFECYCLE = (
    "pending-input",
    "submitted",
    "started",
    "success",
    "failed",
    "pending-kill",
    "killed",
)
ALL_STATUSES: tuple[str, ...] = (
    *_LIFECYCLE,
    *(s.value for s in TaskStatusCode if s.value not in _LIFECYCLE),
)
"""Every status of the API contract, in lifecycle order."""
TERMINAL_STATUSES = frozenset(
    {
        "success",
        "failed",
        "killed",
        "spot-instance-preempted",
        "executer-terminated",
        "executer-failed",
    }
)
_warned_unknown: set[str] = set()


def status_text(status: TaskStatusCode | str) -> str:
    """The plain string of a status, known (enum) or not."""
    return status.value if isinstance(status, TaskStatusCode) else str(status)


def known_status(status: str) -> TaskStatusCode | None:
    """The enum member for ``status``, or None for a status this client does not know."""
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


def _aware(value: datetime.datetime | Unset | None) -> datetime.datetime | None:
    if not isinstance(value, datetime.datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=datetime.UTC)


def _executer_fields(executer: object) -> dict[str, Any]:
    """host_type, vm_type, CPU counts and memory of either executer variant (or a dict)."""
    if isinstance(executer, GCloudExecuter | InductivaExecuter):
        executer = executer.to_dict()
    if not isinstance(executer, dict):  # None / UNSET: not started yet
        return {}
    fields: dict[str, Any] = {}
    for name in ("host_type", "vm_type"):
        value = executer.get(name)
        fields[name] = str(value) if isinstance(value, str) else None
    for name in ("cpu_count_logical", "cpu_count_physical", "memory"):
        value = executer.get(name)
        ok = isinstance(value, int) and not isinstance(value, bool)
        fields[name] = value if ok else None
    return fields


@attrs.frozen
class TaskInfo:
    """Everything the API says about one task; times are timezone-aware, memory in bytes.

    ``create_time`` and the other times are None when the API does not give
    them; ``host_type`` (``"gcloud"`` or ``"inductiva-hardware"``), ``vm_type``
    (Google Cloud only), the CPU counts and ``memory`` are None until the task
    runs on an executer.
    """

    id: str
    status: str
    method_name: str
    create_time: datetime.datetime | None = None
    input_submit_time: datetime.datetime | None = None
    start_time: datetime.datetime | None = None
    end_time: datetime.datetime | None = None
    host_type: str | None = None
    vm_type: str | None = None
    cpu_count_logical: int | None = None
    cpu_count_physical: int | None = None
    memory: int | None = None

    @classmethod
    def from_model(cls, model: TaskModel) -> TaskInfo:
        """Build from the generated ``Task`` model (UNSET and None both become None)."""
        return cls(
            id=str(model.task_id),
            status=status_text(model.status),
            method_name=model.method_name,
            create_time=_aware(model.create_time),
            input_submit_time=_aware(model.input_submit_time),
            start_time=_aware(model.start_time),
            end_time=_aware(model.end_time),
            **_executer_fields(model.executer),
        )

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
