"""inductiva._waits: the decisions of a wait (Waiting, on a fake clock), long-poll negotiation on
simulated time, and many concurrent waits sharing one client's hub (httpx.MockTransport).

Every wait runs under both drivers where the test is about the flow (the ``run`` fixture).
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from task_fakes import FakeApi, Run, simulated_time

import inductiva
from inductiva import _waits, errors
from inductiva._waits import BACKOFF_CAP, Waiting

ID = "1691150776862178362"


# -- Waiting: the decisions, on a settable clock ----------------------------------------------


class Clock:
    """A settable clock for Waiting."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _started(
    clock: Clock, timeout: float | None = None, rand: Callable[[], float] = random.random
) -> Waiting:
    """A Waiting that already received its first status (a plain request), ``started``."""
    waiting = Waiting(ID, timeout, 30.0, clock=clock, rand=rand)
    first = waiting.next_request()
    assert first is not None and first["wait_seconds"] == 0.0
    assert waiting.answer("started") == 0.0
    return waiting


def _poll(waiting: Waiting, clock: Clock, took: float, status: str = "started") -> float:
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


def test_a_long_poll_is_never_held_longer_than_the_clients_timeout() -> None:
    """hold_cap (3/4 of the client's timeout) bounds wait_seconds below the poll interval."""
    clock = Clock()
    waiting = Waiting(ID, None, 30.0, hold_cap=7.5, clock=clock)
    waiting.next_request()
    waiting.answer("started")
    kwargs = waiting.next_request()
    assert kwargs is not None and kwargs["wait_seconds"] == 7.5


# -- long-poll negotiation, on simulated time -------------------------------------------------


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> FakeApi:
    """The in-memory API, on simulated time."""
    api = FakeApi()
    simulated_time(monkeypatch, api.clock)
    return api


@pytest.fixture
def client(fake_api: FakeApi) -> Iterator[inductiva.Client]:
    """A client whose requests (blocking and asyncio) reach the fake API."""
    with fake_api.client() as client:
        yield client


def _max_per_minute_after(times: list[float], start: float) -> int:
    """The most requests in any 60 s window beginning at or after ``start``."""
    late = [t for t in times if t >= start]
    return max((sum(1 for u in late if t <= u < t + 60.0) for t in late), default=0)


def test_legacy_wait_costs_at_most_12_requests_a_minute(
    fake_api: FakeApi, client: inductiva.Client, run: Run
) -> None:
    """Without long-poll: <= 12 requests a minute after 30 s, done within 5 s of completion."""
    fake_api.holds = False
    fake_api.add(ID, "submitted")
    t0 = fake_api.clock.now
    fake_api.at(ID, t0 + 60.0, "started")
    fake_api.at(ID, t0 + 600.0, "success")
    assert run(client.task(ID).wait) == "success"
    times = fake_api.request_times
    assert _max_per_minute_after(times, t0 + 30.0) <= 12
    assert len(times) <= 12 * 10 + 10
    assert fake_api.clock.now - (t0 + 600.0) <= BACKOFF_CAP


def test_legacy_wait_to_a_failure_backs_off_the_same_way(
    fake_api: FakeApi, client: inductiva.Client, run: Run
) -> None:
    """A started task failing after 300 s, without long-poll: <= 12 requests a minute too."""
    fake_api.holds = False
    fake_api.add(ID, "started")
    t0 = fake_api.clock.now
    fake_api.at(ID, t0 + 300.0, "failed")
    assert run(client.task(ID).wait) == "failed"
    assert _max_per_minute_after(fake_api.request_times, t0 + 30.0) <= 12


def test_long_poll_wait_returns_within_0_2s_of_completion(
    fake_api: FakeApi, client: inductiva.Client, run: Run
) -> None:
    """With a server that holds long-polls, wait() returns as soon as the status changes."""
    fake_api.add(ID, "started")
    t0 = fake_api.clock.now
    fake_api.at(ID, t0 + 100.0, "success")
    assert run(client.task(ID).wait) == "success"
    assert fake_api.clock.now - (t0 + 100.0) <= 0.2
    assert len(fake_api.requests) <= 1 + 100 // 30 + 1


# -- many waits through one client (real time, a threaded or asyncio fake server) ------------

