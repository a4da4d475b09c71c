"""Tasks from previous sessions: ``inductiva.tasks.get(last_n)``, ``.list(last_n)``, ``.iter()``.

``get`` and ``list`` fetch whole pages of the API's plain task array (up to 1000 tasks per
request, or the contract's ``per_page`` maximum if lower), never one request
per task, and stop at the first page shorter than asked for (the API sends no
total). ``iter()`` (and ``iter_async()``) goes through every task lazily, one page
request each time the previous page's tasks are used up. The returned
:class:`~inductiva.task.Task` objects carry the fetched information, so
printing the table needs no further requests.

Any other query parameter the contract gives ``GET /tasks`` is a keyword filter
(``inductiva.tasks.get(10, project="demo")`` once the contract has ``project``):
a filter added to the contract reaches users with ``make generate`` alone.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, TypedDict

from inductiva_api import contract
from inductiva_api.types import UNSET, Unset

from ._format import render_task_table
from ._http import HttpCore, core_of
from ._http._flow import Flow, call
from ._task_info import TaskInfo, validate_last_n, validate_status
from ._types import TaskStatus
from ._validate import printable
from .errors import InvalidArgumentError
from .task import Task

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PER_PAGE",
    "TaskList",
    "get",
    "get_async",
    "iter",
    "iter_async",
    "list",
    "list_async",
    "render",
]

if TYPE_CHECKING:  # generated models are imported where used (see _task_info)
    from inductiva_api.models import Task as TaskModel
    from inductiva_api.models import TaskStatusCode


_PAGE = contract.ListTasks.Query.PER_PAGE
MAX_PER_PAGE = min(1000, int(_PAGE.maximum)) if _PAGE.maximum is not None else 1000
"""Most tasks asked for per page: 1000, or the contract's ``per_page`` maximum if lower."""
DEFAULT_PAGE_SIZE = min(100, MAX_PER_PAGE)
"""Tasks per request of :func:`iter` (each page is fetched when the previous one is used up)."""
_PAGING = {"page", "per_page", "status"}


def _filters(given: dict[str, object]) -> dict[str, Any]:
    """The keyword filters checked against the contract's query parameters of ``GET /tasks``."""
    import inductiva_api.models

    fields = {f.name: f for f in contract.ListTasks.PARAMETERS if f.location == "query"}
    allowed = sorted(set(fields) - _PAGING)
    out: dict[str, Any] = {}
    for name, value in given.items():
        field = fields.get(name)
        if field is None or name in _PAGING:
            raise InvalidArgumentError(
                f"{printable(name)!r} is not a filter of the task list; the API offers "
                f"{', '.join(allowed) or 'none besides status'}."
            )
        kind = getattr(inductiva_api.models, field.schema, None) if field.schema else None
        try:
            out[name] = kind(value) if isinstance(kind, type) else value
        except ValueError:
            raise InvalidArgumentError(
                f"{name}={printable(repr(value)[:80])} is not one of the values the API allows"
            ) from None
    return out


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
    """The paging decisions shared by :func:`get`, :func:`iter` and their twins; no I/O here.

    Pages of ``per_page`` tasks are asked for in order until ``last_n`` tasks are
    found (None: no limit) or a page comes back shorter than ``per_page`` (the
    history ended); duplicates (a task seen on two pages because new tasks
    arrived meanwhile) are kept once.
    """

    def __init__(
        self,
        last_n: int | None,
        status: str | None,
        client: object,
        filters: dict[str, object],
        per_page: int | None = None,
    ) -> None:  # last_n and per_page checked by the caller
        member = validate_status(status)
        self._client = client
        self.filters = _filters(filters)
        self._last_n = last_n
        self._per_page = per_page or min(self._last_n or MAX_PER_PAGE, MAX_PER_PAGE)
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

    def add(self, page: builtins.list[TaskModel]) -> builtins.list[Task]:
        """Keep a page's new tasks (newest first), decide whether another page is needed.

        Returns the tasks this page added.
        """
        added = []
        for model in page:
            if self._last_n is None or len(self._found) < self._last_n:
                info = TaskInfo.from_model(model)
                if info.id not in self._found:
                    task = self._found[info.id] = Task.from_info(info, client=self._client)
                    added.append(task)
        exhausted = len(page) < self._per_page
        enough = self._last_n is not None and len(self._found) >= self._last_n
        self._more = not (enough or exhausted)
        return added

    @property
    def tasks(self) -> TaskList:
        """The tasks found so far, newest first."""
        return TaskList(self._found.values())


