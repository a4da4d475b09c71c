"""A task submitted to the Inductiva API: status, waiting, killing and outputs.

``Task(task_id)`` is cheap: it holds the id (and the last information fetched)
and sends requests through the one shared client, so thousands of tasks share
one connection pool. Waiting uses the long-poll extension
(``GET /tasks/{id}/status?wait_seconds=..&last_status=..``); against a server
that answers at once instead (the real API), it backs off with jitter to one
status request every 5 s (see :class:`_Waiting`); many concurrent waits share
requests and connections (:mod:`inductiva._waits`).
The ``*_async`` methods are the asyncio twins of the blocking ones.

Generated endpoint modules are imported where they are used, so an endpoint
removed from the contract fails ``make typecheck`` (and the call that needs
it), never ``import inductiva``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pathlib
import random
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Concatenate, Generic, ParamSpec, TypedDict, cast

from inductiva_api import AuthenticatedClient
from inductiva_api.models import TaskStatusCode
from inductiva_api.types import UNSET, Response, Unset
from typing_extensions import TypeVar

from . import _client, _waits
from ._outputs import TaskOutput, output_class
from ._signals import sigterm_as_interrupt
from ._task_info import (
    TaskInfo,
    is_terminal,
    known_status,
    status_text,
    validate_task_id,
    validate_timeout,
)
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

if TYPE_CHECKING:
    from ._clients import AsyncClient, Client

__all__ = [
    "BACKOFF_CAP",
    "BACKOFF_START",
    "DEFAULT_KILL_TIMEOUT",
    "DEFAULT_POLL",
    "OutputT",
    "Task",
    "TaskInfo",
]

logger = logging.getLogger("inductiva")

T = TypeVar("T")
P = ParamSpec("P")

DEFAULT_POLL = 30.0
"""Longest single long-poll request while waiting, in seconds."""
DEFAULT_KILL_TIMEOUT = 60.0
"""How long ``kill()`` waits for the API to confirm the task is ``killed``."""
BACKOFF_START = 0.5
"""First interval between status requests once the server is seen not to hold long-polls."""
BACKOFF_CAP = 5.0
"""Longest interval between status requests without long-poll (at most 12 a minute)."""


def _clock() -> float:
    return time.monotonic()


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


async def _asleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


def _validate_poll(poll: float) -> float:
    return float(check_seconds("poll", poll) or 0.0)


def _status(status: TaskStatusCode | str) -> TaskStatus:
    """A status as :data:`TaskStatus` (a newer status the client does not know passes as is)."""
    return cast(TaskStatus, status_text(status))


class StatusQuery(TypedDict):
    """The arguments of one ``get_task_status`` request (checked against the endpoint by mypy)."""

    task_id: str
    wait_seconds: float
    last_status: TaskStatusCode | Unset


def _status_kwargs(task_id: str, seconds: float, last: str | None) -> StatusQuery:
    member = known_status(last) if last is not None else None
    return {"task_id": task_id, "wait_seconds": seconds, "last_status": member or UNSET}


class _Waiting:
    """The decisions of a wait, shared by ``wait()`` and ``wait_async()``; no I/O here.

    The caller asks :meth:`next_request` for the keyword arguments of the next
    status request (None once the status is final), sends it, and passes the
    status it got to :meth:`answer`, which says how long to pause before asking again.

    Every request after the first is a long-poll (``wait_seconds``,
    ``last_status``: extension ``long-poll``). A server that holds it answers
    when the status changes (or the time is up), and the next request follows at
    once. A long-poll answered early with the status unchanged shows a server
    that does not hold it (the real API ignores the parameters): requests are
    then spaced by a jittered, growing interval (from :data:`BACKOFF_START`,
    doubling) up to exactly :data:`BACKOFF_CAP`, measured start to start, so a
    long wait costs at most 12 requests a minute once the cap is reached
    (within the first 30 s). A long-poll that is held again switches back.
    ``clock`` and ``rand`` are injectable for tests.
    """

    def __init__(
        self,
        task_id: str,
        timeout: float | None,
        poll: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._task_id = task_id
        self._clock = clock
        self._rand = rand
        timeout = validate_timeout("timeout", timeout)
        self._deadline = None if timeout is None else clock() + timeout
        self._poll = _validate_poll(poll)
        self._status: str | None = None
        self._sent = 0.0  # when the pending request was asked for
        self._wait_seconds = 0.0  # how long it may be held
        self._backoff: float | None = None  # interval while the server does not hold

    @property
    def status(self) -> str:
        """The last status received."""
        if self._status is None:
            raise RuntimeError("no status received yet")
        return self._status

    @property
    def holds(self) -> bool:
        """Whether the server is believed to hold long-polls (until seen otherwise)."""
        return self._backoff is None

    def _seconds(self, status: str) -> float:
        """How long the next long-poll may hold; TaskTimeoutError once the deadline passed."""
        seconds = min(self._poll, 60.0, _client.resolve_settings().timeout * 0.75)
        if self._deadline is None:
            return seconds
        remaining = self._deadline - self._clock()
        if remaining <= 0:
            raise TaskTimeoutError(
                f"Task {self._task_id} is still {status!r} after the wait timeout; call wait() "
                "again with a longer timeout, or kill() it.",
                task_id=self._task_id,
                status=status,
            )
        return min(seconds, remaining)

    @property
    def task_id(self) -> str:
        """The task waited on."""
        return self._task_id

    def remaining(self) -> float | None:
        """Seconds left before the wait's timeout (None: no limit)."""
        return None if self._deadline is None else self._deadline - self._clock()

    def hold_seconds(self, status: str) -> float:
        """How long the next request may be held; TaskTimeoutError once the deadline passed."""
        return self._seconds(status)

    def next_request(self) -> StatusQuery | None:
        """Arguments of the next status request (a long-poll after the first), or None."""
        self._sent = self._clock()
        if self._status is None:
            self._wait_seconds = 0.0
            return _status_kwargs(self._task_id, 0.0, None)
        if is_terminal(self._status):
            return None
        self._wait_seconds = self._seconds(self._status)
        return _status_kwargs(self._task_id, self._wait_seconds, self._status)

    def _next_interval(self) -> float:
        """The next interval without long-poll: jittered doubling up to exactly the cap."""
        nominal = BACKOFF_START if self._backoff is None else self._backoff * 2.0
        if nominal >= BACKOFF_CAP:
            self._backoff = BACKOFF_CAP
            return BACKOFF_CAP
        self._backoff = nominal
        return nominal * (0.5 + 0.5 * self._rand())

    def answer(self, status: str) -> float:
        """Record the status received; return the seconds to pause before the next request."""
        previous, self._status = self._status, status
        if status != previous and previous is not None:
            logger.info("Task %s: %s -> %s", self._task_id, previous, status)
        if previous is None or is_terminal(status):
            return 0.0
        elapsed = self._clock() - self._sent
        held = elapsed >= self._wait_seconds / 2
        if status == previous and held:
            if self._backoff is not None:
                logger.debug("Task %s: the server holds long-polls again.", self._task_id)
            self._backoff = None
            return 0.0
        if status != previous and self._backoff is None:
            return 0.0  # consistent with a held long-poll: ask again at once
        if self._backoff is None:
            logger.debug(
                "Task %s: long-poll answered at once; backing off up to %.0fs.",
                self._task_id,
                BACKOFF_CAP,
            )
        pause = max(0.0, self._next_interval() - elapsed)
        if self._deadline is not None:
            pause = min(pause, max(0.0, self._deadline - self._clock()))
        return pause


