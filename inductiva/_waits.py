"""Waiting on many tasks at once through one client: multiplexed, budgeted, keyed by client.

A wait on its own behaves as it always did: a chain of long-polls of
``GET /tasks/{id}/status`` (extension ``long-poll``), or, against a server that
answers at once (the real API), polling with jittered backoff up to one request
every 5 s (see ``inductiva.task._Waiting``).

Concurrent waits on the same HTTP client (``httpx.Client`` for threads,
``httpx.AsyncClient`` for a loop) share a :class:`_Hub`, kept in a weak
dictionary keyed by that client object (never by module state), so any number
of clients can coexist and a hub goes away with its client:

* **Multiplexing** (extension ``batch-status``, when ``GET /version`` lists it):
  the waits' tasks travel together in ``POST /tasks/status`` requests of up to
  :data:`BATCH_MAX` ids, each held by the server until one of its tasks changes.
  There is no background thread or task: a waiter whose task is not in any
  request in flight sends the next one itself (taking every other pending task
  along), and the others sleep until a request carrying their task comes back.
  At most :data:`MAX_BATCHES` such requests are in flight per client; a waiter
  that finds them all taken re-checks every :data:`BLOCKED_RECHECK` seconds and
  then sends a short (non-held) request, so no wait is late by more than that.
  A task the answer leaves out (unknown, another key's, a status newer than this
  contract) is waited on alone, which raises what the server says about it.
* **Long-poll budget** (without ``batch-status``): at most :data:`LONG_POLL_SHARE`
  of the pool's connections are held by long-polls at once; a wait that finds the
  budget spent asks without holding (``wait_seconds=0``), which its backoff then
  spaces out like a server without long-poll (at most 12 requests a minute after
  the first 30 s). Long-polls therefore never starve other requests of connections.

The pool itself (``inductiva._client``) keeps every one of its
:data:`POOL_CONNECTIONS` connections alive between requests, so nothing is
reopened per request.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

import httpx
from inductiva_api import AuthenticatedClient
from inductiva_api.models import KnownTaskStatus, TaskStatusesRequest
from inductiva_api.types import UNSET

from . import _capabilities, _client
from ._retry import declared_idempotent
from ._task_info import is_terminal, known_status, status_text
from .errors import TaskTimeoutError

if TYPE_CHECKING:
    from .task import StatusQuery

__all__ = [
    "BATCH_EXTENSION",
    "BATCH_MAX",
    "BLOCKED_RECHECK",
    "LONG_POLL_SHARE",
    "MAX_BATCHES",
    "POOL_CONNECTIONS",
    "hub_for",
    "wait",
    "wait_async",
]

BATCH_EXTENSION = "batch-status"
POOL_CONNECTIONS = _client.POOL_CONNECTIONS
"""Connections per client, all kept alive (``httpx.Limits``)."""
BATCH_MAX = 1000
"""Most task ids in one ``POST /tasks/status`` (the contract's ``maxItems``)."""
MAX_BATCHES = 8
"""Most multiplexed long-polls in flight per client."""
LONG_POLL_SHARE = 0.5
"""Share of the pool that per-task long-polls may hold at once (without ``batch-status``)."""
BLOCKED_RECHECK = 0.5
"""Seconds a waiter whose task no request carries waits for a free slot before a short request."""

HttpClient = httpx.Client | httpx.AsyncClient


class Waiting(Protocol):
    """What the wait loop needs of ``inductiva.task._Waiting``."""

    @property
    def task_id(self) -> str: ...

    @property
    def status(self) -> str: ...

    def next_request(self) -> StatusQuery | None: ...

    def answer(self, status: str) -> float: ...

    def hold_seconds(self, status: str) -> float: ...

    def remaining(self) -> float | None: ...


class _Watch:
    """One task some waits are waiting on."""

    __slots__ = ("in_flight", "missing", "refs", "status", "waiters")

    def __init__(self) -> None:
        self.status: str | None = None
        self.refs = 0
        self.in_flight = False
        self.missing = False
        self.waiters: set[_Signal] = set()


class _Signal:
    """Wakes one waiter (a threading.Event or, on a loop, an asyncio.Event)."""

    __slots__ = ("event",)

    def __init__(self, event: threading.Event | asyncio.Event) -> None:
        self.event = event

    def set(self) -> None:
        self.event.set()

    def clear(self) -> None:
        self.event.clear()


class _Hub:
    """The waits of one HTTP client: who waits on what, what is in flight, the budgets."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watch: dict[str, _Watch] = {}
        self._batches = 0
        self._blocked: set[_Signal] = set()
        self._long_polls = 0
        self.long_poll_budget = max(1, int(POOL_CONNECTIONS * LONG_POLL_SHARE))
        self.peak_waits = 0
        self.batches_sent = 0
        self._batching: bool | None = None  # whether the server offers batch-status
        self._probe_lock = threading.Lock()
        self._aprobe_lock: asyncio.Lock | None = None

    def batching(self, api: AuthenticatedClient) -> bool:
        """Whether the server lists ``batch-status`` (asked once, by one thread)."""
        with self._probe_lock:
            if self._batching is None:
                self._batching = BATCH_EXTENSION in _capabilities.extensions_of(api)
            return self._batching

    async def abatching(self, api: AuthenticatedClient) -> bool:
        """The asyncio twin of :meth:`batching` (one request however many waits ask)."""
        if self._batching is None:
            if self._aprobe_lock is None:
                self._aprobe_lock = asyncio.Lock()
            async with self._aprobe_lock:
                if self._batching is None:
                    self._batching = BATCH_EXTENSION in await _capabilities.aextensions_of(api)
        return self._batching

    # -- registration --------------------------------------------------------
    def register(self, task_id: str, signal: _Signal) -> None:
        with self._lock:
            watch = self._watch.setdefault(task_id, _Watch())
            watch.refs += 1
            watch.waiters.add(signal)
            self.peak_waits = max(self.peak_waits, self.waits())

    def unregister(self, task_id: str, signal: _Signal) -> None:
        with self._lock:
            self._blocked.discard(signal)
            watch = self._watch.get(task_id)
            if watch is None:
                return
            watch.refs -= 1
            watch.waiters.discard(signal)
            if watch.refs <= 0 and not watch.in_flight:
                del self._watch[task_id]

    def waits(self) -> int:
        """Tasks currently waited on (call with the lock held, or for a rough figure)."""
        return sum(1 for w in self._watch.values() if w.refs > 0)

    def final(self, task_id: str) -> str | None:
        """The final status a batch already brought for ``task_id``, if any."""
        with self._lock:
            status = self._watch[task_id].status
            return status if status is not None and is_terminal(status) else None

    def crowded(self) -> bool:
        """Whether more than one task is being waited on through this client."""
        with self._lock:
            return self.waits() > 1

    # -- the multiplexed path ------------------------------------------------
    def state(self, task_id: str) -> tuple[str | None, bool]:
        """The last status seen of ``task_id`` and whether the server left it out."""
        with self._lock:
            watch = self._watch[task_id]
            return watch.status, watch.missing

    def claim(
        self, task_id: str, signal: _Signal, *, force: bool
    ) -> tuple[list[KnownTaskStatus] | None, bool]:
        """The next batch to send (with ``task_id``), or None if one in flight carries it.

        None too when :data:`MAX_BATCHES` are in flight, unless ``force`` (a
        short, non-held request): the second value is then True (blocked), and
        the waiter is woken when one comes back.
        """
        with self._lock:
            signal.clear()
            watch = self._watch[task_id]
            if watch.in_flight:
                return None, False
            if self._batches >= MAX_BATCHES and not force:
                self._blocked.add(signal)
                return None, True
            ids = [task_id]
            for other, w in self._watch.items():
                if len(ids) >= BATCH_MAX:
                    break
                waiting = other != task_id and w.refs > 0 and not (w.in_flight or w.missing)
                if waiting and (w.status is None or not is_terminal(w.status)):
                    ids.append(other)
            batch = []
            for tid in ids:
                w = self._watch[tid]
                w.in_flight = True
                member = known_status(w.status) if w.status is not None else None
                if w.status is not None and member is None:
                    w.missing = True  # a status newer than the contract: waited on alone
                    w.in_flight = False
                    continue
                batch.append(KnownTaskStatus(id=tid, last_status=member or UNSET))
            self._batches += 1
            self.batches_sent += 1
            return batch, False

    def deliver(self, batch: list[KnownTaskStatus], statuses: dict[str, str] | None) -> None:
        """Record a batch's answer (None: it failed) and wake whoever it concerns."""
        wake: set[_Signal] = set()
        with self._lock:
            self._batches -= 1
            wake |= self._blocked
            self._blocked.clear()
            for item in batch:
                watch = self._watch.get(item.id)
                if watch is None:
                    continue
                watch.in_flight = False
                if statuses is not None:
                    if item.id in statuses:
                        watch.status = statuses[item.id]
                    else:
                        watch.missing = True
                wake |= watch.waiters
                if watch.refs <= 0:
                    del self._watch[item.id]
        for signal in wake:
            signal.set()

    # -- the long-poll budget ------------------------------------------------
    def take_long_poll(self) -> bool:
        with self._lock:
            if self._long_polls >= self.long_poll_budget:
                return False
            self._long_polls += 1
            return True

    def give_long_poll(self) -> None:
        with self._lock:
            self._long_polls -= 1


_hubs: weakref.WeakKeyDictionary[HttpClient, _Hub] = weakref.WeakKeyDictionary()
_hubs_lock = threading.Lock()


def hub_for(client: HttpClient) -> _Hub:
    """The hub of an HTTP client (created on first use, gone with the client)."""
    with _hubs_lock:
        hub = _hubs.get(client)
        if hub is None:
            hub = _hubs[client] = _Hub()
        return hub


def _request(batch: list[KnownTaskStatus], hold: float) -> TaskStatusesRequest:
    return TaskStatusesRequest(tasks=batch, wait_seconds=round(max(0.0, hold), 3))


def _statuses(model: object) -> dict[str, str]:
    tasks = getattr(model, "tasks", [])
    return {str(t.id): status_text(t.status) for t in tasks}


def _budgeted(kwargs: StatusQuery, hub: _Hub) -> tuple[StatusQuery, bool]:
    """The request to send: held only if a long-poll slot is free (then True: give it back)."""
    held = kwargs["wait_seconds"] > 0
    if not held or hub.take_long_poll():
        return kwargs, held
    sent = kwargs.copy()
    sent["wait_seconds"] = 0.0
    return sent, False


def _follow_limit(waiting: Waiting, blocked: bool) -> float | None:
    """How long a waiter sleeps before looking again (None: until woken)."""
    left = waiting.remaining()
    limit = BLOCKED_RECHECK if blocked else None
    if left is None:
        return limit
    return max(0.0, left if limit is None else min(limit, left))


# -- threads -------------------------------------------------------------------
def _alone(
    api: AuthenticatedClient, hub: _Hub, waiting: Waiting, sleep: Callable[[float], None]
) -> str:
    from inductiva_api.api.tasks import get_task_status

    while (kwargs := waiting.next_request()) is not None:
        sent, held = _budgeted(kwargs, hub)
        try:
            status = _client.call_with(api, get_task_status.sync_detailed, **sent).status
        finally:
            if held:
                hub.give_long_poll()
        sleep(waiting.answer(status_text(status)))
    return waiting.status


def _timed_out(waiting: Waiting, status: str | None) -> None:
    if status is not None:
        waiting.hold_seconds(status)  # raises TaskTimeoutError past the deadline
    elif (left := waiting.remaining()) is not None and left <= 0:
        raise TaskTimeoutError(
            f"Task {waiting.task_id} has no status yet after the wait timeout.",
            task_id=waiting.task_id,
            status="unknown",
        )


def wait(
    api: AuthenticatedClient, waiting: Waiting, sleep: Callable[[float], None] = time.sleep
) -> str:
    """Block until the task of ``waiting`` finishes; its final status."""
    from inductiva_api.api.tasks import get_task_statuses

    hub = hub_for(api.get_httpx_client())
    threading_event = threading.Event()
    signal = _Signal(threading_event)
    task_id = waiting.task_id
    hub.register(task_id, signal)
    try:
        if (known := hub.final(task_id)) is not None:
            waiting.answer(known)
            return known
        if not hub.crowded() or not hub.batching(api):
            return _alone(api, hub, waiting, sleep)
        while True:
            status, missing = hub.state(task_id)
            if missing:
                return _alone(api, hub, waiting, sleep)
            if status is not None and is_terminal(status):
                waiting.answer(status)
                return status
            _timed_out(waiting, status)
            hold = 0.0 if status is None else waiting.hold_seconds(status)
            batch, blocked = hub.claim(task_id, signal, force=False)
            if batch is None:
                woken = threading_event.wait(_follow_limit(waiting, blocked))
                if woken or not blocked:
                    continue
                batch, _ = hub.claim(task_id, signal, force=True)
                hold = 0.0
                if batch is None:
                    continue
            answer = None
            try:
                with declared_idempotent():  # reading statuses is safe to repeat
                    answer = _statuses(
                        _client.call_with(
                            api, get_task_statuses.sync_detailed, body=_request(batch, hold)
                        )
                    )
            finally:
                hub.deliver(batch, answer)
    finally:
        hub.unregister(task_id, signal)


# -- asyncio -------------------------------------------------------------------
async def _alone_async(
    api: AuthenticatedClient,
    hub: _Hub,
    waiting: Waiting,
    sleep: Callable[[float], Awaitable[None]],
) -> str:
    from inductiva_api.api.tasks import get_task_status

    while (kwargs := waiting.next_request()) is not None:
        sent, held = _budgeted(kwargs, hub)
        try:
            info = await _client.acall_with(api, get_task_status.asyncio_detailed, **sent)
        finally:
            if held:
                hub.give_long_poll()
        await sleep(waiting.answer(status_text(info.status)))
    return waiting.status


async def wait_async(
    api: AuthenticatedClient,
    waiting: Waiting,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> str:
    """The asyncio twin of :func:`wait` (``api`` is the loop's client)."""
    from inductiva_api.api.tasks import get_task_statuses

    hub = hub_for(api.get_async_httpx_client())
    event = asyncio.Event()
    signal = _Signal(event)
    task_id = waiting.task_id
    hub.register(task_id, signal)
    try:
        await asyncio.sleep(0)  # let waits started together register before choosing
        if (known := hub.final(task_id)) is not None:
            waiting.answer(known)
            return known
        if not hub.crowded() or not await hub.abatching(api):
            return await _alone_async(api, hub, waiting, sleep)
        while True:
            status, missing = hub.state(task_id)
            if missing:
                return await _alone_async(api, hub, waiting, sleep)
            if status is not None and is_terminal(status):
                waiting.answer(status)
                return status
            _timed_out(waiting, status)
            hold = 0.0 if status is None else waiting.hold_seconds(status)
            batch, blocked = hub.claim(task_id, signal, force=False)
            if batch is None:
                try:
                    await asyncio.wait_for(event.wait(), _follow_limit(waiting, blocked))
                    continue
                except TimeoutError:
                    if not blocked:
                        continue
                batch, _ = hub.claim(task_id, signal, force=True)
                hold = 0.0
                if batch is None:
                    continue
            answer = None
            try:
                with declared_idempotent():
                    model = await _client.acall_with(
                        api, get_task_statuses.asyncio_detailed, body=_request(batch, hold)
                    )
                answer = _statuses(model)
            finally:
                hub.deliver(batch, answer)
    finally:
        hub.unregister(task_id, signal)
