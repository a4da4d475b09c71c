"""Flows: every multi-step operation written once, as a generator of effects (sans-I/O).

A flow is a generator that *yields* what it needs done (an :class:`Effect`)
and is *sent* the result, as ``httpx.Auth.auth_flow`` does for auth; it never
touches a socket, a clock or a thread itself. The same flow is run by the
blocking driver (``inductiva._http._drive.run``) and by the asyncio one
(``run_async``), so a wait, a submission or a download is written once, and the
two APIs cannot drift apart::

    def status_flow(task_id: str) -> Flow[str]:
        model = yield from call(get_task_status.sync_detailed, task_id=task_id)
        return str(model.status)

Effects: :class:`Call` (a generated endpoint, sync or async twin picked by the
driver, parsed 2xx model back), :class:`Open`/:class:`Read`/:class:`Close` (a
streamed request, chunk by chunk), :class:`Sleep`, :class:`Offload` (blocking
disk or CPU work: inline when blocking, in a worker thread under asyncio),
:class:`Gather` (sub-flows run concurrently: threads or asyncio tasks),
:class:`Park` (wait until a :class:`Signal` is set, or a timeout) and
:class:`GetSession` (the run's settings and per-pool state).

Failures are thrown into the flow at the ``yield`` that caused them
(``generator.throw``), so ``try``/``except``/``finally`` in a flow behave as in
ordinary code. Cancellation (Ctrl-C, SIGTERM, ``asyncio`` cancel, a sibling's
failure in a :class:`Gather`) arrives the same way: a flow's ``finally`` may
still yield effects (e.g. kill the remote task) before the exception goes on.
Drivers never ``close()`` a flow that is still running.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Generator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, Protocol, TypeVar

import attrs
from inductiva_api import AuthenticatedClient
from inductiva_api.models import HTTPError, HTTPValidationError
from inductiva_api.types import Response

if TYPE_CHECKING:
    import httpx

    from ._settings import Settings

__all__ = [
    "Budgeted",
    "Call",
    "Cancelled",
    "Close",
    "Effect",
    "ErrorModel",
    "Flow",
    "Gather",
    "GetSession",
    "Offload",
    "Open",
    "Outcome",
    "Park",
    "Read",
    "Request",
    "Session",
    "Signal",
    "Sleep",
    "Stream",
    "budgeted",
    "call",
    "call_idempotent",
    "close",
    "gather",
    "offload",
    "open_stream",
    "park",
    "read",
    "request_of",
    "session",
    "sleep",
]

T = TypeVar("T")
P = ParamSpec("P")

Flow = Generator["Effect", Any, T]
"""A flow returning ``T``: ``result = yield from flow`` inside another flow."""


ErrorModel = HTTPError | HTTPValidationError
"""The error bodies every operation declares (FastAPI's shapes), never a 2xx result."""


Endpoint = Callable[Concatenate[AuthenticatedClient, P], Response[Any]]


class Effect:
    """Something a flow asks its driver to do."""

    __slots__ = ()


@attrs.frozen
class Call(Effect):
    """Call a generated endpoint's ``sync_detailed`` (or, under asyncio, its twin).

    The driver answers with the parsed 2xx model, or throws the
    :mod:`inductiva.errors` exception of the failure.
    """

    endpoint: Callable[..., Response[Any]]
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]
    idempotent: bool = False
    """The caller vouches a re-send is safe (see ``_retry.declared_idempotent``)."""


@attrs.frozen
class Open(Effect):
    """Send a streamed request; answered with its :class:`Stream` (status and headers read).

    A non-2xx answer is thrown as its :mod:`inductiva.errors` exception.
    ``max_bytes`` bounds the body (a longer one is an
    :class:`~inductiva.errors.IntegrityError` when read).
    """

    method: str
    url: str
    params: Any = None
    headers: Mapping[str, str] | None = None
    max_bytes: int | None = None


@attrs.frozen
class Read(Effect):
    """The next chunk of a stream's body; ``b""`` once it has all been read."""

    stream: Stream


@attrs.frozen
class Close(Effect):
    """Close a stream now (the driver also closes every stream when the flow ends)."""

    stream: Stream


@attrs.frozen
class Sleep(Effect):
    """Pause for ``seconds``."""

    seconds: float


@attrs.frozen
class Offload(Effect):
    """Run blocking ``fn()``: inline when blocking, in a worker thread under asyncio.

    A cancelled asyncio run waits for the thread to end before the flow sees the
    cancellation, so files the function holds are released first.
    """

    fn: Callable[[], Any]


@attrs.frozen
class Gather(Effect):
    """Run ``flows`` concurrently; answered with one outcome each, in order.

    An outcome is the flow's result, or the exception it ended with. When one
    fails, or the run is interrupted, the others are cancelled (the exception
    :class:`Cancelled` is thrown into them at their next effect) and waited for,
    at most ``grace`` seconds in the blocking driver.
    """

    flows: Sequence[Flow[Any]]
    grace: float = 1.0


@attrs.frozen
class Park(Effect):
    """Wait until ``signal`` is set (answered True) or ``timeout`` seconds pass (False)."""

    signal: Signal
    timeout: float | None


