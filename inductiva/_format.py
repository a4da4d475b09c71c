"""Pure text rendering: byte sizes, dates, durations and the task table.

Nothing here fetches or prints; callers pass values and get strings back, so
every format is unit tested on its own.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence

from ._task_info import TaskInfo
from ._validate import printable

__all__ = [
    "NOT_AVAILABLE",
    "TASK_TABLE_HEADERS",
    "format_bytes",
    "format_datetime",
    "format_duration",
    "render_task_table",
    "task_table_cells",
]

NOT_AVAILABLE = "n/a"
_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")

TASK_TABLE_HEADERS = ("ID", "Simulator", "Status", "Submitted", "Started", "Duration", "VM Type")
# Right-aligned column widths of the seed's table; a column widens for longer cells.
_TASK_TABLE_WIDTHS = (20, 16, 21, 21, 21, 16, 19)


def format_bytes(size: int) -> str:
    """``191`` → ``"191 B"``, ``141557`` → ``"138.24 KiB"``: binary units, two decimals.

    Sizes past the largest unit keep growing its number instead of failing.
    """
    if size < 0:
        raise ValueError(f"size must be >= 0 bytes, got {size}")
    if size < 1024:
        return f"{size} B"
    for exponent, unit in enumerate(_UNITS, start=1):
        value = size / 1024**exponent
        if round(value, 2) < 1024 or unit == _UNITS[-1]:
            break
    return f"{value:.2f} {unit}"


def format_datetime(moment: datetime.datetime | None) -> str:
    """``"04 Aug, 12:06:17"`` in local time, or ``"n/a"``."""
    if moment is None:
        return NOT_AVAILABLE
    return moment.astimezone().strftime("%d %b, %H:%M:%S")


def format_duration(seconds: float | None) -> str:
    """``113.4`` → ``"0h 1m 53s"``, or ``"n/a"``."""
    if seconds is None:
        return NOT_AVAILABLE
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes}m {secs}s"


def task_table_cells(row: TaskInfo) -> tuple[str, ...]:
    """One row of the task table, as text cells."""
    return (
        row.id,
        row.simulator,
        row.status,
        format_datetime(row.input_submit_time or row.create_time),
        format_datetime(row.start_time),
        format_duration(row.execution_time),
        row.vm_type or NOT_AVAILABLE,
    )


def _render(rows: Sequence[Sequence[str]]) -> str:
    rows = [[printable(cell) for cell in row] for row in rows]  # server text: no ESC reaches a tty
    widths = [
        max([minimum, *(len(r[i]) + 2 for r in rows)])
        for i, minimum in enumerate(_TASK_TABLE_WIDTHS)
    ]
    lines = ["".join(cell.rjust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def render_task_table(rows: Iterable[TaskInfo]) -> str:
    """The seed's task table: a header, then one right-aligned row per task."""
    return _render([TASK_TABLE_HEADERS, *(task_table_cells(r) for r in rows)])
