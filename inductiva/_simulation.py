"""Submitting a simulation: register the task, upload its input, optionally wait.

Every scenario and simulator ends in :func:`submit`: the registration goes
through :func:`inductiva._submit.register` (which decides when re-sending it is
safe), then the input zip is uploaded in the era's layout (``sim_dir/...``
plus ``input.json``; see :mod:`inductiva._transfers._upload`). The upload (and, for
blocking runs, the wait) happens inside
``task.sync_context()``: Ctrl-C or an error kills the remote task and is
re-raised, so no task is left behind half-submitted.
"""

from __future__ import annotations

import logging
import pathlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from . import _client, _retry, _submit
from ._transfers import _upload
from ._validate import check_flag
from .errors import InvalidArgumentError
from .task import OutputT, Task

if TYPE_CHECKING:
    from ._clients import AsyncClient, Client

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


def submit(
    method: str,
    params: Mapping[str, Any],
    input_dir: pathlib.Path,
    *,
    run_async: bool = False,
    resource_pool: str | None = None,
    output: type[OutputT] | None = None,
    client: Client | AsyncClient | None = None,
) -> Task[OutputT]:
    """Submit ``method`` with ``params`` and the files of ``input_dir``; return the Task.

    ``params`` get ``"sim_dir": "sim_dir"``, the input directory's folder in
    the input zip. With ``run_async=False`` this blocks until the task
    finishes, killing it if interrupted; with ``run_async=True`` it returns
    once the input is uploaded. Requests go through ``client`` (else the active
    client, else the default one), which the returned task keeps using;
    ``output`` is the class its ``get_output()`` returns.
    """
    run_async = check_flag("run_async", run_async)
    sim_dir = _upload.SIM_DIR
    full_params = {sim_dir: sim_dir, **{k: v for k, v in params.items() if k != sim_dir}}
    core = None if client is None else client._core
    with _client.using(core):
        settings = _client.resolve_settings()  # every setting checked before the task is created
        with _retry.retry_budget(settings.max_retries):
            task = Task(_submit.register(method, full_params, resource_pool), output=output)
        logger.info("Task %s submitted (%s).", task.id, method)
        with task.sync_context():
            with _retry.retry_budget(settings.max_retries):
                _upload.upload_input(task.id, input_dir, full_params)
            if not run_async:
                status = task.wait()
                log = logger.info if status == "success" else logger.warning
                log("Task %s finished: %s.", task.id, status)
    return task


async def submit_async(
    method: str,
    params: Mapping[str, Any],
    input_dir: pathlib.Path,
    *,
    run_async: bool = False,
    resource_pool: str | None = None,
    output: type[OutputT] | None = None,
    client: Client | AsyncClient | None = None,
) -> Task[OutputT]:
    """The asyncio twin of :func:`submit`, on the active client's async pool.

    The same input zip (built in a worker thread) and re-send rules. With
    ``run_async=False`` it awaits the end of the task, killing it if the
    awaiting asyncio task is cancelled or fails; with ``run_async=True`` it
    returns once the input is uploaded.
    """
    from ._transfers import _aupload

    run_async = check_flag("run_async", run_async)
    sim_dir = _upload.SIM_DIR
    full_params = {sim_dir: sim_dir, **{k: v for k, v in params.items() if k != sim_dir}}
    core = None if client is None else client._core
    with _client.using(core):
        settings = _client.resolve_settings()  # every setting checked before the task is created
        with _retry.retry_budget(settings.max_retries):
            task_id = await _submit.register_async(method, full_params, resource_pool)
        task = Task(task_id, output=output)
        logger.info("Task %s submitted (%s).", task.id, method)
        try:
            with _retry.retry_budget(settings.max_retries):
                await _aupload.upload_input_async(task.id, input_dir, full_params)
            if not run_async:
                status = await task.wait_async()
                log = logger.info if status == "success" else logger.warning
                log("Task %s finished: %s.", task.id, status)
        except BaseException as exc:
            if not isinstance(exc, GeneratorExit):
                await task.kill_after_async(exc)
            raise
    return task
