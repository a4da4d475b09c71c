"""Waiting on many tasks at once through one client: multiplexed, budgeted, keyed by client.

The wait is one flow (:func:`wait_flow`, see :mod:`inductiva._http._flow`), run
by ``Task.wait()`` and ``Task.wait_async()`` alike. A wait on its own is a chain
of long-polls of ``GET /tasks/{id}/status`` (extension ``long-poll``), or,
against a server that answers at once (the real API), polling with jittered
backoff up to one request every 5 s (see :class:`Waiting`).

Concurrent waits on the same connection pool (the ``httpx.Client`` of a client
for threads, its ``httpx.AsyncClient`` for a loop) share a :class:`_Hub`, kept
in that pool's state (never in module state), so any number of clients can
coexist and a hub goes away with its pool:

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

The pool itself (``inductiva._http._core``) keeps every one of its
:data:`POOL_CONNECTIONS` connections alive between requests, so nothing is
reopened per request.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypedDict

from inductiva_api import contract
from inductiva_api.types import UNSET, Unset

from ._capabilities import offers
from ._http._core import POOL_CONNECTIONS
from ._http._flow import Flow, Signal, call, call_idempotent, park, session, sleep
from ._task_info import is_terminal, known_status, status_text, validate_timeout
from ._validate import check_seconds
from .errors import TaskTimeoutError

__all__ = [
    "BACKOFF_CAP",
    "BACKOFF_START",
    "BATCH_EXTENSION",
    "BATCH_MAX",
    "BLOCKED_RECHECK",
    "DEFAULT_POLL",
    "HOLD_MAX",
    "LONG_POLL_SHARE",
    "MAX_BATCHES",
    "POOL_CONNECTIONS",
    "Waiting",
    "hub_for",
    "status_query",
    "wait_flow",
]

if TYPE_CHECKING:
    from inductiva_api.models import KnownTaskStatus, TaskStatusCode, TaskStatusesRequest

logger = logging.getLogger("inductiva")

DEFAULT_POLL = 30.0
"""Longest single long-poll request while waiting, in seconds."""
BACKOFF_START = 0.5
"""First interval between status requests once the server is seen not to hold long-polls."""
BACKOFF_CAP = 5.0
"""Longest interval between status requests without long-poll (at most 12 a minute)."""
BATCH_EXTENSION = contract.Extension.BATCH_STATUS
BATCH_MAX = int(contract.Schemas.TaskStatusesRequest.TASKS.max_items or 1000)
"""Most task ids in one ``POST /tasks/status`` (the contract's ``maxItems``)."""
HOLD_MAX = float(contract.GetTaskStatus.Query.WAIT_SECONDS.maximum or 60.0)
"""Longest a status request may ask to be held (the contract's ``wait_seconds`` maximum)."""
MAX_BATCHES = 8
"""Most multiplexed long-polls in flight per client."""
LONG_POLL_SHARE = 0.5
"""Share of the pool that per-task long-polls may hold at once (without ``batch-status``)."""
BLOCKED_RECHECK = 0.5
"""Seconds a waiter whose task no request carries waits for a free slot before a short request."""


class StatusQuery(TypedDict):
    """The arguments of one ``get_task_status`` request (checked against the endpoint by mypy)."""

    task_id: str
    wait_seconds: float
    last_status: TaskStatusCode | Unset


def status_query(task_id: str, seconds: float, last: str | None) -> StatusQuery:
    member = known_status(last) if last is not None else None
    return {"task_id": task_id, "wait_seconds": seconds, "last_status": member or UNSET}


class Waiting:
    """The decisions of a wait, of one task; no I/O here.

    ``hold_cap`` is the longest a request may be held (under the client's
    timeout). The caller asks :meth:`next_request` for the keyword arguments of the next
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
        hold_cap: float = 45.0,
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
        on_status: Callable[[str, str], None] | None = None,
    ) -> None:
        self._task_id = task_id
        self._on_status = on_status
        self._reported: str | None = None
        self._clock = clock
        self._rand = rand
        timeout = validate_timeout("timeout", timeout)
        self._deadline = None if timeout is None else clock() + timeout
        self._poll = float(check_seconds("poll", poll) or 0.0)
        self._hold_cap = hold_cap
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
        seconds = min(self._poll, HOLD_MAX, self._hold_cap)
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
            return status_query(self._task_id, 0.0, None)
        if is_terminal(self._status):
            return None
        self._wait_seconds = self._seconds(self._status)
        return status_query(self._task_id, self._wait_seconds, self._status)

    def _next_interval(self) -> float:
        """The next interval without long-poll: jittered doubling up to exactly the cap."""
        nominal = BACKOFF_START if self._backoff is None else self._backoff * 2.0
        if nominal >= BACKOFF_CAP:
            self._backoff = BACKOFF_CAP
            return BACKOFF_CAP
        self._backoff = nominal
        return nominal * (0.5 + 0.5 * self._rand())

    def seen(self, status: str) -> None:
        """Tell ``on_status`` (the caller's waiting indicator) of a status it was not told yet."""
        if self._on_status is not None and status != self._reported:
            self._reported = status
            self._on_status(self._task_id, status)

    def answer(self, status: str) -> float:
        """Record the status received; return the seconds to pause before the next request."""
        self.seen(status)
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


class _Watch:
    """One task some waits are waiting on."""

    __slots__ = ("in_flight", "missing", "refs", "status", "waiters")

    def __init__(self) -> None:
        self.status: str | None = None
        self.refs = 0
        self.in_flight = False
        self.missing = False
        self.waiters: set[Signal] = set()


class _Hub:
    """The waits of one HTTP client: who waits on what, what is in flight, the budgets."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watch: dict[str, _Watch] = {}
        self._batches = 0
        self._blocked: set[Signal] = set()
        self._long_polls = 0
        self.long_poll_budget = max(1, int(POOL_CONNECTIONS * LONG_POLL_SHARE))
        self.peak_waits = 0
        self.batches_sent = 0

    # -- registration --------------------------------------------------------
    def register(self, task_id: str, signal: Signal) -> None:
        with self._lock:
            watch = self._watch.setdefault(task_id, _Watch())
            watch.refs += 1
            watch.waiters.add(signal)
            self.peak_waits = max(self.peak_waits, self.waits())

    def unregister(self, task_id: str, signal: Signal) -> None:
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
        self, task_id: str, signal: Signal, *, force: bool
    ) -> tuple[list[KnownTaskStatus] | None, bool]:
        """The next batch to send (with ``task_id``), or None if one in flight carries it.

        None too when :data:`MAX_BATCHES` are in flight, unless ``force`` (a
        short, non-held request): the second value is then True (blocked), and
        the waiter is woken when one comes back.
        """
        from inductiva_api.models import KnownTaskStatus

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
        wake: set[Signal] = set()
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


_HUB = "waits.hub"
_hubs_lock = threading.Lock()


def hub_for(state: dict[str, Any]) -> _Hub:
    """The hub of a connection pool (kept in its state: gone with the pool)."""
    with _hubs_lock:
        hub: _Hub | None = state.get(_HUB)
        if hub is None:
            hub = state[_HUB] = _Hub()
        return hub


def _request(batch: list[KnownTaskStatus], hold: float) -> TaskStatusesRequest:
    from inductiva_api.models import TaskStatusesRequest

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


def _timed_out(waiting: Waiting, status: str | None) -> None:
    if status is not None:
        waiting.hold_seconds(status)  # raises TaskTimeoutError past the deadline
    elif (left := waiting.remaining()) is not None and left <= 0:
        raise TaskTimeoutError(
            f"Task {waiting.task_id} has no status yet after the wait timeout.",
            task_id=waiting.task_id,
            status="unknown",
        )


def _alone(hub: _Hub, waiting: Waiting) -> Flow[str]:
    """Wait with per-task status requests (long-polls within the pool's budget)."""
    from inductiva_api.api.tasks import get_task_status

    while (kwargs := waiting.next_request()) is not None:
        sent, held = _budgeted(kwargs, hub)
        try:
            answer = yield from call(get_task_status.sync_detailed, **sent)
        finally:
            if held:
                hub.give_long_poll()
        yield from sleep(waiting.answer(status_text(answer.status)))
    return waiting.status


def _multiplexed(hub: _Hub, waiting: Waiting, signal: Signal) -> Flow[str]:
    """Wait with the other waits of the pool, in shared ``POST /tasks/status`` requests."""
    from inductiva_api.api.tasks import get_task_statuses

    task_id = waiting.task_id
    while True:
        status, missing = hub.state(task_id)
        if status is not None:
            waiting.seen(status)
        if missing:
            return (yield from _alone(hub, waiting))
        if status is not None and is_terminal(status):
            waiting.answer(status)
            return status
        _timed_out(waiting, status)
        hold = 0.0 if status is None else waiting.hold_seconds(status)
        batch, blocked = hub.claim(task_id, signal, force=False)
        if batch is None:
            woken = yield from park(signal, _follow_limit(waiting, blocked))
            if woken or not blocked:
                continue
            batch, _ = hub.claim(task_id, signal, force=True)
            hold = 0.0
            if batch is None:
                continue
        answer = None
        try:
            # reading statuses is safe to repeat
            model = yield from call_idempotent(
                get_task_statuses.sync_detailed, body=_request(batch, hold)
            )
            answer = _statuses(model)
        finally:
            hub.deliver(batch, answer)


def wait_flow(
    task_id: str,
    timeout: float | None,
    poll: float = DEFAULT_POLL,
    on_status: Callable[[str, str], None] | None = None,
) -> Flow[str]:
    """Wait until the task finishes; its final status (TaskTimeoutError after ``timeout``).

    ``on_status(task_id, status)`` is called with each new status seen (a waiting
    indicator's update; see :mod:`inductiva._indicator`).
    """
    current = yield from session()
    waiting = Waiting(
        task_id,
        timeout,
        poll,
        hold_cap=current.settings.timeout * 0.75,
        clock=current.clock,
        on_status=on_status,
    )
    hub = hub_for(current.state)
    signal = current.new_signal()
    hub.register(task_id, signal)
    try:
        yield from sleep(0)  # let waits started together register before choosing
        if (known := hub.final(task_id)) is not None:
            waiting.answer(known)
            return known
        if not hub.crowded() or not (yield from offers(BATCH_EXTENSION)):
            return (yield from _alone(hub, waiting))
        return (yield from _multiplexed(hub, waiting, signal))
    finally:
        hub.unregister(task_id, signal)
