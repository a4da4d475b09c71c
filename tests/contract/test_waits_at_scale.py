"""Many concurrent waits against the mock server, with and without our extensions: batched or
per task, one pool per client, more waiters than connections queue instead of timing out."""

from __future__ import annotations

import asyncio
import pathlib
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from inductiva_mock.launcher import MockServer

import inductiva
from inductiva import _http
from inductiva._http import _core
from inductiva.simulators import Synthetic

pytestmark = pytest.mark.contract
N = 40


@pytest.fixture
def waits_server(
    any_mock_server: MockServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MockServer]:
    """The client pointed at the session mock (default or legacy), counters zeroed."""
    monkeypatch.setattr(inductiva, "api_url", any_mock_server.url)
    monkeypatch.setattr(inductiva, "api_key", any_mock_server.api_keys[0])
    _http.reset()
    any_mock_server.reset_stats()
    yield any_mock_server
    _http.reset()


def _started(server: MockServer, n: int) -> list[str]:
    server.seed(n, status="started")
    headers = {"X-API-Key": server.api_keys[0]}
    rows = httpx.get(
        f"{server.url}/tasks", headers=headers, params={"per_page": n, "status": "started"}
    ).json()
    return [row["task_id"] for row in rows]


def _legacy(server: MockServer) -> bool:
    return bool(httpx.get(f"{server.url}/version").status_code == 404)


def test_async_waits_end_with_their_tasks(waits_server: MockServer) -> None:
    """40 wait_async() end 'killed' when their tasks are; batched unless the server is legacy."""
    ids = _started(waits_server, N)

    async def main() -> list[str]:
        async def end_soon() -> None:
            await asyncio.sleep(0.5)
            await asyncio.to_thread(waits_server.end_tasks, ids)

        results = await asyncio.gather(
            *(inductiva.Task(i).wait_async(timeout=60) for i in ids), end_soon()
        )
        return results[:-1]  # type: ignore[return-value]

    assert asyncio.run(main()) == ["killed"] * N
    routes = waits_server.stats()["requests_by_route"]
    if _legacy(waits_server):
        assert "POST /tasks/status" not in routes
    else:
        assert routes["POST /tasks/status"] <= 6
        assert routes.get("GET /tasks/{task_id}/status", 0) <= 2


def test_threaded_waits_end_with_their_tasks(waits_server: MockServer) -> None:
    """40 threads waiting on one client all see 'killed'; without the extension, per task."""
    ids = _started(waits_server, N)
    results: dict[str, str] = {}

    def run(task_id: str) -> None:
        results[task_id] = inductiva.Task(task_id).wait(timeout=60)

    threads = [threading.Thread(target=run, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    threading.Timer(0.5, waits_server.end_tasks, args=(ids,)).start()
    for t in threads:
        t.join()
    assert results == dict.fromkeys(ids, "killed")
    routes = waits_server.stats()["requests_by_route"]
    if _legacy(waits_server):
        assert "POST /tasks/status" not in routes
    else:
        assert routes["POST /tasks/status"] < N


@pytest.fixture(scope="module", params=["default", "legacy"])
def busy_server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[MockServer]:
    """A mock server that runs many synthetic tasks at once, in each mode."""
    server = MockServer(
        data_dir=tmp_path_factory.mktemp("async-mock"),
        api_keys=("async-key",),
        extra_args=["--max-concurrent", "32", "--kill-grace-seconds", "1"],
        legacy=request.param == "legacy",
    )
    server.start()
    yield server
    server.cleanup()


@pytest.fixture
def server(busy_server: MockServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockServer]:
    """The client pointed at the busy server."""
    monkeypatch.setattr(inductiva, "api_url", busy_server.url)
    monkeypatch.setattr(inductiva, "api_key", "async-key")
    _http.reset()
    yield busy_server
    _http.reset()


def test_wait_on_200_tasks_concurrently_with_one_pool(
    server: MockServer, monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    """200 wait_async() calls on one event loop all end in success through one AsyncClient."""
    tasks = [Synthetic().run(duration=0.2, run_async=True) for _ in range(200)]
    built: list[httpx.AsyncClient] = []

    class Counting(httpx.AsyncClient):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            built.append(self)

    monkeypatch.setattr(_core.httpx, "AsyncClient", Counting)

    async def main() -> list[str]:
        return await asyncio.gather(*(t.wait_async(timeout=120) for t in tasks))

    assert asyncio.run(main()) == ["success"] * 200
    assert len(built) == 1


def test_more_waiters_than_pool_connections_queue_instead_of_timing_out(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """300 concurrent waits (pool of 100) each end in TaskTimeoutError, never a pool timeout."""
    with MockServer(data_dir=tmp_path / "mock", api_keys=("queue-key",)) as srv:
        srv.seed(300, status="submitted", api_key="queue-key")  # never start: no process
        monkeypatch.setattr(inductiva, "api_url", srv.url)
        monkeypatch.setattr(inductiva, "api_key", "queue-key")
        monkeypatch.setattr(inductiva, "timeout", 2.0)  # long-polls of 1.5 s; waves of 100
        monkeypatch.setattr(inductiva, "max_retries", 0)  # a pool wait must not need a retry
        _http.reset()
        tasks = inductiva.tasks.get(last_n=300)
        assert len(tasks) == 300

        async def main() -> list[BaseException | str]:
            waits = (t.wait_async(timeout=6) for t in tasks)
            return await asyncio.gather(*waits, return_exceptions=True)

        outcomes = asyncio.run(main())
        _http.reset()
    kinds = {type(o).__name__ for o in outcomes}
    assert kinds == {"TaskTimeoutError"}, kinds
