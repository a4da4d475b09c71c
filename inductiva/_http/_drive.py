"""The two drivers of flows: blocking (:func:`run`, here) and asyncio (``run_async``, in
:mod:`._drive_async`, imported by asyncio runs only).

Each takes a flow (see :mod:`inductiva._http._flow`) and a :class:`Session`
(the connection pool and settings of one client) and carries out the effects
the flow yields, sending back their results or throwing their failures into
it. Everything a flow decides is therefore the same under both; only the
effects are carried out differently:

===========  ==================================  ===================================
effect       :func:`run` (blocking)              :func:`run_async` (asyncio)
===========  ==================================  ===================================
Call         ``endpoint.sync_detailed``          ``asyncio_detailed`` of its module
Open/Read    ``httpx.Client.stream``             ``httpx.AsyncClient.stream``
Sleep        ``time.sleep`` (woken by cancel)    ``asyncio.sleep``
Offload      inline                              a worker thread, waited for if cancelled
Gather       one thread per sub-flow             one asyncio task per sub-flow
Park         ``threading.Event.wait``            ``asyncio.Event.wait``
===========  ==================================  ===================================

Transport failures become :class:`~inductiva.errors.ApiConnectionError`, non-2xx
answers their :mod:`inductiva.errors` class (in the pool's response hook). Every
stream a flow opened is closed when it ends, however it ends.

Cancellation, one model for both: Ctrl-C (and SIGTERM inside
``interruptible`` runs), an ``asyncio`` cancel, or a sibling's failure in a
:class:`~inductiva._http._flow.Gather` is thrown into the flow at the effect it
waits on. Sub-flows of a blocking Gather are told through a shared event, their
sockets are shut down so a blocked read returns at once, and they are waited for
at most ``grace`` seconds: an interrupted transfer ends within about a second,
keeping what it received.
"""

from __future__ import annotations

import contextlib
import contextvars
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import attrs
import httpx
from inductiva_api import AuthenticatedClient
from inductiva_api.models import HTTPError, HTTPValidationError
from inductiva_api.types import Response

from .. import _signals, errors
from . import _skew, _wire
from ._errors import connection_error
from ._flow import (
    Budgeted,
    Call,
    Cancelled,
    Close,
    Effect,
    Flow,
    Gather,
    GetSession,
    Offload,
    Open,
    Park,
    Read,
    Signal,
    Sleep,
)
from ._retry import declared_idempotent, retry_budget
from ._settings import Settings

__all__ = ["Session", "monotonic", "run", "sleep", "sleep_async"]

T = TypeVar("T")

# The time every run reads (Session.clock) and sleeps by. Module attributes, so a test can
# run long waits on a simulated clock (replacing the three together).
monotonic: Callable[[], float] = time.monotonic
sleep: Callable[[float], None] = time.sleep


async def _asyncio_sleep_async(seconds: float) -> None:
    import asyncio  # imported by asyncio runs only: a blocking program never loads it

    await asyncio.sleep(seconds)


sleep_async: Callable[[float], Awaitable[None]] = _asyncio_sleep_async

# Effects a flow that was already told of its cancellation may still have carried out.
_CLEANUP = (Close, Offload, GetSession)


@attrs.define
class Session:
    """One run's view of a client: its settings, its pool and the state kept per pool."""

    settings: Settings
    api: AuthenticatedClient
    state: dict[str, Any]
    is_async: bool = False

    def new_signal(self) -> Signal:
        """A flag flows of this pool can set and park on."""
        if self.is_async:
            import asyncio

            return asyncio.Event()
        return threading.Event()

    def clock(self) -> float:
        """Seconds on the monotonic clock :class:`~._flow.Sleep` is measured by."""
        return monotonic()


def parsed(response: Response[Any]) -> Any:
    parsed = response.parsed
    if parsed is None or isinstance(parsed, HTTPError | HTTPValidationError):
        raise errors.ApiError(
            f"Unexpected HTTP {int(response.status_code)} response from the API",
            status_code=int(response.status_code),
        )
    return parsed


class Body:
    """Counts a body's bytes against the bound an :class:`Open` set."""

    def __init__(self, limit: int | None, request: httpx.Request) -> None:
        self.limit, self.request, self.got = limit, request, 0

    def count(self, chunk: bytes) -> bytes:
        self.got += len(chunk)
        if self.limit is not None and self.got > self.limit:
            raise errors.IntegrityError(
                f"The answer to {self.request.method} {self.request.url.path} is longer than the "
                f"{self.limit} bytes it may be; it was not kept."
            )
        return chunk


# -- blocking ---------------------------------------------------------------------------


class _SyncStream:
    """A streamed response of the blocking driver."""

    def __init__(self, http: httpx.Client, effect: Open) -> None:
        self._cm = http.stream(
            effect.method, effect.url, params=effect.params, headers=effect.headers
        )
        self.response = self._cm.__enter__()
        self._body: Iterator[bytes] = _wire.iter_body(self.response)
        self._count = Body(effect.max_bytes, self.response.request)
        self.closed = False

    @property
    def status_code(self) -> int:
        return self.response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.response.headers

    def read(self) -> bytes:
        return self._count.count(next(self._body, b""))

    def abort(self) -> None:
        """Wake a read blocked in another thread (shut the socket down)."""
        stream = self.response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(httpx.TransportError):
                self._cm.__exit__(None, None, None)


