"""HTML for notebook display (``_repr_html_``): pure rendering, no requests.

Jupyter shows an object's ``_repr_html_()`` when it has one; ``print()`` and the
plain ``repr`` are unchanged. Every value is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from ._format import TASK_TABLE_HEADERS, format_bytes, task_table_cells
from ._task_info import TaskInfo

__all__ = ["output_info_html", "table_html", "task_html", "task_info_html", "task_list_html"]


def table_html(headers: Sequence[str], rows: Iterable[Sequence[str]], caption: str = "") -> str:
    """An HTML table of text cells (escaped)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    table = f"{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
    return f'<table class="inductiva">{table}</table>'


def task_info_html(info: TaskInfo) -> str:
    """A two-column table: the rows ``inductiva tasks info`` prints."""
    from ._render import task_info_rows

    return table_html(("Field", "Value"), task_info_rows(info), caption=f"Task {info.id}")


def task_html(task_id: str, info: TaskInfo | None) -> str:
    """A task: its details when already fetched, else just its id."""
    if info is None:
        return table_html(("Task",), [(task_id,)], caption="Task (details not fetched yet)")
    return task_info_html(info)


def task_list_html(rows: Iterable[TaskInfo | str]) -> str:
    """The task table (the columns of ``inductiva.tasks.list``); a bare id for unfetched tasks."""
    cells = [task_table_cells(r) if isinstance(r, TaskInfo) else (r,) + ("",) * 6 for r in rows]
    return table_html(TASK_TABLE_HEADERS, cells)


def output_info_html(size: int, files: Iterable[tuple[int, int, str]]) -> str:
    """The output archive's table: size, compressed size and name of each file."""
    rows = [(format_bytes(s), format_bytes(c), name) for s, c, name in files]
    return table_html(
        ("Size", "Compressed", "Name"), rows, caption=f"Archive size: {format_bytes(size)}"
    )