FINAL = {"killed", "success", "failed"}


class Server:
    """Tasks that end at a given time; optionally the batch-status and long-poll extensions."""

    def __init__(self, ids: list[str], end_at: float, *, batch: bool, long_poll: bool) -> None:
        self.end_at = end_at
        self.ids = set(ids)
        self.batch = batch
        self.long_poll = long_poll
        self.lock = threading.Lock()
        self.paths: list[str] = []
        self.held = 0
        self.peak_held = 0

    def status(self, task_id: str) -> str:
        return "killed" if time.monotonic() >= self.end_at else "started"

    def _hold(self, seconds: float, changed: object) -> None:
        with self.lock:
            self.held += 1
            self.peak_held = max(self.peak_held, self.held)
        try:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline and not changed():  # type: ignore[operator]
                time.sleep(0.01)
        finally:
            with self.lock:
                self.held -= 1

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        with self.lock:
            self.paths.append(f"{request.method} {path}")
        if path == "/version":
            if not self.batch:
                return httpx.Response(404, json={"detail": "Not Found"})
            extensions = ["long-poll", "batch-status"]
            return httpx.Response(
                200, json={"version": "x", "api_version": "0.6.0", "extensions": extensions}
            )
        if request.method == "POST" and path == "/tasks/status":
            body = json.loads(request.read())
            known = {t["id"]: t.get("last_status") for t in body["tasks"]}
            ids = [i for i in known if i in self.ids]

            def changed() -> bool:
                return any(known[i] != self.status(i) for i in ids)

            if not changed():
                self._hold(float(body.get("wait_seconds", 0)), changed)
            tasks = [{"id": i, "status": self.status(i)} for i in ids]
            return httpx.Response(200, json={"tasks": tasks})
        task_id = path.split("/")[2]
        if task_id not in self.ids:
            return httpx.Response(404, json={"detail": f"Task {task_id} not found."})
        wait = float(request.url.params.get("wait_seconds", 0))
        last = request.url.params.get("last_status")
        if self.long_poll and wait > 0 and last == self.status(task_id):
            self._hold(wait, lambda: self.status(task_id) != last)
        return httpx.Response(200, json={"id": task_id, "status": self.status(task_id)})

    def client(self, api_key: str = "k", api_url: str = "http://fake.test") -> inductiva.Client:
        """A client whose requests (blocking and asyncio) reach this server."""
        transport = httpx.MockTransport(self)
        return inductiva.Client(api_key, api_url, transport=transport, async_transport=transport)


IDS = [str(1000 + i) for i in range(60)]


def test_async_waits_share_batched_requests() -> None:
    """60 concurrent wait_async() on one client use a handful of batched requests."""
    server = Server(IDS, time.monotonic() + 0.5, batch=True, long_poll=True)
    client = server.client()

    async def main() -> list[str]:
        return await asyncio.gather(*(client.task(i).wait_async(timeout=30) for i in IDS))

    assert asyncio.run(main()) == ["killed"] * len(IDS)
    assert not [p for p in server.paths if p.startswith("GET /tasks/")]
    assert 2 <= server.paths.count("POST /tasks/status") <= 4
    assert server.paths.count("GET /version") == 1


def test_threaded_waits_share_batched_requests() -> None:
    """60 threads waiting on one client send far fewer requests than one per wait."""
    server = Server(IDS, time.monotonic() + 0.5, batch=True, long_poll=True)
    client = server.client()
    results: dict[str, str] = {}

    def wait(task_id: str) -> None:
        results[task_id] = client.task(task_id).wait(timeout=30)

    threads = [threading.Thread(target=wait, args=(i,)) for i in IDS]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(results.values()) == {"killed"} and len(results) == len(IDS)
    assert server.paths.count("POST /tasks/status") < len(IDS)
    client.close()


