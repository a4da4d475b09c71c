"""inductiva.tasks.get / list (and their _async twins) on httpx.MockTransport: paging,
filtering, validation, the table, and the client the tasks keep.

Every test of a listing runs under both drivers (the ``run`` fixture).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from task_fakes import FakeApi, Run, installed

import inductiva
from inductiva import _http, errors


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
    """The in-memory API behind the default client (the module-level API)."""
    yield from installed(monkeypatch)


def _fill(api: FakeApi, count: int, status: str = "success") -> list[str]:
    ids = [str(1691000000000000000 + i) for i in range(count)]
    for task_id in ids:
        api.add(task_id, status, method_name="fvm.openfoam.run_simulation")
    return ids[::-1]  # newest first


def test_get_returns_newest_first_in_one_request(fake_api: FakeApi, run: Run) -> None:
    """get(last_n) returns Task objects, newest first, from a single page request."""
    ids = _fill(fake_api, 30)
    tasks = run(inductiva.tasks.get, last_n=10)
    assert [t.id for t in tasks] == ids[:10]
    assert all(isinstance(t, inductiva.Task) for t in tasks)
    assert fake_api.paths() == ["GET /tasks"]
    assert fake_api.requests[0].url.params["per_page"] == "10"


def test_get_pages_by_at_most_1000(fake_api: FakeApi, run: Run) -> None:
    """More than 1000 tasks are fetched 1000 per request."""
    ids = _fill(fake_api, 2300)
    tasks = run(inductiva.tasks.get, last_n=2100)
    assert [t.id for t in tasks] == ids[:2100]
    pages = [(r.url.params["page"], r.url.params["per_page"]) for r in fake_api.requests]
    assert pages == [("1", "1000"), ("2", "1000"), ("3", "1000")]


def test_get_stops_when_history_is_shorter(fake_api: FakeApi, run: Run) -> None:
    """Asking for more tasks than exist returns them all after one request."""
    _fill(fake_api, 3)
    assert len(run(inductiva.tasks.get, last_n=50)) == 3
    assert len(fake_api.requests) == 1


def test_get_filters_by_status(fake_api: FakeApi, run: Run) -> None:
    """status= is sent to the API and only matching tasks come back."""
    _fill(fake_api, 3, "success")
    fake_api.add("5", "submitted")
    tasks = run(inductiva.tasks.get, last_n=5, status="submitted")
    assert [t.id for t in tasks] == ["5"]
    assert fake_api.requests[0].url.params["status"] == "submitted"


@pytest.mark.parametrize("status", ["done", "SUCCESS", "", 3])
def test_get_rejects_unknown_status(status: object, run: Run) -> None:
    """An invalid status is an InvalidArgumentError (a ValueError) naming allowed values."""
    with pytest.raises(errors.InvalidArgumentError, match="pending-input, submitted") as info:
        run(inductiva.tasks.get, last_n=5, status=status)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("last_n", [0, -1, 2.5, "10", True, None])
def test_get_rejects_bad_last_n(last_n: object, run: Run) -> None:
    """last_n must be a positive int."""
    with pytest.raises(errors.InvalidArgumentError, match="positive integer"):
        run(inductiva.tasks.get, last_n=last_n)  # type: ignore[arg-type]


def test_tasks_carry_their_info(fake_api: FakeApi, run: Run) -> None:
    """Tasks from get() already hold their information (no request to read it)."""
    _fill(fake_api, 2)
    tasks = run(inductiva.tasks.get, last_n=2)
    assert all(t.info is not None and t.info.simulator == "openfoam" for t in tasks)
    assert run(tasks[0].get_machine_type) is None  # finished task: served from the cache
    assert len(fake_api.requests) == 1


def test_list_prints_the_table_with_one_request(
    fake_api: FakeApi, capsys: pytest.CaptureFixture[str], run: Run
) -> None:
    """list() prints a header and one row per task, from a single request."""
    ids = _fill(fake_api, 5)
    assert run(inductiva.tasks.list, 5, status="success") is None
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "ID",
        "Simulator",
        "Status",
        "Submitted",
        "Started",
        "Duration",
        "VM",
        "Type",
    ]
    assert [line.split()[0] for line in lines[1:]] == ids
    assert all(line.split()[1:3] == ["openfoam", "success"] for line in lines[1:])
    assert len(fake_api.requests) == 1


def test_list_with_no_tasks_prints_header_only(
    fake_api: FakeApi, capsys: pytest.CaptureFixture[str], run: Run
) -> None:
    """An empty history prints only the header."""
    run(inductiva.tasks.list, 5)
    assert len(capsys.readouterr().out.splitlines()) == 1


def test_listing_stops_at_a_short_page_with_one_request_per_page(
    fake_api: FakeApi, run: Run
) -> None:
    """Pages of the plain array are fetched one request each until a page is short."""
    ids = _fill(fake_api, 1500)
    tasks = run(inductiva.tasks.get, last_n=5000)
    assert [t.id for t in tasks] == ids
    pages = [(r.url.params["page"], r.url.params["per_page"]) for r in fake_api.requests]
    assert pages == [("1", "1000"), ("2", "1000")]


def test_listing_ends_with_an_empty_page_when_history_fills_whole_pages(
    fake_api: FakeApi, run: Run
) -> None:
    """Two full pages of history need a third (empty) page to know the history ended."""
    ids = _fill(fake_api, 2000)
    assert [t.id for t in run(inductiva.tasks.get, last_n=3000)] == ids
    assert [r.url.params["page"] for r in fake_api.requests] == ["1", "2", "3"]


def test_tasks_seen_on_two_pages_are_kept_once(fake_api: FakeApi, run: Run) -> None:
    """A task pushed onto the next page by a new submission is listed once."""
    ids = _fill(fake_api, 1001)
    original = fake_api._list

    def shifting(request: httpx.Request) -> httpx.Response:
        if request.url.params["page"] == "2":  # a new task arrived between the page requests
            fake_api.add("1692000000000000000", "success")
        return original(request)

    fake_api._list = shifting  # type: ignore[method-assign]
    tasks = run(inductiva.tasks.get, last_n=1001)
    assert [t.id for t in tasks] == ids
    assert len(fake_api.requests) == 2


def test_get_async_returns_the_same_tasks_as_get(fake_api: FakeApi) -> None:
    """tasks.get_async() returns the tasks get() returns, validated the same way."""
    import asyncio

    for i in range(5):
        fake_api.add(str(100 + i), "success")
    tasks = asyncio.run(inductiva.tasks.get_async(3))
    assert [t.id for t in tasks] == ["104", "103", "102"] and tasks == inductiva.tasks.get(3)
    with pytest.raises(errors.InvalidArgumentError):
        asyncio.run(inductiva.tasks.get_async(3, status="nope"))  # type: ignore[arg-type]


def test_tasks_of_a_client_keep_using_it(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tasks from client.tasks.get() send their requests through that client, not the default."""
    api = FakeApi()
    api.add("7", "started")
    refused: list[httpx.Request] = []
    _http.set_transport(httpx.MockTransport(lambda r: refused.append(r) or httpx.Response(500)))
    monkeypatch.setattr(inductiva, "api_key", "default-key")
    with api.client() as client:
        [task] = run(client.tasks.get, last_n=1)
        assert run(task.get_status) == "started" and run(task.get_info).status == "started"
    assert refused == [] and api.paths() == ["GET /tasks", "GET /tasks/7/status", "GET /tasks/7"]
    assert {r.headers["X-API-Key"] for r in api.requests} == {"unit-key"}


