"""Submitting a simulation: register the task, upload its input, optionally wait.

Every scenario and simulator ends in :func:`submit`. The registration carries
a fresh ``Idempotency-Key`` so the retry transport may safely send it again.
The upload (and, for blocking runs, the wait) happens inside
``task.sync_context()``: Ctrl-C or an error kills the remote task and is
re-raised, so no task is left behind half-submitted.
"""

from __future__ import annotations

import logging
import pathlib
import uuid
from collections.abc import Mapping
from typing import Any

from inductiva_api.api.tasks import submit_task
from inductiva_api.models import TaskRequest, TaskRequestParams
from inductiva_api.types import UNSET

from . import _client, _upload
from .errors import InvalidArgumentError
from .task import Task

__all__ = [
    "check_positive",
    "existing_dir",
    "existing_file",
    "submit",
]

logger = logging.getLogger("inductiva")


def existing_file(name: str, value: str | pathlib.Path) -> pathlib.Path:
    """``value`` as a Path to an existing file, else InvalidArgumentError."""
    path = pathlib.Path(value)
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "does not exist"
        raise InvalidArgumentError(
            f"{name} {str(path)!r} {what}; pass the path of an existing file."
        )
    return path


def existing_dir(name: str, value: str | pathlib.Path) -> pathlib.Path:
    """``value`` as a Path to an existing directory, else InvalidArgumentError."""
    path = pathlib.Path(value)
    if not path.is_dir():
        what = "is a file" if path.is_file() else "does not exist"
        raise InvalidArgumentError(
            f"{name} {str(path)!r} {what}; pass the directory holding the input files."
        )
    return path


def check_positive(name: str, value: object, *, integer: bool = False) -> None:
    """InvalidArgumentError unless ``value`` is a number > 0 (an int if ``integer``)."""
    kinds = int if integer else int | float
    if isinstance(value, bool) or not isinstance(value, kinds) or value <= 0:
        kind = "a positive integer" if integer else "a positive number"
        raise InvalidArgumentError(f"{name} must be {kind}, got {value!r}")


def submit(
    method: str,
    params: Mapping[str, Any],
    input_dir: pathlib.Path,
    *,
    run_async: bool = False,
    resource_pool: str | None = None,
) -> Task:
    """Submit ``method`` with ``params`` and the files of ``input_dir``; return the Task.

    With ``run_async=False`` this blocks until the task finishes, killing it if
    interrupted; with ``run_async=True`` it returns once the input is uploaded.
    """
    body = TaskRequest(
        method=method,
        params=TaskRequestParams.from_dict(dict(params)),
        resource_pool=resource_pool if resource_pool is not None else UNSET,
    )
    submitted = _client.call(
        submit_task.sync_detailed, body=body, idempotency_key=str(uuid.uuid4())
    )
    task = Task(submitted.id)
    logger.info("Task %s submitted (%s).", task.id, method)
    with task.sync_context():
        _upload.upload_input(task.id, input_dir)
        if not run_async:
            status = task.wait()
            log = logger.info if status == "success" else logger.warning
            log("Task %s finished: %s.", task.id, status)
    return task
