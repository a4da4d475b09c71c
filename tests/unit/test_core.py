"""inductiva._http._core: a client's pools (one httpx.Client, one AsyncClient per loop), the
default client's settings resolved at every call, and nothing done at import."""

from __future__ import annotations

import asyncio
import gc
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from http_script import STATUS_BODY, TASK
from inductiva_api.api.tasks import get_task_status
from task_fakes import FakeApi, installed

import inductiva
from inductiva import _http, errors
from inductiva._http import _core, default_core

CANARY = "CANARY-k3y-0123456789abcdef"


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
    """The in-memory API behind the default client."""
    yield from installed(monkeypatch)


def test_import_does_no_io() -> None:
    """Importing inductiva reads no settings and builds no client (no sockets)."""
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise AssertionError('network used at import')\n"
        "socket.socket.connect = refuse\n"
        "import inductiva, inductiva.cli, inductiva._http as h\n"
        "assert h._DEFAULT._sync is None and not h._DEFAULT._async\n"
        "print('ok')\n"
    )
    env = {"INDUCTIVA_API_URL": "not a url", "PATH": ""}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_missing_key_says_what_to_do() -> None:
    """Without an API key, the first request fails telling how to set one."""
    with pytest.raises(errors.AuthenticationError, match="INDUCTIVA_API_KEY"):
        inductiva.Task("1").get_status()
    with pytest.raises(errors.AuthenticationError, match="INDUCTIVA_API_KEY"):
        inductiva.Client(api_url="http://127.0.0.1:9").task("1").get_status()


def test_default_client_reads_the_timeout_at_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """INDUCTIVA_TIMEOUT sets the read timeout; inductiva.timeout, set later, overrides it."""
    monkeypatch.setattr(inductiva, "api_key", "test-key")
    monkeypatch.setattr(inductiva, "api_url", "http://api")
    monkeypatch.setenv("INDUCTIVA_TIMEOUT", "7.5")
    assert default_core().api().get_httpx_client().timeout.read == 7.5
    monkeypatch.setattr(inductiva, "timeout", 2.0)
    assert default_core().api().get_httpx_client().timeout.read == 2.0


def test_settings_apply_when_requests_are_made(monkeypatch: pytest.MonkeyPatch) -> None:
    """Changing inductiva.api_key after import takes effect on the next request."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.url.host} {request.headers['X-API-Key']}")
        return httpx.Response(200, json={"id": "1", "status": "started"})

    _http.set_transport(httpx.MockTransport(handler))
    monkeypatch.setattr(inductiva, "api_url", "http://one.test")
    monkeypatch.setattr(inductiva, "api_key", "k1")
    inductiva.Task("1").get_status()
    monkeypatch.setattr(inductiva, "api_key", "k2")
    inductiva.Task("1").get_status()
    assert seen == ["one.test k1", "one.test k2"]


def test_client_settings_are_fixed_when_it_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Client keeps the settings it was built with; later module settings do not reach it."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["X-API-Key"])
        return httpx.Response(200, json={"id": "1", "status": "started"})

    monkeypatch.setattr(inductiva, "api_key", "k1")
    client = inductiva.Client(api_url="http://one.test", transport=httpx.MockTransport(handler))
    monkeypatch.setattr(inductiva, "api_key", "k2")
    client.task("1").get_status()
    assert seen == ["k1"]


def test_two_thousand_tasks_share_one_pool(
    fake_api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """2,000 Task objects making requests use one httpx.Client (one connection pool)."""
    built: list[object] = []

    class Counting(httpx.Client):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            built.append(self)

    monkeypatch.setattr(_core.httpx, "Client", Counting)
    for i in range(2000):
        fake_api.add(str(i), "started")
    tasks = [inductiva.Task(str(i)) for i in range(2000)]
    assert {t.get_status() for t in tasks} == {"started"}
    assert len(built) == 1 and len(fake_api.requests) == 2000


def test_concurrent_waits_share_one_async_client(
    fake_api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """200 concurrent wait_async() calls on one loop build one AsyncClient."""
    built: list[object] = []

    class Counting(httpx.AsyncClient):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            built.append(self)

    monkeypatch.setattr(_core.httpx, "AsyncClient", Counting)
    ids = [str(500 + i) for i in range(200)]
    for task_id in ids:
        fake_api.add(task_id, "submitted", then=("started", "success"))

    async def main() -> list[str]:
        return await asyncio.gather(*(inductiva.Task(i).wait_async() for i in ids))

    assert asyncio.run(main()) == ["success"] * 200
    assert len(built) == 1


def test_pool_keeps_every_connection_alive() -> None:
    """The transport's pool keeps all 100 connections alive (none reopened per request)."""
    assert _core.LIMITS.max_connections == _core.LIMITS.max_keepalive_connections == 100
    assert _core.LIMITS.keepalive_expiry is not None and _core.LIMITS.keepalive_expiry > 5