def test_client_list_prints_its_tasks(capsys: pytest.CaptureFixture[str], run: Run) -> None:
    """client.tasks.list() prints the table of that client's tasks."""
    api = FakeApi()
    api.add("7", "success", method_name="fvm.openfoam.run_simulation")
    with api.client() as client:
        run(client.tasks.list, 5)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[1].split()[:3] == ["7", "openfoam", "success"]


def _collect(driver: str, **kwargs: object) -> list[inductiva.Task]:
    """Every task tasks.iter (driver sync) or tasks.iter_async (async) yields."""
    if driver == "sync":
        return list(inductiva.tasks.iter(**kwargs))  # type: ignore[arg-type]

    async def collect() -> list[inductiva.Task]:
        return [t async for t in inductiva.tasks.iter_async(**kwargs)]  # type: ignore[arg-type]

    return asyncio.run(collect())


def test_iter_yields_every_task_newest_first_page_by_page(fake_api: FakeApi, driver: str) -> None:
    """iter() yields every task, newest first, one request per page until a short page."""
    ids = _fill(fake_api, 25)
    tasks = _collect(driver, page_size=10)
    assert [t.id for t in tasks] == ids
    pages = [(r.url.params["page"], r.url.params["per_page"]) for r in fake_api.requests]
    assert pages == [("1", "10"), ("2", "10"), ("3", "10")]


def test_iter_is_lazy(fake_api: FakeApi) -> None:
    """No request before the first task is asked for; the next page only when one is used up."""
    _fill(fake_api, 25)
    tasks = inductiva.tasks.iter(page_size=10)
    assert fake_api.requests == []
    first = [next(tasks) for _ in range(10)]
    assert len(first) == 10 and len(fake_api.requests) == 1
    next(tasks)
    assert len(fake_api.requests) == 2


def test_async_iter_is_lazy(fake_api: FakeApi) -> None:
    """iter_async() fetches its next page only when the previous one is used up."""
    _fill(fake_api, 25)

    async def take(count: int) -> int:
        found = 0
        async for _ in inductiva.tasks.iter_async(page_size=10):
            found += 1
            if found == count:
                break
        return len(fake_api.requests)

    assert asyncio.run(take(10)) == 1


def test_iter_filters_by_status_and_keeps_the_client(fake_api: FakeApi, driver: str) -> None:
    """status= is sent with each page, and the tasks keep the client they came through."""
    for number in range(5):
        fake_api.add(str(1692000000000000000 + number), "failed" if number % 2 else "success")
    with fake_api.client() as client:
        if driver == "sync":
            tasks = list(client.tasks.iter("failed"))
        else:

            async def collect() -> list[inductiva.Task]:
                return [t async for t in client.tasks.iter_async("failed")]

            tasks = asyncio.run(collect())
    assert len(tasks) == 2 and all(t.info and t.info.status == "failed" for t in tasks)
    assert all(r.url.params["status"] == "failed" for r in fake_api.requests)
    assert all(t._core is client._core for t in tasks)


@pytest.mark.parametrize("bad", [0, -1, 1001, 2.5, "10", True])
def test_iter_checks_page_size_before_any_request(fake_api: FakeApi, bad: object) -> None:
    """A page_size outside 1..1000 is refused before any request, naming the range."""
    with pytest.raises(errors.InvalidArgumentError, match="page_size must be a whole number"):
        inductiva.tasks.iter(page_size=bad)  # type: ignore[arg-type]
    assert fake_api.requests == []
