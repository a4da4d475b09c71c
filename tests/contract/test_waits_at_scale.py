"""Many concurrent waits against the mock server, with and without our extensions."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import httpx
import pytest
from inductiva_mock.launcher import MockServer

import inductiva
from inductiva import _client

pytestmark = pytest.mark.contract
N = 40


@pytest.fixture
def waits_server(
    any_mock_server: MockServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MockServer]:
    """The client pointed at the session mock (default or legacy), counters zeroed."""
    monkeypatch.setattr(inductiva, "api_url", any_mock_server.url)
    monkeypatch.setattr(inductiva, "api_key", any_mock_server.api_keys[0])
    _client.reset()
    any_mock_server.reset_stats()
    yield any_mock_server
    _client.reset()


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
