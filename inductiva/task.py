"""A task submitted to the Inductiva API: status, waiting, killing and outputs.

``Task(task_id)`` is cheap: it holds the id, the last information fetched and
the client it sends its requests through (``client=``, else the module's
default client), so thousands of tasks share one connection pool. Each
operation is one flow (see :mod:`inductiva._http._flow`) run by the method and
by its asyncio twin (the same name ending in ``_async``): waiting
(:mod:`inductiva._waits`: long-polls, or backing off to one request every 5 s
against a server without them; many concurrent waits share requests), killing,
and downloading the outputs (:mod:`inductiva._transfers`).

Generated endpoint modules are imported where they are used, so an endpoint
removed from the contract fails ``make typecheck`` (and the call that needs
it), never ``import inductiva``.
"""

from __future__ import annotations

import contextlib
import logging
import pathlib
from collections.abc import Iterator, Sequence
from typing import Generic, cast

from typing_extensions import TypeVar

from . import _waits
from ._http import HttpCore, core_of
from ._http._flow import Flow, call, call_idempotent
from ._indicator import StatusCallback, wait_indicator
from ._outputs import TaskOutput, output_class
from ._signals import sigterm_as_interrupt
from ._task_info import TaskInfo, is_terminal, status_text, validate_task_id, validate_timeout
from ._types import TaskStatus
from ._validate import check_path, check_seconds, printable
from .errors import (
    ConflictError,
    InvalidArgumentError,
    KillTimeoutError,
    TaskFailedError,
    TaskFinishedError,
    TaskTimeoutError,
)
from .output_info import OutputInfo

__all__ = ["DEFAULT_KILL_TIMEOUT", "DEFAULT_POLL", "OutputT", "Task", "TaskInfo"]

logger = logging.getLogger("inductiva")

DEFAULT_POLL = _waits.DEFAULT_POLL
"""Longest single long-poll request while waiting, in seconds."""
DEFAULT_KILL_TIMEOUT = 60.0
"""How long ``kill()`` waits for the API to confirm the task is ``killed``."""


def _status(status: object) -> TaskStatus:
    """A status as :data:`TaskStatus` (a newer status the client does not know passes as is)."""
    return cast(TaskStatus, status_text(status))  # type: ignore[arg-type]


def _already_finished(task_id: str, status: str) -> TaskFinishedError:
    return TaskFinishedError(
        f"Task {task_id} already finished with status {status!r}, so it cannot be killed; "
        "only unfinished tasks (pending-input, submitted, started) can be.",
        task_id=task_id,
        status=status,
    )


def _check_filenames(filenames: Sequence[str] | None) -> list[str] | None:
    if filenames is None:
        return None
    try:
        names = None if isinstance(filenames, str | bytes) else list(filenames)
    except TypeError:
        names = None
    if names is None or not all(isinstance(f, str) and f and "\x00" not in f for f in names):
        raise InvalidArgumentError(
            "filenames must be a list of file names, e.g. ['stdout.txt'], got "
            f"{printable(repr(filenames)[:200])}"
        )
    return names


def _check_output_dir(output_dir: str | pathlib.Path | None) -> pathlib.Path | None:
    return pathlib.Path(check_path("output_dir", output_dir)) if output_dir is not None else None


# -- the flows -------------------------------------------------------------------------


def status_flow(task_id: str) -> Flow[TaskStatus]:
    """The task's current status."""
    from inductiva_api.api.tasks import get_task_status

    answer = yield from call(get_task_status.sync_detailed, **_waits.status_query(task_id, 0, None))
    return _status(answer.status)


