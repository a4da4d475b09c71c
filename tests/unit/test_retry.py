"""RetryTransport/RetryPolicy: what is retried, how long it waits, and the settings that tune it."""

from __future__ import annotations

import asyncio
import email.utils
import gc
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from inductiva_api.api.tasks import get_task_status

import inductiva
from inductiva import _client, errors
from inductiva._retry import AsyncRetryTransport, RetryPolicy, RetryTransport

TASK = "1234567890123456789"
STATUS_BODY = {"id": TASK, "status": "success"}

Handler = Callable[[httpx.Request], httpx.Response]


class Script:
    """A MockTransport handler answering from a list of responses/exceptions, then 200."""

    def __init__(self, *steps: httpx.Response | Exception) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.steps:
            step = self.steps.pop(0)
            if isinstance(step, Exception):
                raise step
            return step
        return httpx.Response(200, json=STATUS_BODY)


def _status(code: int, retry_after: str | None = None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return httpx.Response(code, headers=headers, json={"code": "x", "message": f"HTTP {code}"})


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


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Script], None]]:
    """Point the shared client at a scripted MockTransport."""
    monkeypatch.setattr(inductiva, "api_key", "test-key")
    monkeypatch.setattr(inductiva, "api_url", "http://api")
    for name in ("INDUCTIVA_MAX_RETRIES", "INDUCTIVA_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)

    def use(script: Script) -> None:
        _client.set_transport(httpx.MockTransport(script))

    yield use
    _client.set_transport()


def test_retries_503_honouring_retry_after_then_succeeds() -> None:
    """A 503 with Retry-After: 2 waits 2 s, then the retried request succeeds."""
    script = Script(_status(503, "2"))
    client, sleeps = _client_for(script)
    assert client.get("/tasks").status_code == 200
    assert sleeps == [2.0]
    assert len(script.requests) == 2


def test_gives_up_after_max_attempts_with_server_error(api: Callable[[Script], None]) -> None:
    """inductiva.max_retries=2 means 3 attempts, then ServerError."""
    script = Script(*[_status(503, "0") for _ in range(10)])
    api(script)
    inductiva.max_retries = 2
    try:
        with pytest.raises(errors.ServerError) as info:
            _client.call(get_task_status.sync_detailed, task_id=TASK)
    finally:
        inductiva.max_retries = None
    assert info.value.status_code == 503
    assert len(script.requests) == 3


def test_exhausted_429_raises_rate_limit_error(api: Callable[[Script], None]) -> None:
    """Still 429 after every attempt becomes RateLimitError."""
    script = Script(*[_status(429, "0") for _ in range(10)])
    api(script)
    inductiva.max_retries = 1
    try:
        with pytest.raises(errors.RateLimitError):
            _client.call(get_task_status.sync_detailed, task_id=TASK)
    finally:
        inductiva.max_retries = None
    assert len(script.requests) == 2


def test_post_without_idempotency_key_is_not_retried_on_503() -> None:
    """A plain POST answered 503 may have had effects, so it is not sent again."""
    script = Script(_status(503, "0"))
    client, sleeps = _client_for(script)
    assert client.post("/tasks/submit", json={}).status_code == 503
    assert len(script.requests) == 1
    assert sleeps == []


def test_post_without_idempotency_key_is_retried_on_429() -> None:
    """429 means the request was refused unprocessed: safe to retry even a POST."""
    script = Script(_status(429, "1"))
    client, sleeps = _client_for(script)
    assert client.post("/tasks/submit", json={}).status_code == 200
    assert len(script.requests) == 2
    assert sleeps == [1.0]


def test_post_with_idempotency_key_is_retried_with_the_same_key() -> None:
    """A POST with an Idempotency-Key is retried on 503 and resends the same key and body."""
    script = Script(_status(503, "0"), _status(502, "0"))
    client, _ = _client_for(script)
    response = client.post("/tasks/submit", json={"a": 1}, headers={"Idempotency-Key": "k-1"})
    assert response.status_code == 200
    assert [r.headers["Idempotency-Key"] for r in script.requests] == ["k-1"] * 3
    assert {r.content for r in script.requests} == {b'{"a":1}'}


def test_kill_post_counts_as_idempotent() -> None:
    """POST /tasks/{id}/kill is idempotent by contract, so a 503 is retried."""
    script = Script(_status(503, "0"))
    client, _ = _client_for(script)
    assert client.post(f"/tasks/{TASK}/kill").status_code == 200
    assert len(script.requests) == 2


def test_streaming_bodies_are_never_replayed() -> None:
    """A request whose body is a one-shot stream is not retried, even with a key or 429."""
    for first in (_status(429, "0"), _status(503, "0"), httpx.ConnectError("refused")):
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
    api: Callable[[Script], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Connect errors on every attempt surface as ApiConnectionError naming the URL."""
    script = Script(*[httpx.ConnectError("refused") for _ in range(5)])
    api(script)
    monkeypatch.setenv("INDUCTIVA_MAX_RETRIES", "0")
    with pytest.raises(errors.ApiConnectionError, match="http://api"):
        _client.call(get_task_status.sync_detailed, task_id=TASK)
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
    script = Script(_status(503, "1"))
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async def run() -> int:
        transport = AsyncRetryTransport(httpx.MockTransport(script), RetryPolicy(), sleep=sleep)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            return (await client.get("/tasks")).status_code

    assert asyncio.run(run()) == 200
    assert sleeps == [1.0]


def test_max_retries_env_and_attribute(
    api: Callable[[Script], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """INDUCTIVA_MAX_RETRIES sets attempts; inductiva.max_retries overrides it."""
    monkeypatch.setenv("INDUCTIVA_MAX_RETRIES", "1")
    assert _client.resolve_settings().retry_policy.max_attempts == 2
    monkeypatch.setattr(inductiva, "max_retries", 3)
    assert _client.resolve_settings().retry_policy.max_attempts == 4
    script = Script(*[_status(503, "0") for _ in range(10)])
    api(script)
    with pytest.raises(errors.ServerError):
        _client.call(get_task_status.sync_detailed, task_id=TASK)
    assert len(script.requests) == 4


def test_timeout_env_and_attribute(monkeypatch: pytest.MonkeyPatch) -> None:
    """INDUCTIVA_TIMEOUT sets the read timeout; inductiva.timeout overrides it."""
    monkeypatch.setattr(inductiva, "api_key", "test-key")
    monkeypatch.setattr(inductiva, "api_url", "http://api")
    monkeypatch.setenv("INDUCTIVA_TIMEOUT", "7.5")
    try:
        assert _client.get_client().get_httpx_client().timeout.read == 7.5
        monkeypatch.setattr(inductiva, "timeout", 2.0)
        assert _client.get_client().get_httpx_client().timeout.read == 2.0
    finally:
        _client.reset()


def test_invalid_retry_settings_are_configuration_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Non-numeric or negative settings raise ConfigurationError naming the variable."""
    monkeypatch.setenv("INDUCTIVA_MAX_RETRIES", "many")
    with pytest.raises(errors.ConfigurationError, match="INDUCTIVA_MAX_RETRIES"):
        _client.resolve_settings()
    monkeypatch.setenv("INDUCTIVA_MAX_RETRIES", "-1")
    with pytest.raises(errors.ConfigurationError, match="max_retries"):
        _client.resolve_settings()
    monkeypatch.delenv("INDUCTIVA_MAX_RETRIES")
    monkeypatch.setenv("INDUCTIVA_TIMEOUT", "0")
    with pytest.raises(errors.ConfigurationError, match="timeout"):
        _client.resolve_settings()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("timeout", "fast"),
        ("timeout", float("nan")),
        ("timeout", float("inf")),
        ("timeout", True),
        ("max_retries", 2.5),
        ("max_retries", True),
        ("max_retries", "3"),
    ],
)
def test_invalid_setting_attributes_are_configuration_errors(
    monkeypatch: pytest.MonkeyPatch, name: str, value: object
) -> None:
    """Wrong types, NaN or infinity set on inductiva.* are ConfigurationErrors saying what fits."""
    monkeypatch.setattr(inductiva, name, value)
    with pytest.raises(errors.ConfigurationError, match=f"{name} must be"):
        _client.resolve_settings()