def test_default_client_waits_share_batched_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Module-level Task(id).wait_async() (the default client) share one hub as well."""
    server = Server(IDS[:20], time.monotonic() + 0.5, batch=True, long_poll=True)
    monkeypatch.setattr(inductiva, "api_key", "k")
    monkeypatch.setattr(inductiva, "api_url", "http://fake.test")
    inductiva._http.set_transport(httpx.MockTransport(server), httpx.MockTransport(server))

    async def main() -> list[str]:
        return await asyncio.gather(*(inductiva.Task(i).wait_async(timeout=30) for i in IDS[:20]))

    assert asyncio.run(main()) == ["killed"] * 20
    assert server.paths.count("POST /tasks/status") < 20


def test_without_batch_status_each_wait_polls_its_task() -> None:
    """A server without batch-status (404 on /version): each wait asks for its own task."""
    server = Server(IDS[:10], time.monotonic() + 0.3, batch=False, long_poll=True)
    client = server.client()

    async def main() -> list[str]:
        return await asyncio.gather(*(client.task(i).wait_async(timeout=30) for i in IDS[:10]))

    assert asyncio.run(main()) == ["killed"] * 10
    assert "POST /tasks/status" not in server.paths
    assert server.paths.count("GET /version") == 1


def test_long_polls_never_take_more_than_their_share_of_the_pool(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without batch-status, long-polls held at once stay within the budget; the rest poll."""
    monkeypatch.setattr(_waits, "LONG_POLL_SHARE", 0.05)  # 5 of 100 connections
    server = Server(IDS[:20], time.monotonic() + 1.0, batch=False, long_poll=True)
    client = server.client()

    async def main() -> list[str]:
        return await asyncio.gather(*(client.task(i).wait_async(timeout=30) for i in IDS[:20]))

    assert asyncio.run(main()) == ["killed"] * 20
    assert 1 <= server.peak_held <= 5


def test_a_task_the_batch_leaves_out_is_waited_on_alone() -> None:
    """An unknown task among batched waits raises NotFoundError; the others still finish."""
    server = Server(IDS[:5], time.monotonic() + 0.3, batch=True, long_poll=True)
    client = server.client()

    async def main() -> list[object]:
        waits = [client.task(i).wait_async(timeout=30) for i in [*IDS[:5], "999"]]
        return await asyncio.gather(*waits, return_exceptions=True)

    results = asyncio.run(main())
    assert results[:5] == ["killed"] * 5
    assert isinstance(results[5], inductiva.errors.NotFoundError)


def test_batched_wait_times_out() -> None:
    """A batched wait past its timeout raises TaskTimeoutError like a lone one."""
    server = Server(IDS[:3], time.monotonic() + 60, batch=True, long_poll=True)
    client = server.client()

    async def main() -> list[object]:
        waits = [client.task(i).wait_async(timeout=0.5) for i in IDS[:3]]
        return await asyncio.gather(*waits, return_exceptions=True)

    results = asyncio.run(main())
    assert all(isinstance(r, inductiva.errors.TaskTimeoutError) for r in results)


def test_hubs_are_kept_per_connection_pool() -> None:
    """Each pool's state has its own hub, the same for every run, gone when the pool is closed."""
    server = Server(IDS[:1], time.monotonic(), batch=False, long_poll=False)
    one, other = server.client(), server.client()
    hub = _waits.hub_for(one._core.session().state)
    assert _waits.hub_for(one._core.session().state) is hub
    assert _waits.hub_for(other._core.session().state) is not hub
    one.close()
    assert _waits.hub_for(one._core.session().state) is not hub
    one.close()
    other.close()


def test_each_client_waits_through_its_own_hub_and_pool() -> None:
    """Tasks bound to an inductiva.Client share that client's hub (one per client)."""
    server = Server(IDS[:20], time.monotonic() + 0.3, batch=True, long_poll=True)
    first = server.client("key-one", "http://one.test")
    second = server.client("key-two", "http://two.test")
    results: dict[str, str] = {}

    def wait(task_id: str, client: inductiva.Client) -> None:
        results[task_id] = inductiva.Task(task_id, client=client).wait(timeout=30)

    threads = [
        threading.Thread(target=wait, args=(i, first if n % 2 else second))
        for n, i in enumerate(IDS[:20])
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == dict.fromkeys(IDS[:20], "killed")
    assert server.paths.count("GET /version") == 2  # one per client's hub
    hub_one = _waits.hub_for(first._core.session().state)
    hub_two = _waits.hub_for(second._core.session().state)
    assert hub_one is not hub_two and hub_one.peak_waits >= 2 and hub_two.peak_waits >= 2
    first.close()
    second.close()