def _kill_outcome(task_id: str, status: str) -> str:
    if status != "killed":
        raise TaskFinishedError(
            f"Task {task_id} ended {status!r} before the kill took effect.",
            task_id=task_id,
            status=status,
        )
    logger.info("Task %s killed.", task_id)
    return status


def _already_finished(task_id: str, status: str) -> TaskFinishedError:
    return TaskFinishedError(
        f"Task {task_id} already finished with status {status!r}, so it cannot be killed; "
        "only unfinished tasks (pending-input, submitted, started) can be.",
        task_id=task_id,
        status=status,
    )


def _kill_answer(task_id: str, status: str) -> str:
    """The status a kill answered; TaskFinishedError if it is a final status other than killed."""
    if status != "killed" and is_terminal(status):
        raise _already_finished(task_id, status)
    return status


def _kill_timeout(task_id: str, status: str, wait_timeout: float | None) -> KillTimeoutError:
    return KillTimeoutError(
        f"The API did not confirm the kill of task {task_id} within {wait_timeout}s (status "
        f"{status!r}); check later with task.get_status() or kill(wait_timeout=...) again.",
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


OutputT = TypeVar("OutputT", bound=TaskOutput, default=TaskOutput, covariant=True)
"""The output class ``get_output()`` returns (``Task[ProteinSolvationOutput]``...)."""


def _core_of(client: Client | AsyncClient | _client.ClientCore | None) -> _client.ClientCore | None:
    if client is None:
        return _client._current.get()  # the client active where the task is created, if any
    if isinstance(client, _client.ClientCore):
        return client
    return client._core


class Task(Generic[OutputT]):
    """One task of the Inductiva API, identified by its id.

    A task sends its requests through the client it came from: ``client=`` (an
    :class:`inductiva.Client` or :class:`inductiva.AsyncClient`), else the
    client active where it was created (``client.tasks.get()``, a scenario
    bound to a client), else the module's default client. ``output`` is the
    class :meth:`get_output` returns (by default looked up from the task's method).
    """

    def __init__(
        self,
        task_id: str,
        *,
        client: Client | AsyncClient | _client.ClientCore | None = None,
        output: type[OutputT] | None = None,
    ) -> None:
        self._id = validate_task_id(task_id)
        self._info: TaskInfo | None = None
        self._core = _core_of(client)
        self._output = output

    @classmethod
    def from_info(
        cls, info: TaskInfo, *, client: Client | AsyncClient | _client.ClientCore | None = None
    ) -> Task[TaskOutput]:
        """A Task that already carries ``info`` (as returned by ``inductiva.tasks.get``)."""
        task: Task[TaskOutput] = Task(info.id, client=client)
        task._info = info
        return task

    def _bound(self) -> contextlib.AbstractContextManager[_client.ClientCore]:
        """Make this task's client the active one for the requests of a block."""
        return _client.using(self._core)

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

    def _call(
        self,
        endpoint: Callable[Concatenate[AuthenticatedClient, P], Response[_client._ErrorModel | T]],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        with self._bound():
            return _client.call(endpoint, *args, **kwargs)

    async def _acall(
        self,
        endpoint: Callable[
            Concatenate[AuthenticatedClient, P], Awaitable[Response[_client._ErrorModel | T]]
        ],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        with self._bound():
            return await _client.acall(endpoint, *args, **kwargs)

    # -- information -------------------------------------------------------

    def get_info(self) -> TaskInfo:
        """Fetch everything the API knows about this task."""
        from inductiva_api.api.tasks import get_task

        self._info = TaskInfo.from_model(self._call(get_task.sync_detailed, task_id=self._id))
        return self._info

    async def get_info_async(self) -> TaskInfo:
        """The asyncio twin of :meth:`get_info`."""
        from inductiva_api.api.tasks import get_task

        model = await self._acall(get_task.asyncio_detailed, task_id=self._id)
        self._info = TaskInfo.from_model(model)
        return self._info

    def _settled_info(self) -> TaskInfo:
        """The cached information if the task finished (it cannot change), else fresh."""
        if self._info is not None and self._info.is_terminal:
            return self._info
        return self.get_info()

    def get_status(self) -> TaskStatus:
        """The current status, e.g. ``"submitted"``, ``"started"``, ``"success"``."""
        from inductiva_api.api.tasks import get_task_status

        kwargs = _status_kwargs(self._id, 0.0, None)
        return _status(self._call(get_task_status.sync_detailed, **kwargs).status)

    async def get_status_async(self) -> TaskStatus:
        """The asyncio twin of :meth:`get_status`."""
        from inductiva_api.api.tasks import get_task_status

        kwargs = _status_kwargs(self._id, 0.0, None)
        return _status((await self._acall(get_task_status.asyncio_detailed, **kwargs)).status)

    def get_machine_type(self) -> str | None:
        """The VM type the task ran (or runs) on, e.g. ``"c2-standard-8"``; None if unknown."""
        return self._settled_info().vm_type

    def get_execution_time(self) -> float | None:
        """Seconds from start to end of the run; None until the task has ended."""
        return self._settled_info().execution_time

    # -- waiting -----------------------------------------------------------

    def wait(self, timeout: float | None = None, poll: float = DEFAULT_POLL) -> TaskStatus:
        """Block until the task finishes and return its final status.

        Raises TaskTimeoutError if it has not finished after ``timeout`` seconds
        (None: no limit). The remote task is not affected by an interruption; use
        :meth:`sync_context` for that.
        """
        waiting = _Waiting(self._id, timeout, poll, clock=_clock)
        with self._bound():
            api = _client.get_client()
        return _status(_waits.wait(api, waiting, _sleep))

    async def wait_async(
        self, timeout: float | None = None, poll: float = DEFAULT_POLL
    ) -> TaskStatus:
        """The asyncio twin of :meth:`wait`."""
        waiting = _Waiting(self._id, timeout, poll, clock=_clock)
        with self._bound():
            api = _client.get_async_client()
        return _status(await _waits.wait_async(api, waiting, _asleep))

    # -- killing -----------------------------------------------------------

    def kill(self, wait_timeout: float | None = DEFAULT_KILL_TIMEOUT) -> TaskStatus:
        """Kill the task and wait until the API confirms it is ``killed``; return the status.

        Killing a killed task is fine. ``wait_timeout=0`` returns right after the
        API accepted the kill (status ``pending-kill``); None waits without limit.
        Raises TaskFinishedError if the task already ended otherwise (the API
        answers with that final status; older servers answer 409), and
        KillTimeoutError if the kill is not confirmed in time.
        """
        from inductiva_api.api.tasks import kill_task

        wait_timeout = validate_timeout("wait_timeout", wait_timeout)
        try:
            info = self._call(kill_task.sync_detailed, task_id=self._id)
        except ConflictError as exc:
            raise _already_finished(self._id, self.get_status()) from exc
        status = _kill_answer(self._id, status_text(info.status))
        if status == "killed" or wait_timeout == 0:
            return _status(status)
        try:
            return _status(_kill_outcome(self._id, self.wait(timeout=wait_timeout)))
        except TaskTimeoutError as exc:
            raise _kill_timeout(self._id, exc.status, wait_timeout) from exc

    async def kill_async(self, wait_timeout: float | None = DEFAULT_KILL_TIMEOUT) -> TaskStatus:
        """The asyncio twin of :meth:`kill`."""
        from inductiva_api.api.tasks import kill_task

        wait_timeout = validate_timeout("wait_timeout", wait_timeout)
        try:
            info = await self._acall(kill_task.asyncio_detailed, task_id=self._id)
        except ConflictError as exc:
            raise _already_finished(self._id, await self.get_status_async()) from exc
        status = _kill_answer(self._id, status_text(info.status))
        if status == "killed" or wait_timeout == 0:
            return _status(status)
        try:
            return _status(_kill_outcome(self._id, await self.wait_async(timeout=wait_timeout)))
        except TaskTimeoutError as exc:
            raise _kill_timeout(self._id, exc.status, wait_timeout) from exc

    @contextlib.contextmanager
    def sync_context(self, kill_timeout: float | None = DEFAULT_KILL_TIMEOUT) -> Iterator[Task]:
        """Kill the remote task if the block is interrupted (Ctrl-C) or raises.

        The interruption or exception is always re-raised after the kill attempt;
        a failure to kill is logged, not raised.
        """
        try:
            with sigterm_as_interrupt():  # SIGTERM, like Ctrl-C, kills the remote task
                yield self
        except BaseException as exc:
            if not isinstance(exc, GeneratorExit):
                self._kill_after(exc, kill_timeout)
            raise

    async def kill_after_async(
        self, exc: BaseException, kill_timeout: float | None = DEFAULT_KILL_TIMEOUT
    ) -> None:
        """The asyncio twin of the kill :meth:`sync_context` makes after ``exc``."""
        logger.warning("%s: killing remote task %s.", type(exc).__name__, self._id)
        try:
            await self.kill_async(wait_timeout=kill_timeout)
        except TaskFinishedError as kill_exc:
            logger.info("Task %s was not killed: %s", self._id, kill_exc)
        except Exception as kill_exc:
            logger.error("Could not kill task %s: %s", self._id, kill_exc)

    def _kill_after(self, exc: BaseException, kill_timeout: float | None) -> None:
        logger.warning("%s: killing remote task %s.", type(exc).__name__, self._id)
        try:
            self.kill(wait_timeout=kill_timeout)
        except TaskFinishedError as kill_exc:
            logger.info("Task %s was not killed: %s", self._id, kill_exc)
        except Exception as kill_exc:
            logger.error("Could not kill task %s: %s", self._id, kill_exc)

    # -- outputs -----------------------------------------------------------

    def get_output_files_info(self) -> OutputInfo:
        """Size of the output archive and the files it holds."""
        from inductiva_api.api.tasks import list_task_outputs

        return OutputInfo.from_model(self._call(list_task_outputs.sync_detailed, task_id=self._id))

    def download_outputs(
        self,
        filenames: Sequence[str] | None = None,
        output_dir: str | pathlib.Path | None = None,
        uncompress: bool = True,
    ) -> pathlib.Path:
        """Download the outputs (all, or only ``filenames``); return the output directory.

        The default directory is ``inductiva_output/<task id>`` under the current
        directory. ``uncompress=False`` keeps the zip archive as downloaded.
        """
        from ._transfers import _download  # the transfer engine, imported on first use

        with self._bound():
            return _download.download_outputs(
                self._id,
                filenames=_check_filenames(filenames),
                output_dir=(
                    pathlib.Path(check_path("output_dir", output_dir))
                    if output_dir is not None
                    else None
                ),
                uncompress=uncompress,
            )

    async def download_outputs_async(
        self,
        filenames: Sequence[str] | None = None,
        output_dir: str | pathlib.Path | None = None,
        uncompress: bool = True,
    ) -> pathlib.Path:
        """The asyncio twin of :meth:`download_outputs`: same files, checks and errors.

        The requests go through this task's client's async pool (an
        :class:`inductiva.AsyncClient`'s, or the default one's for the running
        loop); extraction runs in a worker thread. A cancelled download keeps
        what it received, and the next call (sync or async) resumes from it.
        """
        from ._transfers import _adownload

        with self._bound():
            return await _adownload.download_outputs_async(
                self._id,
                filenames=_check_filenames(filenames),
                output_dir=(
                    pathlib.Path(check_path("output_dir", output_dir))
                    if output_dir is not None
                    else None
                ),
                uncompress=uncompress,
            )

    def get_output(self, output_dir: str | pathlib.Path | None = None) -> OutputT:
        """Wait for the task, download all outputs, and return the scenario's output object.

        Raises TaskFailedError if the task did not succeed.
        """
        status = self.wait()
        if status != "success":
            raise TaskFailedError(
                f"Task {self._id} ended {status!r}, so it has no result to read; "
                "inspect its logs with task.download_outputs(['stdout.txt', 'stderr.txt']).",
                task_id=self._id,
                status=status,
            )
        return self._output_object(self.download_outputs(output_dir=output_dir))

    def _output_object(self, path: pathlib.Path) -> OutputT:
        """The output object for the downloaded ``path``: ``output``, else by the task's method."""
        cls = self._output or output_class(self._settled_info().method_name)
        return cast(OutputT, cls(path))
