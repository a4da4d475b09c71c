"""The asyncio API against the mock server, both modes: concurrent waits share one pool."""

from __future__ import annotations

import asyncio
import pathlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from inductiva_mock.launcher import MockServer

import inductiva
from inductiva import _client, errors
from inductiva.simulators import Synthetic

pytestmark = pytest.mark.contract


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
    _client.reset()
    yield busy_server
    _client.reset()


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

    monkeypatch.setattr(_client.httpx, "AsyncClient", Counting)

    async def main() -> list[str]:
        return await asyncio.gather(*(t.wait_async(timeout=120) for t in tasks))

    assert asyncio.run(main()) == ["success"] * 200
    assert len(built) == 1


def test_get_async_status_and_kill_async(server: MockServer) -> None:
    """get_async lists tasks; get_status_async and kill_async work on them."""
    long_task = Synthetic().run(duration=60, run_async=True)

    async def main() -> tuple[list[inductiva.Task], str, str]:
        recent = await inductiva.tasks.get_async(last_n=3)
        status = await long_task.get_status_async()
        return recent, status, await long_task.kill_async()

    recent, status, killed = asyncio.run(main())
    assert recent[0] == long_task and status in {"submitted", "started"} and killed == "killed"
    with pytest.raises(errors.TaskFinishedError):
        asyncio.run(Synthetic().run(duration=0).kill_async())


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
        _client.reset()
        tasks = inductiva.tasks.get(last_n=300)
        assert len(tasks) == 300

        async def main() -> list[BaseException | str]:
            waits = (t.wait_async(timeout=6) for t in tasks)
            return await asyncio.gather(*waits, return_exceptions=True)

        outcomes = asyncio.run(main())
        _client.reset()
    kinds = {type(o).__name__ for o in outcomes}
    assert kinds == {"TaskTimeoutError"}, kinds
