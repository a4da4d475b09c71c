"""inductiva._http._retry: what RetryTransport/RetryPolicy retry, how long they wait, and one
retry budget per call (blocking and asyncio)."""

from __future__ import annotations

import asyncio
import email.utils
import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from http_script import STATUS_BODY, TASK, Handler, Script, status_response
from inductiva_api.api.tasks import get_task_status, kill_task
from task_fakes import Run

import inductiva
from inductiva import errors
from inductiva._http import default_core
from inductiva._http._flow import Flow, Request, call, call_idempotent, open_stream, read
from inductiva._http._retry import (
    AsyncRetryTransport,
    RetryPolicy,
    RetryTransport,
    budget_mark,
    declared_idempotent,
    resume_delay,
    retry_budget,
)


def _status() -> Flow[object]:
    """A status request (a GET), as every flow makes its calls."""
    return call(get_task_status.sync_detailed, task_id=TASK)


class WireTransport(httpx.BaseTransport):
    """Like a real transport: sends the body by iterating ``request.stream`` (no buffering)."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Consume the body as a socket write would, then answer."""
        for _ in request.stream:  # type: ignore[union-attr]
            pass
        return self.handler(request)


def _client_for(
    script: Script, attempts: int = 4, wire: bool = False
) -> tuple[httpx.Client, list[float]]:
    sleeps: list[float] = []
    inner = WireTransport(script) if wire else httpx.MockTransport(script)
    transport = RetryTransport(inner, RetryPolicy(max_attempts=attempts), sleep=sleeps.append)
    return httpx.Client(transport=transport, base_url="http://api"), sleeps


def test_retries_503_honouring_retry_after_then_succeeds() -> None:
    """A 503 with Retry-After: 2 waits 2 s, then the retried request succeeds."""
    script = Script(status_response(503, "2"))
    client, sleeps = _client_for(script)
    assert client.get("/tasks").status_code == 200
    assert sleeps == [2.0]
    assert len(script.requests) == 2


def test_gives_up_after_max_attempts_with_server_error(
    scripted_api: Callable[[Script], None], monkeypatch: pytest.MonkeyPatch, run: Run
) -> None:
    """inductiva.max_retries=2 means 3 attempts, then ServerError."""
    script = Script(*[status_response(503, "0") for _ in range(10)])
    scripted_api(script)
    monkeypatch.setattr(inductiva, "max_retries", 2)
    with pytest.raises(errors.ServerError) as info:
        run(default_core().run, _status())
    assert info.value.status_code == 503
    assert len(script.requests) == 3


def test_max_retries_from_the_environment_bounds_the_attempts(
    scripted_api: Callable[[Script], None], monkeypatch: pytest.MonkeyPatch, run: Run
) -> None:
    """INDUCTIVA_MAX_RETRIES=1 means 2 attempts; inductiva.max_retries=3 (beating it) means 4."""
    monkeypatch.setenv("INDUCTIVA_MAX_RETRIES", "1")
    script = Script(*[status_response(503, "0") for _ in range(10)])
    scripted_api(script)
    with pytest.raises(errors.ServerError):
        run(default_core().run, _status())
    assert len(script.requests) == 2
    monkeypatch.setattr(inductiva, "max_retries", 3)
    script = Script(*[status_response(503, "0") for _ in range(10)])
    scripted_api(script)
    with pytest.raises(errors.ServerError):
        run(default_core().run, _status())
    assert len(script.requests) == 4


def test_streamed_get_is_retried_after_503(
    scripted_api: Callable[[Script], None], run: Run
) -> None:
    """A streamed GET answered 503 (Retry-After: 0) is sent again and the 200 body is read."""
    script = Script(status_response(503, "0"))
    scripted_api(script)

    def fetch() -> Flow[tuple[int, bytes]]:
        stream = yield from open_stream(Request("GET", f"/tasks/{TASK}/output"))
        body = b""
        while chunk := (yield from read(stream)):
            body += chunk
        return stream.status_code, body

    status, body = run(default_core().run, fetch())
    assert status == 200 and body == httpx.Response(200, json=STATUS_BODY).read()
    assert len(script.requests) == 2


def test_exhausted_429_raises_rate_limit_error(
    scripted_api: Callable[[Script], None], monkeypatch: pytest.MonkeyPatch, run: Run
) -> None:
    """Still 429 after every attempt becomes RateLimitError."""
    script = Script(*[status_response(429, "0") for _ in range(10)])
    scripted_api(script)
    monkeypatch.setattr(inductiva, "max_retries", 1)
    with pytest.raises(errors.RateLimitError):
        run(default_core().run, _status())
    assert len(script.requests) == 2


def test_post_without_idempotency_key_is_not_retried_on_503() -> None:
    """A plain POST answered 503 may have had effects, so it is not sent again."""
    script = Script(status_response(503, "0"))
    client, sleeps = _client_for(script)
    assert client.post("/tasks/submit", json={}).status_code == 503
    assert len(script.requests) == 1
    assert sleeps == []


