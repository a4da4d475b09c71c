"""Text the command line prints about one task (pure rendering, no fetching)."""

from __future__ import annotations

import datetime
from typing import Any

from ._format import NOT_AVAILABLE, format_bytes, format_duration
from ._task_info import TaskInfo

__all__ = ["format_timestamp", "render_task_info", "task_info_rows"]


def format_timestamp(moment: datetime.datetime | None) -> str:
    """``"04 Aug 2023, 12:06:17 UTC"`` in local time, or ``"n/a"``."""
    if moment is None:
        return NOT_AVAILABLE
    local = moment.astimezone()
    return f"{local:%d %b %Y, %H:%M:%S} {local.tzname() or ''}".rstrip()


def _cpus(info: TaskInfo) -> str:
    if info.cpu_count_logical is None and info.cpu_count_physical is None:
        return NOT_AVAILABLE
    logical = NOT_AVAILABLE if info.cpu_count_logical is None else str(info.cpu_count_logical)
    physical = NOT_AVAILABLE if info.cpu_count_physical is None else str(info.cpu_count_physical)
    return f"{logical} logical, {physical} physical"


# Fields of the generated Task (and its executer) that the friendly rows above show.
_SHOWN = {"task_id", "status", "method_name", "create_time", "input_submit_time"}
_SHOWN |= {"start_time", "end_time", "executer"}
_SHOWN_EXECUTER = {"host_type", "vm_type", "cpu_count_logical", "cpu_count_physical", "memory"}


def _value(value: Any) -> str:
    if value is None:
        return NOT_AVAILABLE
    if isinstance(value, datetime.datetime):
        return format_timestamp(value)
    return str(value)


def other_fields(info: TaskInfo) -> list[tuple[str, str]]:
    """Every field the friendly rows do not show, by its API name (new and extra ones too)."""
    fields = info.fields()
    rows = [(name, _value(value)) for name, value in fields.items() if name not in _SHOWN]
    executer = fields.get("executer")
    if isinstance(executer, dict):
        rows += [
            (f"executer.{name}", _value(value))
            for name, value in executer.items()
            if name not in _SHOWN_EXECUTER
        ]
    return rows


def task_info_rows(info: TaskInfo) -> list[tuple[str, str]]:
    """The ``(label, value)`` rows of :func:`render_task_info` (also the notebook table)."""
    machine = info.vm_type or NOT_AVAILABLE
    if info.host_type:
        machine += f" (host: {info.host_type})"
    rows = (
        ("Task", info.id),
        ("Status", str(info.status)),
        ("Simulator", f"{info.simulator} ({info.method_name})"),
        ("Created", format_timestamp(info.create_time)),
        ("Input submitted", format_timestamp(info.input_submit_time)),
        ("Started", format_timestamp(info.start_time)),
        ("Ended", format_timestamp(info.end_time)),
        ("Duration", format_duration(info.execution_time)),
        ("Machine type", machine),
        ("CPUs", _cpus(info)),
        ("Memory", NOT_AVAILABLE if info.memory is None else format_bytes(info.memory)),
        *other_fields(info),
    )
    return list(rows)


def render_task_info(info: TaskInfo) -> str:
    """A ``Label: value`` block with the task's status, times and machine, then every other
    field the API sent (by its API name), including ones added to the contract later."""
    rows = task_info_rows(info)
    width = max(len(label) for label, _ in rows) + 2
    return "\n".join(f"{label + ':':<{width}}{value}" for label, value in rows)
