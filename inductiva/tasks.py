"""Tasks from previous sessions: ``inductiva.tasks.get(last_n)`` and ``.list(last_n)``.

Both fetch whole pages of the API's plain task array (up to 1000 tasks per
request), never one request per task, and stop at the first page shorter than
asked for (the API sends no total). The returned
:class:`~inductiva.task.Task` objects carry the fetched information, so
printing the table needs no further requests.
"""

from __future__ import annotations

import builtins
from typing import TypedDict

from inductiva_api.models import Task as TaskModel
from inductiva_api.models import TaskStatusCode
from inductiva_api.types import UNSET, Unset

from ._format import render_task_table
from ._http import core_of
from ._http._flow import Flow, call
from ._task_info import TaskInfo, validate_last_n, validate_status
from ._types import TaskStatus
from .task import Task

__all__ = ["MAX_PER_PAGE", "TaskList", "get", "get_async", "list", "list_async", "render"]

MAX_PER_PAGE = 1000


class TaskList(builtins.list[Task]):
    """The tasks ``get()`` returns: a plain ``list`` of :class:`~inductiva.task.Task`, newest
    first, that a notebook displays as the task table (``_repr_html_``)."""

    def _repr_html_(self) -> str:
        """Notebook display: the task table (no request; unfetched tasks show their id)."""
        from ._html import task_list_html

        return task_list_html(t.info if t.info is not None else t.id for t in self)


class PageQuery(TypedDict):
    """The arguments of one ``list_tasks`` request (checked against the endpoint by mypy)."""

    page: int
    per_page: int
    status: TaskStatusCode | Unset


class _Paging:
    """The paging decisions shared by :func:`get` and :func:`get_async`; no I/O here.

    Pages of ``per_page = min(last_n, 1000)`` tasks are asked for in order until
    ``last_n`` tasks are found or a page comes back shorter than ``per_page`` (the
    history ended); duplicates (a task seen on two pages because new tasks
    arrived meanwhile) are kept once.
    """

    def __init__(self, last_n: int, status: str | None, client: object) -> None:
        member = validate_status(status)
        self._client = client
        self._last_n = validate_last_n(last_n)
        self._per_page = min(self._last_n, MAX_PER_PAGE)
        self._status: TaskStatusCode | Unset = member or UNSET
        self._number = 0
        self._more = True
        self._found: dict[str, Task] = {}

    def next_request(self) -> PageQuery | None:
        """Arguments of the next page request, or None once enough tasks were found."""
        if not self._more:
            return None
        self._number += 1
        return {"page": self._number, "per_page": self._per_page, "status": self._status}

    def add(self, page: builtins.list[TaskModel]) -> None:
        """Keep a page's tasks (newest first) and decide whether another page is needed."""
        for model in page:
            if len(self._found) < self._last_n:
                info = TaskInfo.from_model(model)
                self._found.setdefault(info.id, Task.from_info(info, client=self._client))
        exhausted = len(page) < self._per_page
        self._more = len(self._found) < self._last_n and not exhausted

    @property
    def tasks(self) -> TaskList:
        """The tasks found so far, newest first."""
        return TaskList(self._found.values())


def _get_flow(paging: _Paging) -> Flow[TaskList]:
    from inductiva_api.api.tasks import list_tasks

    while (kwargs := paging.next_request()) is not None:
        paging.add((yield from call(list_tasks.sync_detailed, **kwargs)))
    return paging.tasks


def get(last_n: int, status: TaskStatus | None = None, *, client: object = None) -> TaskList:
    """The ``last_n`` most recent tasks (newest first), optionally only those in ``status``.

    ``status`` is one of the API's task statuses, e.g. ``"success"`` or ``"submitted"``.
    The requests (and those of the returned tasks) go through ``client`` (an
    :class:`inductiva.Client`; by default the module's default client).
    """
    core = core_of(client)
    return core.run(_get_flow(_Paging(last_n, status, core)))


async def get_async(
    last_n: int, status: TaskStatus | None = None, *, client: object = None
) -> TaskList:
    """The asyncio twin of :func:`get`."""
    core = core_of(client)
    return await core.run_async(_get_flow(_Paging(last_n, status, core)))


def render(tasks: builtins.list[Task]) -> str:
    """The task table for ``tasks`` (fetching information only for tasks that lack it)."""
    return render_task_table(t.info if t.info is not None else t.get_info() for t in tasks)


def list(last_n: int, status: TaskStatus | None = None, *, client: object = None) -> None:
    """Print a table of the ``last_n`` most recent tasks (same arguments as :func:`get`)."""
    print(render(get(last_n, status=status, client=client)))


async def list_async(
    last_n: int, status: TaskStatus | None = None, *, client: object = None
) -> None:
    """The asyncio twin of :func:`list`."""
    print(render(await get_async(last_n, status=status, client=client)))