def test_every_client_pool_gets_the_limits() -> None:
    """A Client's own transport keeps every connection alive, like the default client's."""
    client = inductiva.Client("k", "http://fake.test")
    retrying = client._core.api().get_httpx_client()._transport  # type: ignore[attr-defined]
    pool = retrying._wrapped._wrapped._pool  # retries > bounds > the network transport
    assert pool._max_connections == pool._max_keepalive_connections == 100
    assert pool._keepalive_expiry == _core.LIMITS.keepalive_expiry
    client.close()


def test_header_reprs_hide_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """repr() of the pool's headers and of a request's headers never shows the key."""
    monkeypatch.setattr(inductiva, "api_key", CANARY)
    client = default_core().api().get_httpx_client()
    request = client.build_request("GET", "/tasks")
    assert request.headers["X-API-Key"] == CANARY
    for text in (repr(client.headers), repr(request.headers)):
        assert CANARY not in text


def test_requests_carry_the_key_and_user_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request sends X-API-Key and User-Agent inductiva-python/<version>."""
    seen: list[httpx.Request] = []
    transport = httpx.MockTransport(
        lambda r: seen.append(r) or httpx.Response(200, json=STATUS_BODY)
    )
    with inductiva.Client("the-key", "http://api", transport=transport) as client:
        client.task(TASK).get_status()
    assert seen[0].headers["X-API-Key"] == "the-key"
    assert seen[0].headers["User-Agent"] == f"inductiva-python/{inductiva.__version__}"


def test_close_drops_the_pool_and_a_later_request_opens_a_new_one() -> None:
    """close() closes the pool (and forgets its state); the next request builds a fresh one."""
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json=STATUS_BODY))
    core = inductiva.Client("k", "http://api", transport=transport)._core
    first = core.api().get_httpx_client()
    core.session().state["marker"] = True
    core.close()
    assert first.is_closed
    second = core.api().get_httpx_client()
    assert second is not first and not second.is_closed and "marker" not in core.session().state
    core.close()


# -- async pools: one per running loop, closed with it ----------------------------------------


class LoopBoundTransport(httpx.AsyncBaseTransport):
    """Answers 200 and, like pooled sockets, keeps references to the loops it served."""

    def __init__(self) -> None:
        self.loops: list[asyncio.AbstractEventLoop] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Remember the running loop, then answer with the status body."""
        self.loops.append(asyncio.get_running_loop())
        return httpx.Response(200, json=STATUS_BODY)


@pytest.fixture
def async_api(monkeypatch: pytest.MonkeyPatch) -> LoopBoundTransport:
    """Point the default client's async pools at a LoopBoundTransport."""
    monkeypatch.setattr(inductiva, "api_key", "test-key")
    monkeypatch.setattr(inductiva, "api_url", "http://api")
    transport = LoopBoundTransport()
    _http.set_transport(async_transport=transport)
    return transport


async def _status_and_client() -> httpx.AsyncClient:
    await inductiva.api.call_async(get_task_status.sync_detailed, task_id=TASK)
    return inductiva.api.async_client().get_async_httpx_client()


def test_async_client_is_closed_when_its_loop_shuts_down(async_api: LoopBoundTransport) -> None:
    """asyncio.run closes the loop's AsyncClient before the loop closes."""
    client = asyncio.run(_status_and_client())
    assert client.is_closed


def test_closed_loops_do_not_accumulate_clients(async_api: LoopBoundTransport) -> None:
    """Clients of finished loops leave the per-loop cache, though transports hold the loops."""
    clients = [asyncio.run(_status_and_client()) for _ in range(3)]
    gc.collect()
    assert len(set(map(id, clients))) == 3 and len(async_api.loops) == 3
    assert len(default_core()._async) == 1


def test_async_client_replaced_on_settings_change_is_closed(
    async_api: LoopBoundTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A settings change on a running loop builds a new AsyncClient and closes the old one."""

    async def main() -> tuple[httpx.AsyncClient, httpx.AsyncClient]:
        first = await _status_and_client()
        monkeypatch.setattr(inductiva, "timeout", 5.0)
        second = await _status_and_client()
        for _ in range(100):  # event-loop steps, not time: the close is scheduled on the loop
            if first.is_closed:
                break
            await asyncio.sleep(0)
        assert first.is_closed and not second.is_closed
        return first, second

    first, second = asyncio.run(main())
    assert first is not second and second.is_closed
