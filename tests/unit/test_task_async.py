"""The asyncio twins on httpx.MockTransport: wait/status/kill/get_async share the sync logic."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from task_fakes import FakeApi, installed

import inductiva
from inductiva import _client, errors
from inductiva.task import Task

ID = "1691150776862178362"


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
    """The in-memory API behind the shared client."""
    yield from installed(monkeypatch)


def test_get_status_async(fake_api: FakeApi) -> None:
    """get_status_async() returns the status string."""
    fake_api.add(ID, "started")
    assert asyncio.run(Task(ID).get_status_async()) == "started"


def test_wait_async_long_polls(fake_api: FakeApi) -> None:
    """wait_async() follows the long-poll to the final status."""
    fake_api.add(ID, "submitted", then=("started", "success"))
    assert asyncio.run(Task(ID).wait_async()) == "success"
    polls = [r.url.params.get("last_status") for r in fake_api.requests]
    assert polls == [None, "submitted", "started"]


def test_wait_async_timeout(fake_api: FakeApi) -> None:
    """wait_async(timeout=...) raises TaskTimeoutError."""
    fake_api.add(ID, "started")
    with pytest.raises(errors.TaskTimeoutError):
        asyncio.run(Task(ID).wait_async(timeout=0.05))


def test_kill_async(fake_api: FakeApi) -> None:
    """kill_async() waits for killed; on a finished task it raises TaskFinishedError."""
    fake_api.kill_status = "pending-kill"
    fake_api.add(ID, "started", then=("killed",))
    fake_api.add("7", "failed")
    assert asyncio.run(Task(ID).kill_async()) == "killed"
    with pytest.raises(errors.TaskFinishedError, match="'failed'"):
        asyncio.run(Task("7").kill_async())


def test_kill_async_of_finished_task_answered_409(fake_api: FakeApi) -> None:
    """kill_async() also turns an older server's 409 into TaskFinishedError."""
    fake_api.kill_conflict = True
    fake_api.add("7", "success")
    with pytest.raises(errors.TaskFinishedError, match="'success'"):
        asyncio.run(Task("7").kill_async())


def test_get_async(fake_api: FakeApi) -> None:
    """tasks.get_async() returns the same tasks as get(), validated the same way."""
    for i in range(5):
        fake_api.add(str(100 + i), "success")
    tasks = asyncio.run(inductiva.tasks.get_async(3))
    assert [t.id for t in tasks] == ["104", "103", "102"] and tasks == inductiva.tasks.get(3)
    with pytest.raises(errors.InvalidArgumentError):
        asyncio.run(inductiva.tasks.get_async(3, status="nope"))


def test_concurrent_waits_share_one_async_client(
    fake_api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """200 concurrent wait_async() calls on one loop build one AsyncClient."""
    built: list[object] = []

    class Counting(httpx.AsyncClient):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            built.append(self)

    monkeypatch.setattr(_client.httpx, "AsyncClient", Counting)
    ids = [str(500 + i) for i in range(200)]
    for task_id in ids:
        fake_api.add(task_id, "submitted", then=("started", "success"))

    async def main() -> list[str]:
        return await asyncio.gather(*(Task(i).wait_async() for i in ids))

    assert asyncio.run(main()) == ["success"] * 200
    assert len(built) == 1
