"""The asyncio API against the mock server: many concurrent waits on one connection pool."""

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


@pytest.fixture(scope="module")
def busy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    """A mock server that runs many synthetic tasks at once."""
    server = MockServer(
        data_dir=tmp_path_factory.mktemp("async-mock"),
        api_keys=("async-key",),
        extra_args=["--max-concurrent", "32", "--kill-grace-seconds", "1"],
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