@attrs.frozen
class Budgeted(Effect):
    """Run ``flow`` with one retry budget for all its requests; answered with its result.

    ``max_retries + 1`` failed attempts are shared by every request of the
    sub-flow, including whole transfers it resumes (see
    :func:`inductiva._http._retry.retry_budget`); nested budgets join the outer one.
    """

    flow: Flow[Any]


@attrs.frozen
class GetSession(Effect):
    """Answered with the run's :class:`Session`."""


class Cancelled(BaseException):
    """Thrown into a :class:`Gather`'s sub-flow when a sibling failed or the run is interrupted."""


class Signal(Protocol):
    """A flag one flow sets and others :class:`Park` on (a threading or asyncio event)."""

    def set(self) -> None: ...

    def clear(self) -> None: ...

    def is_set(self) -> bool: ...


class Stream(Protocol):
    """A streamed response, as :class:`Open` answers it."""

    @property
    def response(self) -> httpx.Response: ...

    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> httpx.Headers: ...


class Session(Protocol):
    """What a flow may know of the run: settings and per-pool state; no I/O."""

    @property
    def settings(self) -> Settings: ...

    @property
    def is_async(self) -> bool: ...

    @property
    def state(self) -> dict[str, Any]:
        """State kept per connection pool (capabilities, wait hubs), gone with the pool."""
        ...

    def new_signal(self) -> Signal: ...

    def clock(self) -> float:
        """Seconds on the monotonic clock :class:`Sleep` is measured by (flows read no other)."""
        ...


# -- typed helpers: ``x = yield from helper(...)`` -------------------------------------


def call(
    endpoint: Callable[Concatenate[AuthenticatedClient, P], Response[ErrorModel | T]],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> Flow[T]:
    """Call a generated ``sync_detailed`` endpoint (its ``asyncio_detailed`` under asyncio).

    The endpoint's own parameters are type-checked against its signature; the
    result is its parsed 2xx model.
    """
    result: T = yield Call(endpoint, args, kwargs)
    return result


def call_idempotent(
    endpoint: Callable[Concatenate[AuthenticatedClient, P], Response[ErrorModel | T]],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> Flow[T]:
    """:func:`call` for a request that is safe to send again although it is a POST.

    A kill (killing twice is killing once), a read sent as a POST, a submission
    to a server that honours ``Idempotency-Key``: the retry policy may re-send it
    after a failure whose outcome is unknown.
    """
    result: T = yield Call(endpoint, args, kwargs, idempotent=True)
    return result


@attrs.frozen
class Request:
    """A request as a generated endpoint builds it: method, path, query and headers."""

    method: str
    url: str
    params: Any = None
    headers: Mapping[str, str] | None = None


def request_of(
    endpoint: Callable[Concatenate[AuthenticatedClient, P], Response[Any]],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> Request:
    """The request a generated endpoint would send for these arguments (to stream it).

    The path, the query and header names all come from the generated code, so a
    parameter the contract renames or removes fails ``make typecheck`` here.
    """
    built = sys.modules[endpoint.__module__]._get_kwargs(*args, **kwargs)
    return Request(
        str(built["method"]).upper(), str(built["url"]), built.get("params"), built.get("headers")
    )


def open_stream(request: Request, *, max_bytes: int | None = None) -> Flow[Stream]:
    """Send ``request`` streamed; its :class:`Stream` once the status and headers arrived."""
    stream: Stream = yield Open(
        request.method, request.url, request.params, request.headers, max_bytes
    )
    return stream


def read(stream: Stream) -> Flow[bytes]:
    """The next chunk of ``stream``'s body (``b""`` at its end)."""
    chunk: bytes = yield Read(stream)
    return chunk


def close(stream: Stream) -> Flow[None]:
    """Close ``stream`` (releasing its connection) before the flow ends."""
    yield Close(stream)


def sleep(seconds: float) -> Flow[None]:
    """Pause for ``seconds``."""
    yield Sleep(seconds)


def offload(fn: Callable[[], T]) -> Flow[T]:
    """Run blocking ``fn()`` (inline, or in a worker thread under asyncio); its result."""
    result: T = yield Offload(fn)
    return result


def gather(flows: Sequence[Flow[T]], grace: float = 1.0) -> Flow[list[T | BaseException]]:
    """Run ``flows`` concurrently; each one's result or exception, in order."""
    outcomes: list[T | BaseException] = yield Gather(flows, grace)
    return outcomes


def park(signal: Signal, timeout: float | None) -> Flow[bool]:
    """Wait until ``signal`` is set (True) or ``timeout`` seconds passed (False)."""
    woken: bool = yield Park(signal, timeout)
    return woken


def budgeted(flow: Flow[T]) -> Flow[T]:
    """``flow``'s result, its requests sharing one retry budget (see :class:`Budgeted`)."""
    result: T = yield Budgeted(flow)
    return result


def session() -> Flow[Session]:
    """The run's :class:`Session` (settings, per-pool state)."""
    found: Session = yield GetSession()
    return found


class Outcome(Generic[T]):
    """Helpers for :func:`gather` outcomes."""

    @staticmethod
    def failures(outcomes: Sequence[T | BaseException]) -> list[BaseException]:
        """The exceptions among ``outcomes``, in order."""
        return [o for o in outcomes if isinstance(o, BaseException)]
