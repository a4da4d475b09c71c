"""Waiting negotiates long-poll: pure _Waiting decisions on a fake clock, request counts on
httpx.MockTransport with simulated time (a server that holds long-polls, and one that does not).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterator

import pytest
from task_fakes import FakeApi, installed

from inductiva import errors
from inductiva.task import BACKOFF_CAP, Task, _Waiting

ID = "1691150776862178362"


class Clock:
    """A settable clock for _Waiting."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _default_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INDUCTIVA_TIMEOUT", raising=False)


def _started(
    clock: Clock, timeout: float | None = None, rand: Callable[[], float] = random.random
) -> _Waiting:
    """A _Waiting that already received its first status (a plain request), ``started``."""
    waiting = _Waiting(ID, timeout, 30.0, clock=clock, rand=rand)
    first = waiting.next_request()
    assert first is not None and first["wait_seconds"] == 0.0
    assert waiting.answer("started") == 0.0
    return waiting


def _poll(waiting: _Waiting, clock: Clock, took: float, status: str = "started") -> float:
    """One long-poll that takes ``took`` seconds and answers ``status``; returns the pause."""
    kwargs = waiting.next_request()
    assert kwargs is not None and kwargs["wait_seconds"] > 0
    clock.now += took
    pause = waiting.answer(status)
    clock.now += pause
    return pause


def test_held_long_polls_are_followed_at_once() -> None:
    """A server that holds the long-poll (until timeout or change) is asked again without pause."""
    clock = Clock()
    waiting = _started(clock)
    assert _poll(waiting, clock, 30.0) == 0.0  # held the whole time, unchanged
    assert _poll(waiting, clock, 3.0, "success") == 0.0  # answered on the change
    assert waiting.holds and waiting.next_request() is None and waiting.status == "success"


def test_early_unchanged_answer_starts_a_jittered_backoff_capped_at_5s() -> None:
    """Long-polls answered at once, unchanged: start-to-start intervals grow with jitter to 5 s."""
    for rand in (lambda: 0.0, lambda: 1.0, random.Random(7).random):
        clock = Clock()
        waiting = _started(clock, rand=rand)
        intervals = []
        for _ in range(12):
            start = clock.now
            _poll(waiting, clock, 0.01)
            intervals.append(clock.now - start)
        assert not waiting.holds
        nominal = [0.5, 1.0, 2.0, 4.0]
        for got, base in zip(intervals, nominal, strict=False):
            assert base / 2 <= got <= base
        assert intervals[4:] == pytest.approx([BACKOFF_CAP] * 8)


def test_status_change_without_long_poll_keeps_the_interval() -> None:
    """A change seen while backing off does not restart a burst of quick requests."""
    clock = Clock()
    waiting = _started(clock, rand=lambda: 1.0)
    for _ in range(6):
        _poll(waiting, clock, 0.01)
    start = clock.now
    _poll(waiting, clock, 0.01, "pending-kill")
    assert clock.now - start == BACKOFF_CAP


def test_final_status_is_returned_without_a_pause_while_backing_off() -> None:
    """Once the status is final, no backoff pause delays the return."""
    clock = Clock()
    waiting = _started(clock, rand=lambda: 1.0)
    for _ in range(6):
        _poll(waiting, clock, 0.01)
    assert _poll(waiting, clock, 0.01, "success") == 0.0
    assert waiting.next_request() is None


def test_a_held_long_poll_switches_back_from_backoff() -> None:
    """If the server holds a long-poll again, requests follow each other at once again."""
    clock = Clock()
    waiting = _started(clock)
    assert _poll(waiting, clock, 0.01) > 0 and not waiting.holds
    assert _poll(waiting, clock, 30.0) == 0.0 and waiting.holds


def test_backoff_pause_never_passes_the_deadline() -> None:
    """The pause is cut at the wait timeout, and the next request raises TaskTimeoutError."""
    clock = Clock()
    waiting = _started(clock, timeout=3.0, rand=lambda: 1.0)
    with pytest.raises(errors.TaskTimeoutError, match="still 'started'"):
        for _ in range(20):
            _poll(waiting, clock, 0.01)
    assert clock.now == pytest.approx(3.0)


def test_long_poll_never_asks_to_hold_past_the_deadline() -> None:
    """wait_seconds is at most the time left before the wait timeout."""
    clock = Clock()
    waiting = _started(clock, timeout=10.0)
    clock.now = 8.0
    kwargs = waiting.next_request()
    assert kwargs is not None and kwargs["wait_seconds"] == pytest.approx(2.0)
    assert kwargs["last_status"] == "started"


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
    """The in-memory API behind the shared client, on simulated time."""
    yield from installed(monkeypatch)


def _max_per_minute_after(times: list[float], start: float) -> int:
    """The most requests in any 60 s window beginning at or after ``start``."""
    late = [t for t in times if t >= start]
    return max((sum(1 for u in late if t <= u < t + 60.0) for t in late), default=0)


def test_legacy_wait_costs_at_most_12_requests_a_minute(fake_api: FakeApi) -> None:
    """Without long-poll: <= 12 requests a minute after 30 s, done within 5 s of completion."""
    fake_api.holds = False
    fake_api.add(ID, "submitted")
    t0 = fake_api.clock.now
    fake_api.at(ID, t0 + 60.0, "started")
    fake_api.at(ID, t0 + 600.0, "success")
    assert Task(ID).wait() == "success"
    times = fake_api.request_times
    assert _max_per_minute_after(times, t0 + 30.0) <= 12
    assert len(times) <= 12 * 10 + 10
    assert fake_api.clock.now - (t0 + 600.0) <= BACKOFF_CAP


def test_legacy_wait_async_costs_at_most_12_requests_a_minute(fake_api: FakeApi) -> None:
    """wait_async() backs off the same way against a server without long-poll."""
    fake_api.holds = False
    fake_api.add(ID, "started")
    t0 = fake_api.clock.now
    fake_api.at(ID, t0 + 300.0, "failed")
    assert asyncio.run(Task(ID).wait_async()) == "failed"
    assert _max_per_minute_after(fake_api.request_times, t0 + 30.0) <= 12


def test_long_poll_wait_returns_within_0_2s_of_completion(fake_api: FakeApi) -> None:
    """With a server that holds long-polls, wait() returns as soon as the status changes."""
    fake_api.add(ID, "started")
    t0 = fake_api.clock.now
    fake_api.at(ID, t0 + 100.0, "success")
    assert Task(ID).wait() == "success"
    assert fake_api.clock.now - (t0 + 100.0) <= 0.2
    assert len(fake_api.requests) <= 1 + 100 // 30 + 1
