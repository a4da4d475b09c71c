"""Submitting a simulation: register the task, upload its input, optionally wait.

Every scenario and simulator ends in :func:`submit`: the registration goes
through :func:`inductiva._submit.register_flow` (which decides when re-sending it
is safe), then the input zip is uploaded in the era's layout (``sim_dir/...``
plus ``input.json``; see :mod:`inductiva._transfers._upload`). It is one flow,
run by :func:`submit` and :func:`submit_async` alike: if the upload (or, for
blocking runs, the wait) is interrupted (Ctrl-C, SIGTERM, an asyncio cancel) or
fails, the remote task is killed and the interruption re-raised, so no task is
left behind half-submitted.
"""

from __future__ import annotations

import logging
import pathlib
from collections.abc import Mapping, Sequence
from typing import Any

from . import _submit
from ._http import core_of
from ._http._flow import Flow, budgeted
from ._transfers import _upload
from ._validate import check_flag
from ._waits import wait_flow
from .errors import InvalidArgumentError
from .task import DEFAULT_KILL_TIMEOUT, OutputT, Task, kill_after_flow

__all__ = [
    "check_positive",
    "commands_param",
    "existing_dir",
    "existing_file",
    "submit",
    "submit_async",
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


def _command(value: object) -> dict[str, Any] | None:
    """``value`` as ``{"cmd", "prompts"}``, or None if it is not a valid command."""
    if isinstance(value, str):
        return {"cmd": value, "prompts": []} if value.strip() else None
    if not isinstance(value, Mapping) or set(value) - {"cmd", "prompts"}:
        return None
    cmd, prompts = value.get("cmd"), value.get("prompts", [])
    if not isinstance(cmd, str) or not cmd.strip():
        return None
    if isinstance(prompts, str) or not isinstance(prompts, Sequence):
        return None
    if not all(isinstance(p, str) for p in prompts):
        return None
    return {"cmd": cmd, "prompts": list(prompts)}


def commands_param(commands: object, example: str) -> list[dict[str, Any]]:
    """The era's ``commands`` parameter: ``[{"cmd": ..., "prompts": [...]}, ...]``.

    Each command may be given as a string (no prompts) or as such a dict;
    anything else is an InvalidArgumentError before any request.
    """
    if isinstance(commands, str | bytes | Mapping) or not isinstance(commands, Sequence):
        raise InvalidArgumentError(
            f"commands must be a non-empty list of commands such as {example}, got {commands!r}"
        )
    if not commands:
        raise InvalidArgumentError(
            f"commands must be a non-empty list of commands such as {example}, got []"
        )
    normalized = [_command(c) for c in commands]
    bad = [c for c, n in zip(commands, normalized, strict=True) if n is None]
    if bad:
        raise InvalidArgumentError(
            "every command must be a non-empty string or a dict "
            f'{{"cmd": "...", "prompts": ["...", ...]}}, got {bad[0]!r}'
        )
    return [n for n in normalized if n is not None]


def _submit_flow(
    method: str,
    params: Mapping[str, Any],
    input_dir: pathlib.Path,
    run_async: bool,
    resource_pool: str | None,
    output: type[OutputT] | None,
    client: object,
) -> Flow[Task[OutputT]]:
    sim_dir = _upload.SIM_DIR
    full_params = {sim_dir: sim_dir, **{k: v for k, v in params.items() if k != sim_dir}}
    task_id = yield from budgeted(_submit.register_flow(method, full_params, resource_pool))
    task: Task[OutputT] = Task(task_id, client=client, output=output)
    logger.info("Task %s submitted (%s).", task_id, method)
    try:
        yield from budgeted(_upload.upload_flow(task_id, input_dir, full_params))
        if not run_async:
            status = yield from wait_flow(task_id, None)
            log = logger.info if status == "success" else logger.warning
            log("Task %s finished: %s.", task_id, status)
    except BaseException as exc:  # Ctrl-C, SIGTERM, cancellation, an error: no task left behind
        if not isinstance(exc, GeneratorExit):
            yield from kill_after_flow(task_id, exc, DEFAULT_KILL_TIMEOUT)
        raise
    return task


def submit(
    method: str,
    params: Mapping[str, Any],
    input_dir: pathlib.Path,
    *,
    run_async: bool = False,
    resource_pool: str | None = None,
    output: type[OutputT] | None = None,
    client: object = None,
) -> Task[OutputT]:
    """Submit ``method`` with ``params`` and the files of ``input_dir``; return the Task.

    ``params`` get ``"sim_dir": "sim_dir"``, the input directory's folder in
    the input zip. With ``run_async=False`` this blocks until the task
    finishes, killing it if interrupted (Ctrl-C, SIGTERM) or if anything fails;
    with ``run_async=True`` it returns once the input is uploaded (a failed
    upload kills the half-submitted task). Requests go through ``client`` (else
    the default client), which the returned task keeps using; ``output`` is the
    class its ``get_output()`` returns.
    """
    run_async = check_flag("run_async", run_async)
    core = core_of(client)
    flow = _submit_flow(method, params, input_dir, run_async, resource_pool, output, core)
    return core.run(flow, interruptible=True)


async def submit_async(
    method: str,
    params: Mapping[str, Any],
    input_dir: pathlib.Path,
    *,
    run_async: bool = False,
    resource_pool: str | None = None,
    output: type[OutputT] | None = None,
    client: object = None,
) -> Task[OutputT]:
    """The asyncio twin of :func:`submit`: cancelling it kills the task, as Ctrl-C does."""
    run_async = check_flag("run_async", run_async)
    core = core_of(client)
    flow = _submit_flow(method, params, input_dir, run_async, resource_pool, output, core)
    return await core.run_async(flow)
