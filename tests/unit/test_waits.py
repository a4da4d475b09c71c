"""inductiva._waits: many concurrent waits on one client, against httpx.MockTransport."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

import inductiva
from inductiva import _client, _waits

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


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(inductiva, "api_key", "k")
    monkeypatch.setattr(inductiva, "api_url", "http://fake.test")
    yield
    _client.set_transport()


def _install(server: Server) -> None:
    transport = httpx.MockTransport(server)
    _client.set_transport(transport, transport)


IDS = [str(1000 + i) for i in range(60)]


def test_async_waits_share_batched_requests(settings: None) -> None:
    """60 concurrent wait_async() on one client use a handful of batched requests."""
    server = Server(IDS, time.monotonic() + 0.5, batch=True, long_poll=True)
    _install(server)

    async def main() -> list[str]:
        return await asyncio.gather(*(inductiva.Task(i).wait_async(timeout=30) for i in IDS))

    assert asyncio.run(main()) == ["killed"] * len(IDS)
    assert not [p for p in server.paths if p.startswith("GET /tasks/")]
    assert 2 <= server.paths.count("POST /tasks/status") <= 4
    assert server.paths.count("GET /version") == 1


def test_threaded_waits_share_batched_requests(settings: None) -> None:
    """60 threads waiting on one client send far fewer requests than one per wait."""
    server = Server(IDS, time.monotonic() + 0.5, batch=True, long_poll=True)
    _install(server)
    results: dict[str, str] = {}

    def run(task_id: str) -> None:
        results[task_id] = inductiva.Task(task_id).wait(timeout=30)

    threads = [threading.Thread(target=run, args=(i,)) for i in IDS]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(results.values()) == {"killed"} and len(results) == len(IDS)
    assert server.paths.count("POST /tasks/status") < len(IDS)


def test_without_batch_status_each_wait_polls_its_task(settings: None) -> None:
    """A server without batch-status (404 on /version): each wait asks for its own task."""
    server = Server(IDS[:10], time.monotonic() + 0.3, batch=False, long_poll=True)
    _install(server)

    async def main() -> list[str]:
        return await asyncio.gather(*(inductiva.Task(i).wait_async(timeout=30) for i in IDS[:10]))

    assert asyncio.run(main()) == ["killed"] * 10
    assert "POST /tasks/status" not in server.paths
    assert server.paths.count("GET /version") == 1


def test_long_polls_never_take_more_than_their_share_of_the_pool(
    settings: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without batch-status, long-polls held at once stay within the budget; the rest poll."""
    monkeypatch.setattr(_waits, "LONG_POLL_SHARE", 0.05)  # 5 of 100 connections
    server = Server(IDS[:20], time.monotonic() + 1.0, batch=False, long_poll=True)
    _install(server)

    async def main() -> list[str]:
        return await asyncio.gather(*(inductiva.Task(i).wait_async(timeout=30) for i in IDS[:20]))

    assert asyncio.run(main()) == ["killed"] * 20
    assert 1 <= server.peak_held <= 5


def test_a_task_the_batch_leaves_out_is_waited_on_alone(settings: None) -> None:
    """An unknown task among batched waits raises NotFoundError; the others still finish."""
    server = Server(IDS[:5], time.monotonic() + 0.3, batch=True, long_poll=True)
    _install(server)

    async def main() -> list[object]:
        waits = [inductiva.Task(i).wait_async(timeout=30) for i in [*IDS[:5], "999"]]
        return await asyncio.gather(*waits, return_exceptions=True)

    results = asyncio.run(main())
    assert results[:5] == ["killed"] * 5
    assert isinstance(results[5], inductiva.errors.NotFoundError)


def test_batched_wait_times_out(settings: None) -> None:
    """A batched wait past its timeout raises TaskTimeoutError like a lone one."""
    server = Server(IDS[:3], time.monotonic() + 60, batch=True, long_poll=True)
    _install(server)

    async def main() -> list[object]:
        waits = [inductiva.Task(i).wait_async(timeout=0.5) for i in IDS[:3]]
        return await asyncio.gather(*waits, return_exceptions=True)

    results = asyncio.run(main())
    assert all(isinstance(r, inductiva.errors.TaskTimeoutError) for r in results)


def test_hubs_are_keyed_by_http_client() -> None:
    """Each httpx client has its own hub, gone with the client."""
    a, b = httpx.Client(), httpx.Client()
    assert _waits.hub_for(a) is _waits.hub_for(a) and _waits.hub_for(a) is not _waits.hub_for(b)
    a.close()
    b.close()


def test_pool_keeps_every_connection_alive() -> None:
    """The transport's pool keeps all 100 connections alive (none reopened per request)."""
    assert _client.LIMITS.max_connections == _client.LIMITS.max_keepalive_connections == 100
    assert _client.LIMITS.keepalive_expiry is not None and _client.LIMITS.keepalive_expiry > 5


def test_each_client_waits_through_its_own_hub_and_pool(settings: None) -> None:
    """Tasks bound to an inductiva.Client share that client's hub (one per client)."""
    server = Server(IDS[:20], time.monotonic() + 0.3, batch=True, long_poll=True)
    _install(server)
    first = inductiva.Client("key-one", "http://one.test")
    second = inductiva.Client("key-two", "http://two.test")
    results: dict[str, str] = {}

    def run(task_id: str, client: inductiva.Client) -> None:
        results[task_id] = inductiva.Task(task_id, client=client).wait(timeout=30)

    threads = [
        threading.Thread(target=run, args=(i, first if n % 2 else second))
        for n, i in enumerate(IDS[:20])
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == dict.fromkeys(IDS[:20], "killed")
    assert server.paths.count("GET /version") == 2  # one per client's hub
    http_one = first._core.sync_client().get_httpx_client()
    http_two = second._core.sync_client().get_httpx_client()
    assert _waits.hub_for(http_one) is not _waits.hub_for(http_two)
    first.close()
    second.close()


def test_every_client_pool_gets_the_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Client's own transport keeps every connection alive, like the default client's."""
    _client.set_transport()
    client = inductiva.Client("k", "http://fake.test")
    wrapped = client._core.sync_client().get_httpx_client()._transport._wrapped  # type: ignore[attr-defined]
    pool = wrapped._pool
    assert pool._max_connections == pool._max_keepalive_connections == 100
    assert pool._keepalive_expiry == _client.LIMITS.keepalive_expiry
    client.close()