def _page_flow(paging: _Paging) -> Flow[builtins.list[Task] | None]:
    """Fetch the next page; the tasks it added, or None once there is no page to fetch."""
    from inductiva_api.api.tasks import list_tasks

    kwargs = paging.next_request()
    if kwargs is None:
        return None
    return paging.add((yield from call(list_tasks.sync_detailed, **kwargs, **paging.filters)))


def _get_flow(paging: _Paging) -> Flow[TaskList]:
    while (yield from _page_flow(paging)) is not None:
        pass
    return paging.tasks


def get(
    last_n: int, status: TaskStatus | None = None, *, client: object = None, **filters: object
) -> TaskList:
    """The ``last_n`` most recent tasks (newest first), optionally only those in ``status``.

    ``status`` is one of the API's task statuses, e.g. ``"success"`` or ``"submitted"``;
    ``filters`` are the contract's other query parameters of ``GET /tasks``.
    The requests (and those of the returned tasks) go through ``client`` (an
    :class:`inductiva.Client`; by default the module's default client).
    """
    core = core_of(client)
    return core.run(_get_flow(_Paging(validate_last_n(last_n), status, core, filters)))


async def get_async(
    last_n: int, status: TaskStatus | None = None, *, client: object = None, **filters: object
) -> TaskList:
    """The asyncio twin of :func:`get`."""
    core = core_of(client)
    return await core.run_async(_get_flow(_Paging(validate_last_n(last_n), status, core, filters)))


def _page_size(page_size: object) -> int:
    if page_size is None:
        return DEFAULT_PAGE_SIZE
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        page_size = -1
    if not 1 <= page_size <= MAX_PER_PAGE:
        raise InvalidArgumentError(
            f"page_size must be a whole number from 1 to {MAX_PER_PAGE}, got "
            f"{printable(repr(page_size)[:60])}"
        )
    return page_size


def iter(
    status: TaskStatus | None = None,
    *,
    page_size: int | None = None,
    client: object = None,
    **filters: object,
) -> Iterator[Task]:
    """Every task (newest first), optionally only those in ``status``, fetched page by page.

    Lazy: one ``GET /tasks`` request of ``page_size`` tasks (default
    :data:`DEFAULT_PAGE_SIZE`, at most :data:`MAX_PER_PAGE`) each time the tasks of
    the previous page are used up, until a page comes back short. Arguments are
    checked before the first request; ``filters`` and ``client`` are as for :func:`get`.
    """
    core = core_of(client)
    paging = _Paging(None, status, core, filters, _page_size(page_size))
    return _iterate(core, paging)


def _iterate(core: HttpCore, paging: _Paging) -> Iterator[Task]:
    while (page := core.run(_page_flow(paging))) is not None:
        yield from page


def iter_async(
    status: TaskStatus | None = None,
    *,
    page_size: int | None = None,
    client: object = None,
    **filters: object,
) -> AsyncIterator[Task]:
    """The asyncio twin of :func:`iter`: ``async for task in inductiva.tasks.iter_async()``."""
    core = core_of(client)
    paging = _Paging(None, status, core, filters, _page_size(page_size))
    return _iterate_async(core, paging)


async def _iterate_async(core: HttpCore, paging: _Paging) -> AsyncIterator[Task]:
    while (page := await core.run_async(_page_flow(paging))) is not None:
        for task in page:
            yield task


def render(tasks: builtins.list[Task]) -> str:
    """The task table for ``tasks`` (fetching information only for tasks that lack it)."""
    return render_task_table(t.info if t.info is not None else t.get_info() for t in tasks)


def list(
    last_n: int, status: TaskStatus | None = None, *, client: object = None, **filters: object
) -> None:
    """Print a table of the ``last_n`` most recent tasks (same arguments as :func:`get`)."""
    print(render(get(last_n, status, client=client, **filters)))


async def list_async(
    last_n: int, status: TaskStatus | None = None, *, client: object = None, **filters: object
) -> None:
    """The asyncio twin of :func:`list`."""
    print(render(await get_async(last_n, status, client=client, **filters)))