class _Runner:
    """Drives one flow in this thread."""

    def __init__(self, session: Session, cancel: threading.Event | None = None) -> None:
        self.session = session
        self.http = session.api.get_httpx_client()
        self.cancel = cancel
        self.told = False
        self.streams: list[_SyncStream] = []
        self.reading: _SyncStream | None = None  # may be a stream another runner opened

    def drive(self, flow: Flow[T]) -> T:
        value: Any = None
        error: BaseException | None = None
        mark = len(self.streams)  # a nested (budgeted) flow closes only its own streams
        try:
            while True:
                try:
                    effect = flow.send(value) if error is None else flow.throw(error)
                except StopIteration as stop:
                    result: T = stop.value
                    return result
                value, error = None, None
                try:
                    value = self._carry_out(effect)
                except BaseException as exc:  # thrown into the flow, which decides
                    _signals.acknowledge(exc)
                    error = exc
        finally:
            for stream in self.streams[mark:]:
                stream.close()
            del self.streams[mark:]

    def _carry_out(self, effect: Effect) -> Any:
        if not isinstance(effect, _CLEANUP):
            if self.cancel is not None and self.cancel.is_set() and not self.told:
                self.told = True
                raise Cancelled
            if self.cancel is None:
                _signals.raise_if_terminated()
        try:
            return self._handle(effect)
        except httpx.TransportError as exc:
            if self.cancel is not None and self.cancel.is_set():
                raise Cancelled from exc
            raise connection_error(exc) from exc

    def _handle(self, effect: Effect) -> Any:
        if isinstance(effect, Read):
            assert isinstance(effect.stream, _SyncStream)
            self.reading = effect.stream
            try:
                return effect.stream.read()
            finally:
                self.reading = None
        if isinstance(effect, Call):
            module = _skew.endpoint_module(effect.endpoint)
            request = _skew.request_of(module, effect.args, dict(effect.kwargs))
            with declared_idempotent(effect.idempotent):
                response = self.http.request(**request)
            return parsed(_skew.build(module, self.session.api, response))
        if isinstance(effect, Open):
            stream = _SyncStream(self.http, effect)
            self.streams.append(stream)
            return stream
        if isinstance(effect, Close):
            assert isinstance(effect.stream, _SyncStream)
            effect.stream.close()
            return None
        if isinstance(effect, Sleep):
            if self.cancel is not None:
                self.cancel.wait(max(0.0, effect.seconds))
            else:
                sleep(max(0.0, effect.seconds))
            return None
        if isinstance(effect, Offload):
            return effect.fn()
        if isinstance(effect, Park):
            assert isinstance(effect.signal, threading.Event)
            return effect.signal.wait(effect.timeout)
        if isinstance(effect, GetSession):
            return self.session
        if isinstance(effect, Gather):
            return self._gather(effect)
        if isinstance(effect, Budgeted):
            with retry_budget(self.session.settings.max_retries):
                return self.drive(effect.flow)
        raise TypeError(f"not an effect: {effect!r}")

    def _gather(self, effect: Gather) -> list[Any]:
        cancel = threading.Event()
        runners = [_Runner(self.session, cancel) for _ in effect.flows]
        outcomes: list[Any] = [Cancelled() for _ in effect.flows]
        finished = threading.Semaphore(0)

        def work(index: int) -> None:
            try:
                outcomes[index] = runners[index].drive(effect.flows[index])
            except BaseException as exc:
                outcomes[index] = exc
            finally:
                finished.release()

        threads = []
        for index in range(len(effect.flows)):
            context = contextvars.copy_context()  # the call's retry budget follows
            thread = threading.Thread(
                target=context.run, args=(work, index), name="inductiva-gather", daemon=True
            )
            thread.start()
            threads.append(thread)
        left = len(threads)
        abandon_at: float | None = None  # once a sub-flow failed: when to stop waiting
        try:
            while left:
                if finished.acquire(timeout=0.1):
                    left -= 1
                    failed = any(
                        isinstance(o, BaseException) and not isinstance(o, Cancelled)
                        for o in outcomes
                    )
                    if failed and abandon_at is None:
                        self._stop(cancel, runners)
                        abandon_at = time.monotonic() + effect.grace
                elif abandon_at is not None and time.monotonic() >= abandon_at:
                    break  # still blocked (disk, a socket abort cannot wake): left behind
                elif self.cancel is not None and self.cancel.is_set():
                    raise Cancelled
                else:
                    _signals.raise_if_terminated()
        except BaseException:
            self._stop(cancel, runners)
            deadline = time.monotonic() + effect.grace
            while left and finished.acquire(timeout=max(0.0, deadline - time.monotonic())):
                left -= 1
            raise
        return outcomes

    @staticmethod
    def _stop(cancel: threading.Event, runners: list[_Runner]) -> None:
        cancel.set()
        for runner in runners:
            reading = runner.reading  # a stream handed down by the parent is woken too
            for stream in [*runner.streams, *([reading] if reading is not None else [])]:
                stream.abort()


def run(flow: Flow[T], session: Session, *, interruptible: bool = False) -> T:
    """Run ``flow`` to its end in this thread; its result, or the exception it ended with.

    ``interruptible``: SIGTERM
    is handled like Ctrl-C meanwhile (main thread, default handler only), so the
    flow's cleanup runs (a transfer keeps what it received, a blocking submission
    kills its task).
    """
    guard = _signals.sigterm_as_interrupt() if interruptible else contextlib.nullcontext()
    with guard:
        return _Runner(session).drive(flow)
