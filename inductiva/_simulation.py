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

import contextlib
import inspect
import logging
import pathlib
import tempfile
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

import attrs

from . import _submit
from ._http import core_of
from ._http._flow import Flow, budgeted
from ._indicator import StatusCallback, wait_indicator
from ._outputs import TaskOutput
from ._transfers import _upload
from ._validate import check_flag, check_path, printable
from ._waits import wait_flow
from .errors import InvalidArgumentError
from .task import DEFAULT_KILL_TIMEOUT, OutputT, Task, kill_after_flow

__all__ = [
    "OutT",
    "Submission",
    "check_positive",
    "commands_param",
    "existing_dir",
    "existing_file",
    "submit",
    "submit_async",
    "submitter",
    "submitter_async",
]

logger = logging.getLogger("inductiva")

OutT = TypeVar("OutT", bound=TaskOutput)
S = TypeVar("S")
P = ParamSpec("P")


def _existing(name: str, value: str | pathlib.Path, *, directory: bool) -> pathlib.Path:
    path = pathlib.Path(check_path(name, value))
    if path.is_dir() if directory else path.is_file():
        return path
    other = path.is_file() if directory else path.is_dir()
    what = ("is a file" if directory else "is a directory") if other else "does not exist"
    wanted = (
        "the directory holding the input files" if directory else "the path of an existing file"
    )
    raise InvalidArgumentError(f"{name} {str(path)!r} {what}; pass {wanted}.")


def existing_file(name: str, value: str | pathlib.Path) -> pathlib.Path:
    """``value`` as a Path to an existing file, else InvalidArgumentError."""
    return _existing(name, value, directory=False)


def existing_dir(name: str, value: str | pathlib.Path) -> pathlib.Path:
    """``value`` as a Path to an existing directory, else InvalidArgumentError."""
    return _existing(name, value, directory=True)


MAX_NUMBER = 1e15
"""Largest accepted numeric simulation parameter: larger ones (or NaN) are mistakes."""


def check_positive(name: str, value: object, *, integer: bool = False) -> None:
    """InvalidArgumentError unless ``value`` is a number > 0 (an int if ``integer``)."""
    kinds = int if integer else int | float
    if isinstance(value, bool) or not isinstance(value, kinds) or not 0 < value <= MAX_NUMBER:
        kind = "a positive integer" if integer else "a positive number"
        raise InvalidArgumentError(
            f"{name} must be {kind} up to {MAX_NUMBER:.0e}, got {printable(repr(value))[:80]}"
        )


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
    on_status: StatusCallback | None = None,
) -> Flow[Task[OutputT]]:
    sim_dir = _upload.SIM_DIR
    full_params = {sim_dir: sim_dir, **{k: v for k, v in params.items() if k != sim_dir}}
    _upload.check_input(input_dir, full_params)
    task_id = yield from budgeted(_submit.register_flow(method, full_params, resource_pool))
    task: Task[OutputT] = Task(task_id, client=client, output=output)
    logger.info("Task %s submitted (%s).", task_id, method)
    try:
        yield from budgeted(_upload.upload_flow(task_id, input_dir, full_params))
        if not run_async:
            status = yield from wait_flow(task_id, None, on_status=on_status)
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
    progress = False if run_async else core.current_settings().progress  # nothing to wait for
    with wait_indicator(progress) as on_status:
        flow = _submit_flow(
            method, params, input_dir, run_async, resource_pool, output, core, on_status
        )
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


@attrs.frozen
class Submission(Generic[OutT]):
    """What a scenario or simulator submits, its arguments checked: built once, sent by
    the blocking method (:func:`submitter`) or its asyncio twin (:func:`submitter_async`).

    The input files are ``input_dir``, or ``render`` writes them into a temporary
    directory (removed once the method returns).
    """

    method: str
    params: Mapping[str, Any]
    output: type[OutT]
    client: object
    run_async: bool = False
    resource_pool: str | None = None
    input_dir: pathlib.Path | None = None
    render: Callable[[pathlib.Path], None] | None = None

    @contextlib.contextmanager
    def files(self) -> Iterator[pathlib.Path]:
        """The input directory (rendered into a temporary one if need be)."""
        if self.input_dir is not None:
            yield self.input_dir
            return
        with tempfile.TemporaryDirectory(prefix="inductiva-input-") as tmp:
            if self.render is not None:
                self.render(pathlib.Path(tmp))
            yield pathlib.Path(tmp)

    def options(self) -> dict[str, Any]:
        """The keywords of :func:`submit` / :func:`submit_async` for this submission."""
        return {
            "run_async": self.run_async,
            "resource_pool": self.resource_pool,
            "output": self.output,
            "client": self.client,
        }

    def send(self) -> Task[OutT]:
        """Submit it (:func:`submit`): the task, finished unless ``run_async``."""
        with self.files() as directory:
            return submit(self.method, self.params, directory, **self.options())

    async def send_async(self) -> Task[OutT]:
        """The asyncio twin of :meth:`send` (:func:`submit_async`)."""
        with self.files() as directory:
            return await submit_async(self.method, self.params, directory, **self.options())


def _twin(method: Callable[..., Any], prepare: Callable[..., Any], doc: str) -> None:
    """Name ``method`` after ``prepare`` (without its ``_``), with ``doc`` and its signature."""
    name = prepare.__name__.lstrip("_") + ("_async" if inspect.iscoroutinefunction(method) else "")
    method.__name__ = name
    method.__qualname__ = prepare.__qualname__.rsplit(".", 1)[0] + "." + name
    method.__doc__ = doc
    method.__module__ = prepare.__module__
    signature = inspect.signature(prepare)
    returned = str(signature.return_annotation).replace("Submission", "Task", 1)
    method.__signature__ = signature.replace(return_annotation=returned)  # type: ignore[attr-defined]


def submitter(
    prepare: Callable[Concatenate[S, P], Submission[OutT]],
) -> Callable[Concatenate[S, P], Task[OutT]]:
    """The blocking method that submits what ``prepare`` builds (its docstring and arguments).

    It blocks until the task finishes unless ``run_async``; an interruption
    (Ctrl-C, SIGTERM) or a failure kills the remote task, then is re-raised.
    """

    def method(self: S, /, *args: P.args, **kwargs: P.kwargs) -> Task[OutT]:
        return prepare(self, *args, **kwargs).send()

    _twin(method, prepare, prepare.__doc__ or "")
    return method


def submitter_async(
    prepare: Callable[Concatenate[S, P], Submission[OutT]],
) -> Callable[Concatenate[S, P], Coroutine[Any, Any, Task[OutT]]]:
    """The asyncio twin of :func:`submitter`: the same arguments, checks and submission."""
    name = prepare.__name__.lstrip("_")

    async def method_async(self: S, /, *args: P.args, **kwargs: P.kwargs) -> Task[OutT]:
        return await prepare(self, *args, **kwargs).send_async()

    _twin(
        method_async,
        prepare,
        f"The asyncio twin of :meth:`{name}`: the same arguments and checks (the upload on "
        f"the client's async pool). Awaits the end of the task unless ``run_async``; "
        f"cancelling it kills the remote task, as Ctrl-C does during ``{name}()``.",
    )
    return method_async