def test_post_without_idempotency_key_is_retried_on_429() -> None:
    """429 means the request was refused unprocessed: safe to retry even a POST."""
    script = Script(status_response(429, "1"))
    client, sleeps = _client_for(script)
    assert client.post("/tasks/submit", json={}).status_code == 200
    assert len(script.requests) == 2
    assert sleeps == [1.0]


def test_idempotency_key_header_alone_does_not_make_a_post_retryable() -> None:
    """A server may ignore Idempotency-Key, so the header alone does not allow a re-send."""
    for first in (status_response(503, "0"), httpx.ReadError("reset")):
        script = Script(first)
        client, sleeps = _client_for(script)
        headers = {"Idempotency-Key": "k-1"}
        if isinstance(first, Exception):
            with pytest.raises(httpx.ReadError):
                client.post("/tasks/submit", json={}, headers=headers)
        else:
            assert client.post("/tasks/submit", json={}, headers=headers).status_code == 503
        assert len(script.requests) == 1 and sleeps == []


def test_declared_idempotent_post_is_retried_with_the_same_key() -> None:
    """A POST declared idempotent is retried on 503/502 and resends the same key and body."""
    script = Script(status_response(503, "0"), status_response(502, "0"))
    client, _ = _client_for(script)
    with declared_idempotent():
        response = client.post("/tasks/submit", json={"a": 1}, headers={"Idempotency-Key": "k-1"})
    assert response.status_code == 200
    assert [r.headers["Idempotency-Key"] for r in script.requests] == ["k-1"] * 3
    assert {r.content for r in script.requests} == {b'{"a":1}'}


def test_a_post_is_retried_only_when_its_flow_declares_it(
    scripted_api: Callable[[Script], None], run: Run
) -> None:
    """A POST (a kill) is re-sent after a 503 only through call_idempotent, not by its path."""
    script = Script(status_response(503, "0"))
    scripted_api(script)
    assert run(default_core().run, call_idempotent(kill_task.sync_detailed, task_id=TASK))
    assert [r.url.path for r in script.requests] == [f"/tasks/{TASK}/kill"] * 2
    script = Script(status_response(503, "0"))
    scripted_api(script)
    with pytest.raises(errors.ServerError):
        run(default_core().run, call(kill_task.sync_detailed, task_id=TASK))
    assert len(script.requests) == 1
    script = Script(status_response(503, "0"))
    client, _ = _client_for(script)
    assert client.post(f"/tasks/{TASK}/kill").status_code == 503
    assert len(script.requests) == 1


def test_streaming_bodies_are_never_replayed() -> None:
    """A request whose body is a one-shot stream is not retried, even with a key or 429."""
    for first in (
        status_response(429, "0"),
        status_response(503, "0"),
        httpx.ConnectError("refused"),
    ):
        script = Script(first)
        client, sleeps = _client_for(script, wire=True)
        body = iter([b"chunk-1", b"chunk-2"])
        headers = {"Idempotency-Key": "k"}
        if isinstance(first, Exception):
            with pytest.raises(httpx.ConnectError):
                client.post(f"/tasks/{TASK}/input", content=body, headers=headers)
        else:
            response = client.post(f"/tasks/{TASK}/input", content=body, headers=headers)
            assert response.status_code == first.status_code
        assert len(script.requests) == 1
        assert sleeps == []


