"""Tasks from previous sessions: ``inductiva.tasks.get(last_n)`` and ``.list(last_n)``.

Both fetch whole pages (up to 1000 tasks per request), never one request per
task; the returned :class:`~inductiva.task.Task` objects carry the fetched
information, so printing the table needs no further requests.
"""

from __future__ import annotations

import builtins
from typing import Any

from inductiva_api.api.tasks import list_tasks
from inductiva_api.models import TaskPage
from inductiva_api.types import UNSET

from . import _client
from ._format import render_task_table
from ._task_info import TaskInfo, validate_last_n, validate_status
from .task import Task

__all__ = ["MAX_PER_PAGE", "get", "get_async", "list", "render"]

MAX_PER_PAGE = 1000


def _page_kwargs(last_n: int, status: str | None) -> dict[str, Any]:
    member = validate_status(status)
    per_page = min(validate_last_n(last_n), MAX_PER_PAGE)
    return {"per_page": per_page, "status": member or UNSET}


def _add_page(found: dict[str, Task], page: TaskPage, number: int, last_n: int) -> bool:
    """Add a page's tasks (newest first, no duplicates); whether another page is needed."""
    for model in page.tasks:
        if len(found) < last_n:
            found.setdefault(model.id, Task.from_info(TaskInfo.from_model(model)))
    exhausted = len(page.tasks) < page.per_page or number * page.per_page >= page.total
    return len(found) < last_n and not exhausted


def get(last_n: int, status: str | None = None) -> builtins.list[Task]:
    """The ``last_n`` most recent tasks (newest first), optionally only those in ``status``.

    ``status`` is one of the API's task statuses, e.g. ``"success"`` or ``"submitted"``.
    """
    kwargs = _page_kwargs(last_n, status)
    found: dict[str, Task] = {}
    number = 1
    while True:
        page = _client.call(list_tasks.sync_detailed, page=number, **kwargs)
        if not _add_page(found, page, number, last_n):
            break
        number += 1
    return builtins.list(found.values())


async def get_async(last_n: int, status: str | None = None) -> builtins.list[Task]:
    """The asyncio twin of :func:`get`."""
    kwargs = _page_kwargs(last_n, status)
    found: dict[str, Task] = {}
    number = 1
    while True:
        page = await _client.acall(list_tasks.asyncio_detailed, page=number, **kwargs)
        if not _add_page(found, page, number, last_n):
            break
        number += 1
    return builtins.list(found.values())


def render(tasks: builtins.list[Task]) -> str:
    """The task table for ``tasks`` (fetching information only for tasks that lack it)."""
    return render_task_table(t.info if t.info is not None else t.get_info() for t in tasks)


def list(last_n: int, status: str | None = None) -> None:
    """Print a table of the ``last_n`` most recent tasks (same arguments as :func:`get`)."""
    print(render(get(last_n, status=status)))