def kill_flow(task_id: str, wait_timeout: float | None) -> Flow[TaskStatus]:
    """Kill the task and wait (up to ``wait_timeout``) until the API confirms it."""
    from inductiva_api.api.tasks import kill_task

    try:  # killing twice is killing once: safe to re-send
        answer = yield from call_idempotent(kill_task.sync_detailed, task_id=task_id)
    except ConflictError as exc:  # older servers answer 409 for a finished task
        raise _already_finished(task_id, (yield from status_flow(task_id))) from exc
    status: str = status_text(answer.status)
    if status != "killed" and is_terminal(status):
        raise _already_finished(task_id, status)
    if status == "killed" or wait_timeout == 0:
        return _status(status)
    try:
        status = yield from _waits.wait_flow(task_id, wait_timeout)
    except TaskTimeoutError as exc:
        raise KillTimeoutError(
            f"The API did not confirm the kill of task {task_id} within {wait_timeout}s (status "
            f"{exc.status!r}); check later with task.get_status() or kill(wait_timeout=...) again.",
            task_id=task_id,
            status=exc.status,
        ) from exc
    if status != "killed":
        raise TaskFinishedError(
            f"Task {task_id} ended {status!r} before the kill took effect.",
            task_id=task_id,
            status=status,
        )
    logger.info("Task %s killed.", task_id)
    return _status(status)


def kill_after_flow(task_id: str, exc: BaseException, kill_timeout: float | None) -> Flow[None]:
    """Kill the task because ``exc`` interrupted its run; a failure to kill is logged."""
    logger.warning("%s: killing remote task %s.", type(exc).__name__, task_id)
    try:
        yield from kill_flow(task_id, kill_timeout)
    except TaskFinishedError as kill_exc:
        logger.info("Task %s was not killed: %s", task_id, kill_exc)
    except Exception as kill_exc:
        logger.error("Could not kill task %s: %s", task_id, kill_exc)


OutputT = TypeVar("OutputT", bound=TaskOutput, default=TaskOutput, covariant=True)
"""The output class ``get_output()`` returns (``Task[ProteinSolvationOutput]``...)."""