def test_non_finite_timeout_environment_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    """INDUCTIVA_TIMEOUT=nan or inf parses as a float but is refused."""
    for raw in ("nan", "inf"):
        monkeypatch.setenv("INDUCTIVA_TIMEOUT", raw)
        with pytest.raises(errors.ConfigurationError, match="finite number of seconds"):
            _client.resolve_settings()


def test_timeouts_become_api_timeout_error(
    api: Callable[[Script], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read timeout on every attempt surfaces as ApiTimeoutError."""
    script = Script(*[httpx.ReadTimeout("slow") for _ in range(5)])
    api(script)
    monkeypatch.setenv("INDUCTIVA_MAX_RETRIES", "0")
    with pytest.raises(errors.ApiTimeoutError, match="INDUCTIVA_TIMEOUT"):
        _client.call(get_task_status.sync_detailed, task_id=TASK)


class LoopBoundTransport(httpx.AsyncBaseTransport):
    """Answers 200 and, like pooled sockets, keeps references to the loops it served."""

    def __init__(self) -> None:
        self.loops: list[asyncio.AbstractEventLoop] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Remember the running loop, then answer with the status body."""
        self.loops.append(asyncio.get_running_loop())
        return httpx.Response(200, json=STATUS_BODY)


@pytest.fixture
def async_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[LoopBoundTransport]:
    """Point the shared async client at a LoopBoundTransport."""
    monkeypatch.setattr(inductiva, "api_key", "test-key")
    monkeypatch.setattr(inductiva, "api_url", "http://api")
    transport = LoopBoundTransport()
    _client.set_transport(async_transport=transport)
    yield transport
    _client.set_transport()


async def _status_and_client() -> httpx.AsyncClient:
    await _client.acall(get_task_status.asyncio_detailed, task_id=TASK)
    return _client.get_async_client().get_async_httpx_client()


def test_async_client_is_closed_when_its_loop_shuts_down(async_api: LoopBoundTransport) -> None:
    """asyncio.run closes the loop's AsyncClient before the loop closes."""
    client = asyncio.run(_status_and_client())
    assert client.is_closed


def test_closed_loops_do_not_accumulate_clients(async_api: LoopBoundTransport) -> None:
    """Clients of finished loops leave the per-loop cache, though transports hold the loops."""
    clients = [asyncio.run(_status_and_client()) for _ in range(3)]
    gc.collect()
    assert len(set(map(id, clients))) == 3 and len(async_api.loops) == 3
    assert len(_client._async) == 1


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


def test_streamed_error_response_raises_api_error(api: Callable[[Script], None]) -> None:
    """The response hook turns a non-2xx streamed response into an exception with its message."""
    api(Script(httpx.Response(404, json={"code": "not_found", "message": "no such task"})))
    with (
        pytest.raises(errors.NotFoundError, match="no such task") as info,
        _client.stream("GET", f"/tasks/{TASK}/output"),
    ):
        pass
    assert info.value.status_code == 404 and info.value.code == "not_found"


def test_streamed_get_is_retried_after_503(api: Callable[[Script], None]) -> None:
    """A streamed GET answered 503 (Retry-After: 0) is sent again and the 200 body is read."""
    script = Script(_status(503, "0"))
    api(script)
    with _client.stream("GET", f"/tasks/{TASK}/output") as response:
        assert response.status_code == 200
        assert response.read() == httpx.Response(200, json=STATUS_BODY).read()
    assert len(script.requests) == 2


def test_connection_error_while_reading_a_stream_is_translated(
    api: Callable[[Script], None],
) -> None:
    """A ReadError in the middle of a streamed body surfaces as ApiConnectionError."""

    class Broken(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield b"partial"
            raise httpx.ReadError("connection reset")

    api(Script(httpx.Response(200, stream=Broken())))
    with (
        pytest.raises(errors.ApiConnectionError, match="connection reset"),
        _client.stream("GET", f"/tasks/{TASK}/output") as response,
    ):
        for _ in response.iter_bytes():
            pass