def test_connect_errors_are_retried_for_any_method() -> None:
    """Connection failures happen before sending, so even a plain POST is retried."""
    script = Script(httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"))
    client, sleeps = _client_for(script)
    assert client.post("/tasks/submit", json={}).status_code == 200
    assert len(script.requests) == 3
    assert len(sleeps) == 2


def test_read_errors_are_retried_only_when_idempotent() -> None:
    """A read failure on GET is retried; on a plain POST it is raised at once."""
    script = Script(httpx.ReadError("reset"))
    client, _ = _client_for(script)
    assert client.get("/tasks").status_code == 200
    script = Script(httpx.ReadError("reset"))
    client, _ = _client_for(script)
    with pytest.raises(httpx.ReadError):
        client.post("/tasks/submit", json={})
    assert len(script.requests) == 1


def test_connection_error_after_retries_becomes_api_connection_error(
    scripted_api: Callable[[Script], None], monkeypatch: pytest.MonkeyPatch, run: Run
) -> None:
    """Connect errors on every attempt surface as ApiConnectionError naming the URL."""
    script = Script(*[httpx.ConnectError("refused") for _ in range(5)])
    scripted_api(script)
    monkeypatch.setenv("INDUCTIVA_MAX_RETRIES", "0")
    with pytest.raises(errors.ApiConnectionError, match="http://api"):
        run(default_core().run, _status())
    assert len(script.requests) == 1


def test_jitter_is_bounded_by_exponential_cap() -> None:
    """Backoff is full jitter in [0, min(backoff_max, base * 2**(attempt-1))]."""
    policy = RetryPolicy(backoff_base=0.5, backoff_max=4.0)
    assert policy.delay(1, rand=lambda: 1.0) == 0.5
    assert policy.delay(3, rand=lambda: 1.0) == 2.0
    assert policy.delay(10, rand=lambda: 1.0) == 4.0
    assert policy.delay(10, rand=lambda: 0.0) == 0.0
    for attempt in range(1, 12):
        for _ in range(50):
            assert 0.0 <= policy.delay(attempt) <= min(4.0, 0.5 * 2 ** (attempt - 1))


def test_retry_after_seconds_is_capped() -> None:
    """A Retry-After larger than max_retry_after waits only the cap."""
    policy = RetryPolicy(max_retry_after=5.0)
    assert policy.delay(1, "3") == 3.0
    assert policy.delay(1, "3600") == 5.0


def test_retry_after_http_date_is_honoured() -> None:
    """Retry-After as an HTTP date waits until then; a past date waits 0."""
    policy = RetryPolicy(max_retry_after=60.0)
    future = email.utils.formatdate(time.time() + 10, usegmt=True)
    assert 8.0 <= policy.delay(1, future) <= 10.0
    past = email.utils.formatdate(time.time() - 100, usegmt=True)
    assert policy.delay(1, past) == 0.0


def test_unparsable_retry_after_falls_back_to_jitter() -> None:
    """A garbage Retry-After is ignored and the jittered backoff is used."""
    policy = RetryPolicy(backoff_base=0.5)
    assert policy.delay(1, "soon", rand=lambda: 1.0) == 0.5


def test_async_transport_retries_503() -> None:
    """AsyncRetryTransport retries like its sync twin."""
    script = Script(status_response(503, "1"))
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async def run() -> int:
        transport = AsyncRetryTransport(httpx.MockTransport(script), RetryPolicy(), sleep=sleep)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            return (await client.get("/tasks")).status_code

    assert asyncio.run(run()) == 200
    assert sleeps == [1.0]


def test_declaration_ends_with_its_block() -> None:
    """Outside declared_idempotent() a POST with an Idempotency-Key is sent once on a 503."""
    script = Script(status_response(503, "0"), status_response(503, "0"))
    client, _ = _client_for(script)
    with declared_idempotent():
        pass
    response = client.post("/tasks/submit", json={}, headers={"Idempotency-Key": "k"})
    assert response.status_code == 503 and len(script.requests) == 1


def test_resume_delay_waits_the_backoff_until_attempts_run_out() -> None:
    """A dropped transfer resumes after the policy's delay, and gives up at max_attempts."""
    policy = RetryPolicy(max_attempts=3, backoff_base=0.5, backoff_max=20.0)
    exc = httpx.ReadError("dropped")
    first = resume_delay(policy, 1, budget_mark(), exc)
    second = resume_delay(policy, 2, budget_mark(), exc)
    assert first is not None and 0 <= first <= 0.5  # full jitter under the attempt's cap
    assert second is not None and 0 <= second <= 1.0
    assert resume_delay(policy, 3, budget_mark(), exc) is None


def test_resume_delay_gives_up_when_the_calls_budget_is_spent() -> None:
    """Within a retry budget, each dropped attempt counts once; a spent budget ends resuming."""
    policy = RetryPolicy(max_attempts=10)
    exc = httpx.ReadError("dropped")
    with retry_budget(max_retries=1) as budget:
        assert resume_delay(policy, 1, budget_mark(), exc) is not None
        assert budget.left == 1
        assert resume_delay(policy, 2, budget_mark(), exc) is None
        assert budget.spent and "dropped" in budget.last


def test_one_retry_budget_bounds_a_download_against_a_dead_port(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, run: Run
) -> None:
    """download_outputs with max_retries=4 makes at most 5 connection attempts in all."""
    attempts: list[str] = []

    class Counting(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            attempts.append(request.url.path)
            return super().handle_request(request)

    class AsyncCounting(httpx.AsyncHTTPTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            attempts.append(request.url.path)
            return await super().handle_async_request(request)

    monkeypatch.setattr(inductiva, "api_key", "k")
    monkeypatch.setattr(inductiva, "api_url", _dead_url())
    monkeypatch.setattr(inductiva, "max_retries", 4)
    monkeypatch.setattr(RetryPolicy, "delay", lambda *a, **k: 0.0)
    inductiva._http.set_transport(Counting(), AsyncCounting())
    task = inductiva.Task(TASK)
    for uncompress in (True, False):
        attempts.clear()
        with pytest.raises(errors.ApiConnectionError):
            run(task.download_outputs, output_dir=tmp_path, uncompress=uncompress)
        assert 1 <= len(attempts) <= 5, attempts
    attempts.clear()
    with pytest.raises(errors.ApiConnectionError):
        run(task.download_outputs, output_dir=tmp_path, filenames=["a.txt"])
    assert 1 <= len(attempts) <= 5, attempts


def _dead_url() -> str:
    """The URL of a local port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