class Task(Generic[OutputT]):
    """One task of the Inductiva API, identified by its id.

    A task sends its requests through ``client`` (an :class:`inductiva.Client`
    or :class:`inductiva.AsyncClient`; by default the module's default client):
    tasks from ``client.tasks.get()`` or a scenario bound to a client keep that
    client. ``output`` is the class :meth:`get_output` returns (by default looked
    up from the task's method).
    """

    def __init__(
        self,
        task_id: str,
        *,
        client: object = None,
        output: type[OutputT] | None = None,
    ) -> None:
        self._id = validate_task_id(task_id)
        self._info: TaskInfo | None = None
        self._core: HttpCore = core_of(client)
        self._output = output

    @classmethod
    def from_info(cls, info: TaskInfo, *, client: object = None) -> Task[TaskOutput]:
        """A Task that already carries ``info`` (as returned by ``inductiva.tasks.get``)."""
        task: Task[TaskOutput] = Task(info.id, client=client)
        task._info = info
        return task

    @property
    def id(self) -> str:
        """The task id, a string of digits."""
        return self._id

    @property
    def info(self) -> TaskInfo | None:
        """The last information fetched (no request), or None."""
        return self._info

    def __repr__(self) -> str:
        status = f", status={self._info.status!r}" if self._info else ""
        return f"Task(id={self._id!r}{status})"

    def _repr_html_(self) -> str:
        """Notebook display: the task's details as an HTML table (no request)."""
        from ._html import task_html

        return task_html(self._id, self._info)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Task) and other._id == self._id

    def __hash__(self) -> int:
        return hash(("inductiva.Task", self._id))

    # -- information -------------------------------------------------------

    def _info_flow(self) -> Flow[TaskInfo]:
        from inductiva_api.api.tasks import get_task

        self._info = TaskInfo.from_model(
            (yield from call(get_task.sync_detailed, task_id=self._id))
        )
        return self._info

    def get_info(self) -> TaskInfo:
        """Fetch everything the API knows about this task."""
        return self._core.run(self._info_flow())

    async def get_info_async(self) -> TaskInfo:
        """The asyncio twin of :meth:`get_info`."""
        return await self._core.run_async(self._info_flow())

    def _settled_info_flow(self) -> Flow[TaskInfo]:
        """The cached information if the task finished (it cannot change), else fresh."""
        if self._info is not None and self._info.is_terminal:
            return self._info
        return (yield from self._info_flow())

    def get_status(self) -> TaskStatus:
        """The current status, e.g. ``"submitted"``, ``"started"``, ``"success"``."""
        return self._core.run(status_flow(self._id))

    async def get_status_async(self) -> TaskStatus:
        """The asyncio twin of :meth:`get_status`."""
        return await self._core.run_async(status_flow(self._id))

    def get_machine_type(self) -> str | None:
        """The VM type the task ran (or runs) on, e.g. ``"c2-standard-8"``; None if unknown."""
        return self._core.run(self._settled_info_flow()).vm_type

    async def get_machine_type_async(self) -> str | None:
        """The asyncio twin of :meth:`get_machine_type`."""
        return (await self._core.run_async(self._settled_info_flow())).vm_type

    def get_execution_time(self) -> float | None:
        """Seconds from start to end of the run; None until the task has ended."""
        return self._core.run(self._settled_info_flow()).execution_time

    async def get_execution_time_async(self) -> float | None:
        """The asyncio twin of :meth:`get_execution_time`."""
        return (await self._core.run_async(self._settled_info_flow())).execution_time

    # -- waiting -----------------------------------------------------------

    def _wait_flow(
        self, timeout: float | None, poll: float, on_status: StatusCallback | None = None
    ) -> Flow[TaskStatus]:
        return _status((yield from _waits.wait_flow(self._id, timeout, poll, on_status)))

    def wait(self, timeout: float | None = None, poll: float = DEFAULT_POLL) -> TaskStatus:
        """Block until the task finishes and return its final status.

        Raises TaskTimeoutError if it has not finished after ``timeout`` seconds
        (None: no limit). The remote task is not affected by an interruption; use
        :meth:`sync_context` for that. On a terminal, a line on stderr shows the
        status and the time waited (see :mod:`inductiva._indicator`).
        """
        validate_timeout("timeout", timeout)
        check_seconds("poll", poll)  # before any request, like the timeout
        with wait_indicator(self._core.current_settings().progress) as on_status:
            return self._core.run(self._wait_flow(timeout, poll, on_status))

    async def wait_async(
        self, timeout: float | None = None, poll: float = DEFAULT_POLL
    ) -> TaskStatus:
        """The asyncio twin of :meth:`wait`."""
        validate_timeout("timeout", timeout)
        check_seconds("poll", poll)
        return await self._core.run_async(self._wait_flow(timeout, poll))

    # -- killing -----------------------------------------------------------

    def kill(self, wait_timeout: float | None = DEFAULT_KILL_TIMEOUT) -> TaskStatus:
        """Kill the task and wait until the API confirms it is ``killed``; return the status.

        Killing a killed task is fine. ``wait_timeout=0`` returns right after the
        API accepted the kill (status ``pending-kill``); None waits without limit.
        Raises TaskFinishedError if the task already ended otherwise (the API
        answers with that final status; older servers answer 409), and
        KillTimeoutError if the kill is not confirmed in time.
        """
        wait_timeout = validate_timeout("wait_timeout", wait_timeout)
        return self._core.run(kill_flow(self._id, wait_timeout))

    async def kill_async(self, wait_timeout: float | None = DEFAULT_KILL_TIMEOUT) -> TaskStatus:
        """The asyncio twin of :meth:`kill`."""
        wait_timeout = validate_timeout("wait_timeout", wait_timeout)
        return await self._core.run_async(kill_flow(self._id, wait_timeout))

    @contextlib.contextmanager
    def sync_context(self, kill_timeout: float | None = DEFAULT_KILL_TIMEOUT) -> Iterator[Task]:
        """Kill the remote task if the block is interrupted (Ctrl-C, SIGTERM) or raises.

        The interruption or exception is always re-raised after the kill attempt;
        a failure to kill is logged, not raised.
        """
        kill_timeout = validate_timeout("kill_timeout", kill_timeout)
        try:
            with sigterm_as_interrupt():  # SIGTERM, like Ctrl-C, kills the remote task
                yield self
        except BaseException as exc:
            if not isinstance(exc, GeneratorExit):
                self._core.run(kill_after_flow(self._id, exc, kill_timeout))
            raise

    # -- outputs -----------------------------------------------------------

    def _files_info_flow(self) -> Flow[OutputInfo]:
        from inductiva_api.api.tasks import list_task_outputs

        model = yield from call(list_task_outputs.sync_detailed, task_id=self._id)
        return OutputInfo.from_model(model)

    def get_output_files_info(self) -> OutputInfo:
        """Size of the output archive and the files it holds."""
        return self._core.run(self._files_info_flow())

    async def get_output_files_info_async(self) -> OutputInfo:
        """The asyncio twin of :meth:`get_output_files_info`."""
        return await self._core.run_async(self._files_info_flow())

    def _download_flow(
        self,
        filenames: Sequence[str] | None,
        output_dir: str | pathlib.Path | None,
        uncompress: bool,
    ) -> Flow[pathlib.Path]:
        from ._transfers import _download  # the transfer engine, imported on first use

        return _download.download_flow(
            self._id,
            filenames=_check_filenames(filenames),
            output_dir=_check_output_dir(output_dir),
            uncompress=uncompress,
        )

    def download_outputs(
        self,
        filenames: Sequence[str] | None = None,
        output_dir: str | pathlib.Path | None = None,
        uncompress: bool = True,
    ) -> pathlib.Path:
        """Download the outputs (all, or only ``filenames``); return the output directory.

        The default directory is ``inductiva_output/<task id>`` under the current
        directory. ``uncompress=False`` keeps the zip archive as downloaded.
        Interrupted (Ctrl-C, SIGTERM, a dropped connection), it keeps what it
        received and the next call (blocking or async) resumes from it.
        """
        flow = self._download_flow(filenames, output_dir, uncompress)
        return self._core.run(flow, interruptible=True)

    async def download_outputs_async(
        self,
        filenames: Sequence[str] | None = None,
        output_dir: str | pathlib.Path | None = None,
        uncompress: bool = True,
    ) -> pathlib.Path:
        """The asyncio twin of :meth:`download_outputs`: same files, checks and errors.

        Blocking disk work (extraction, checks) runs in a worker thread. A
        cancelled download keeps what it received, and the next call resumes.
        """
        return await self._core.run_async(self._download_flow(filenames, output_dir, uncompress))

    def _output_flow(
        self, output_dir: str | pathlib.Path | None, filenames: Sequence[str] | None
    ) -> Flow[OutputT]:
        status = yield from self._wait_flow(None, DEFAULT_POLL)
        if status != "success":
            raise TaskFailedError(
                f"Task {self._id} ended {status!r}, so it has no result to read; "
                "inspect its logs with task.download_outputs(['stdout.txt', 'stderr.txt']).",
                task_id=self._id,
                status=status,
            )
        path = yield from self._download_flow(filenames, output_dir, True)
        method = self._output or output_class((yield from self._settled_info_flow()).method_name)
        return cast(OutputT, method(path))

    def get_output(
        self,
        output_dir: str | pathlib.Path | None = None,
        *,
        filenames: Sequence[str] | None = None,
    ) -> OutputT:
        """Wait for the task, download its outputs, and return the scenario's output object.

        ``filenames`` downloads only those files (e.g. the era's default list,
        ``ProteinSolvationOutput.default_files``); by default every file.
        Raises TaskFailedError if the task did not succeed.
        """
        return self._core.run(self._output_flow(output_dir, filenames), interruptible=True)

    async def get_output_async(
        self,
        output_dir: str | pathlib.Path | None = None,
        *,
        filenames: Sequence[str] | None = None,
    ) -> OutputT:
        """The asyncio twin of :meth:`get_output`."""
        return await self._core.run_async(self._output_flow(output_dir, filenames))
