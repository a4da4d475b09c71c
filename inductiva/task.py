"""A task submitted to the Inductiva API: status, waiting, killing and outputs.

``Task(task_id)`` is cheap: it holds the id (and the last information fetched)
and sends requests through the one shared client, so thousands of tasks share
one connection pool. Waiting uses the API's long-poll
(``GET /tasks/{id}/status?wait_seconds=..&last_status=..``), never a fixed sleep.
The ``*_async`` methods are the asyncio twins of the blocking ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pathlib
import time
from collections.abc import Iterator, Sequence
from typing import Any

from inductiva_api.api.tasks import get_task, get_task_status, kill_task, list_task_outputs
from inductiva_api.types import UNSET

from . import _client
from ._outputs import TaskOutput, output_class
from ._task_info import (
    TaskInfo,
    is_terminal,
    known_status,
    status_text,
    validate_task_id,
    validate_timeout,
)
from .errors import (
    ConflictError,
    InvalidArgumentError,
    KillTimeoutError,
    TaskFailedError,
    TaskFinishedError,
    TaskTimeoutError,
)
from .output_info import OutputInfo

__all__ = ["DEFAULT_KILL_TIMEOUT", "DEFAULT_POLL", "Task", "TaskInfo"]

logger = logging.getLogger("inductiva")

DEFAULT_POLL = 30.0
"""Longest single long-poll request while waiting, in seconds."""
DEFAULT_KILL_TIMEOUT = 60.0
"""How long ``kill()`` waits for the API to confirm the task is ``killed``."""
_MIN_INTERVAL = 0.5  # never ask again sooner than this when nothing changed


def _poll_seconds(task_id: str, status: str, poll: float, deadline: float | None) -> float:
    """How long the next long-poll may hold; TaskTimeoutError once the deadline passed."""
    seconds = min(poll, 60.0, _client.resolve_settings().timeout * 0.75)
    if deadline is None:
        return seconds
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TaskTimeoutError(
            f"Task {task_id} is still {status!r} after the wait timeout; call wait() again "
            "with a longer timeout, or kill() it.",
            task_id=task_id,
            status=status,
        )
    return min(seconds, remaining)


def _deadline(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + timeout


def _validate_poll(poll: float) -> float:
    if isinstance(poll, bool) or not isinstance(poll, int | float) or poll <= 0:
        raise InvalidArgumentError(f"poll must be seconds > 0, got {poll!r}")
    return float(poll)


def _status_kwargs(task_id: str, seconds: float, last: str | None) -> dict[str, Any]:
    member = known_status(last) if last is not None else None
    return {"task_id": task_id, "wait_seconds": seconds, "last_status": member or UNSET}


def _pause(task_id: str, previous: str, new: str, started: float) -> float:
    """Seconds to sleep so an unchanged status is not asked for in a tight loop."""
    if new != previous:
        logger.info("Task %s: %s -> %s", task_id, previous, new)
        return 0.0
    return max(0.0, _MIN_INTERVAL - (time.monotonic() - started))


class _Waiting:
    """The decisions of a wait, shared by ``wait()`` and ``wait_async()``; no I/O here.

    The caller asks :meth:`next_request` for the keyword arguments of the next
    status request (None once the status is final), sends it, and passes the
    status it got to :meth:`answer`, which says how long to pause before asking again.
    """

    def __init__(self, task_id: str, timeout: float | None, poll: float) -> None:
        self._task_id = task_id
        self._deadline = _deadline(validate_timeout("timeout", timeout))
        self._poll = _validate_poll(poll)
        self._status: str | None = None
        self._started = 0.0

    @property
    def status(self) -> str:
        """The last status received."""
        if self._status is None:
            raise RuntimeError("no status received yet")
        return self._status

    def next_request(self) -> dict[str, Any] | None:
        """Arguments of the next status request (a long-poll after the first), or None."""
        if self._status is None:
            return _status_kwargs(self._task_id, 0.0, None)
        if is_terminal(self._status):
            return None
        self._started = time.monotonic()
        seconds = _poll_seconds(self._task_id, self._status, self._poll, self._deadline)
        return _status_kwargs(self._task_id, seconds, self._status)

    def answer(self, status: str) -> float:
        """Record the status received; return the seconds to pause before the next request."""
        previous, self._status = self._status, status
        return 0.0 if previous is None else _pause(self._task_id, previous, status, self._started)


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
    if isinstance(filenames, str) or not all(isinstance(f, str) and f for f in filenames):
        raise InvalidArgumentError(
            f"filenames must be a list of file names, e.g. ['stdout.txt'], got {filenames!r}"
        )
    return list(filenames)


class Task:
    """One task of the Inductiva API, identified by its id."""

    def __init__(self, task_id: str) -> None:
        self._id = validate_task_id(task_id)
        self._info: TaskInfo | None = None

    @classmethod
    def from_info(cls, info: TaskInfo) -> Task:
        """A Task that already carries ``info`` (as returned by ``inductiva.tasks.get``)."""
        task = cls(info.id)
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

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Task) and other._id == self._id

    def __hash__(self) -> int:
        return hash(("inductiva.Task", self._id))

    # -- information -------------------------------------------------------

    def get_info(self) -> TaskInfo:
        """Fetch everything the API knows about this task."""
        self._info = TaskInfo.from_model(_client.call(get_task.sync_detailed, task_id=self._id))
        return self._info

    async def get_info_async(self) -> TaskInfo:
        """The asyncio twin of :meth:`get_info`."""
        model = await _client.acall(get_task.asyncio_detailed, task_id=self._id)
        self._info = TaskInfo.from_model(model)
        return self._info

    def _settled_info(self) -> TaskInfo:
        """The cached information if the task finished (it cannot change), else fresh."""
        if self._info is not None and self._info.is_terminal:
            return self._info
        return self.get_info()

    def get_status(self) -> str:
        """The current status, e.g. ``"submitted"``, ``"started"``, ``"success"``."""
        kwargs = _status_kwargs(self._id, 0.0, None)
        return status_text(_client.call(get_task_status.sync_detailed, **kwargs).status)

    async def get_status_async(self) -> str:
        """The asyncio twin of :meth:`get_status`."""
        kwargs = _status_kwargs(self._id, 0.0, None)
        return status_text((await _client.acall(get_task_status.asyncio_detailed, **kwargs)).status)

    def get_machine_type(self) -> str | None:
        """The VM type the task ran (or runs) on, e.g. ``"c2-standard-8"``; None if unknown."""
        return self._settled_info().vm_type

    def get_execution_time(self) -> float | None:
        """Seconds from start to end of the run; None until the task has ended."""
        return self._settled_info().execution_time

    # -- waiting -----------------------------------------------------------

    def wait(self, timeout: float | None = None, poll: float = DEFAULT_POLL) -> str:
        """Block until the task finishes and return its final status.

        Raises TaskTimeoutError if it has not finished after ``timeout`` seconds
        (None: no limit). The remote task is not affected by an interruption; use
        :meth:`sync_context` for that.
        """
        waiting = _Waiting(self._id, timeout, poll)
        while (kwargs := waiting.next_request()) is not None:
            status = _client.call(get_task_status.sync_detailed, **kwargs).status
            time.sleep(waiting.answer(status_text(status)))
        return waiting.status

    async def wait_async(self, timeout: float | None = None, poll: float = DEFAULT_POLL) -> str:
        """The asyncio twin of :meth:`wait`."""
        waiting = _Waiting(self._id, timeout, poll)
        while (kwargs := waiting.next_request()) is not None:
            info = await _client.acall(get_task_status.asyncio_detailed, **kwargs)
            await asyncio.sleep(waiting.answer(status_text(info.status)))
        return waiting.status

    # -- killing -----------------------------------------------------------

    def kill(self, wait_timeout: float | None = DEFAULT_KILL_TIMEOUT) -> str:
        """Kill the task and wait until the API confirms it is ``killed``; return the status.

        Killing a killed task is fine. ``wait_timeout=0`` returns right after the
        API accepted the kill (status ``pending-kill``); None waits without limit.
        Raises TaskFinishedError if the task already ended otherwise, and
        KillTimeoutError if the kill is not confirmed in time.
        """
        wait_timeout = validate_timeout("wait_timeout", wait_timeout)
        try:
            status = status_text(_client.call(kill_task.sync_detailed, task_id=self._id).status)
        except ConflictError as exc:
            raise _already_finished(self._id, self.get_status()) from exc
        if status == "killed" or wait_timeout == 0:
            return status
        try:
            return _kill_outcome(self._id, self.wait(timeout=wait_timeout))
        except TaskTimeoutError as exc:
            raise _kill_timeout(self._id, exc.status, wait_timeout) from exc

    async def kill_async(self, wait_timeout: float | None = DEFAULT_KILL_TIMEOUT) -> str:
        """The asyncio twin of :meth:`kill`."""
        wait_timeout = validate_timeout("wait_timeout", wait_timeout)
        try:
            info = await _client.acall(kill_task.asyncio_detailed, task_id=self._id)
        except ConflictError as exc:
            raise _already_finished(self._id, await self.get_status_async()) from exc
        status = status_text(info.status)
        if status == "killed" or wait_timeout == 0:
            return status
        try:
            return _kill_outcome(self._id, await self.wait_async(timeout=wait_timeout))
        except TaskTimeoutError as exc:
            raise _kill_timeout(self._id, exc.status, wait_timeout) from exc

    @contextlib.contextmanager
    def sync_context(self, kill_timeout: float | None = DEFAULT_KILL_TIMEOUT) -> Iterator[Task]:
        """Kill the remote task if the block is interrupted (Ctrl-C) or raises.

        The interruption or exception is always re-raised after the kill attempt;
        a failure to kill is logged, not raised.
        """
        try:
            yield self
        except BaseException as exc:
            if not isinstance(exc, GeneratorExit):
                self._kill_after(exc, kill_timeout)
            raise

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
        return OutputInfo.from_model(
            _client.call(list_task_outputs.sync_detailed, task_id=self._id)
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
        """
        from . import _download  # the transfer engine, imported on first use

        return _download.download_outputs(
            self._id,
            filenames=_check_filenames(filenames),
            output_dir=pathlib.Path(output_dir) if output_dir is not None else None,
            uncompress=uncompress,
        )

    def get_output(self, output_dir: str | pathlib.Path | None = None) -> TaskOutput:
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
        method = self._settled_info().method_name
        return output_class(method)(self.download_outputs(output_dir=output_dir))
