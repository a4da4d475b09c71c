"""Pure task logic shared by the sync and async APIs: statuses, arguments, values.

Nothing here does I/O. :class:`TaskInfo` is the frozen value object built from
the generated ``Task`` model; the functions decide whether a status is final
and validate user arguments with errors that name what is allowed.
"""

from __future__ import annotations

import datetime
import logging

import attrs
from inductiva_api.models import Task as TaskModel
from inductiva_api.models import TaskStatus
from inductiva_api.types import Unset

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
    *(s.value for s in TaskStatus if s.value not in _LIFECYCLE),
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


def status_text(status: TaskStatus | str) -> str:
    """The plain string of a status, known (enum) or not."""
    return status.value if isinstance(status, TaskStatus) else str(status)


def known_status(status: str) -> TaskStatus | None:
    """The enum member for ``status``, or None for a status this client does not know."""
    try:
        return TaskStatus(status)
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


def validate_status(status: str | None) -> TaskStatus | None:
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
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise InvalidArgumentError(f"{name} must be None or seconds >= 0, got {value!r}")
    return float(value)


def _aware(value: datetime.datetime | Unset | None) -> datetime.datetime | None:
    if not isinstance(value, datetime.datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=datetime.UTC)


def _int(value: int | Unset | None) -> int | None:
    return value if isinstance(value, int) else None


@attrs.frozen
class TaskInfo:
    """Everything the API says about one task; times are timezone-aware, sizes in bytes."""

    id: str
    status: str
    method_name: str
    create_time: datetime.datetime
    input_submit_time: datetime.datetime | None = None
    start_time: datetime.datetime | None = None
    end_time: datetime.datetime | None = None
    host_type: str | None = None
    vm_type: str | None = None
    input_size: int | None = None
    output_size: int | None = None

    @classmethod
    def from_model(cls, model: TaskModel) -> TaskInfo:
        """Build from the generated ``Task`` model (UNSET and None both become None)."""
        executer = None if isinstance(model.executer, Unset) else model.executer
        vm_type = executer.vm_type if executer is not None else None
        return cls(
            id=model.id,
            status=status_text(model.status),
            method_name=model.method_name,
            create_time=_aware(model.create_time) or model.create_time,
            input_submit_time=_aware(model.input_submit_time),
            start_time=_aware(model.start_time),
            end_time=_aware(model.end_time),
            host_type=executer.host_type if executer is not None else None,
            vm_type=vm_type if isinstance(vm_type, str) else None,
            input_size=_int(model.input_size_bytes),
            output_size=_int(model.output_size_bytes),
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
