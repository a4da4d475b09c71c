"""The shared client: settings that tune it, its lifecycle, and streamed requests."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Iterator

import httpx
import pytest
from http_script import STATUS_BODY, TASK, Script, status_response
from inductiva_api.api.tasks import get_task_status

import inductiva
from inductiva import _client, errors


def test_max_retries_env_and_attribute(
    scripted_api: Callable[[Script], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """INDUCTIVA_MAX_RETRIES sets attempts; inductiva.max_retries overrides it."""
    monkeypatch.setenv("INDUCTIVA_MAX_RETRIES", "1")
    assert _client.resolve_settings().retry_policy.max_attempts == 2
    monkeypatch.setattr(inductiva, "max_retries", 3)
    assert _client.resolve_settings().retry_policy.max_attempts == 4
    script = Script(*[status_response(503, "0") for _ in range(10)])
    scripted_api(script)
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
    scripted_api: Callable[[Script], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read timeout on every attempt surfaces as ApiTimeoutError."""
    script = Script(*[httpx.ReadTimeout("slow") for _ in range(5)])
    scripted_api(script)
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


def test_streamed_error_response_raises_api_error(scripted_api: Callable[[Script], None]) -> None:
    """The response hook turns a non-2xx streamed response into an exception with its message."""
    scripted_api(Script(httpx.Response(404, json={"detail": "no such task"})))
    with (
        pytest.raises(errors.NotFoundError, match="no such task") as info,
        _client.stream("GET", f"/tasks/{TASK}/output"),
    ):
        pass
    assert info.value.status_code == 404 and info.value.message.startswith("no such task (GET")
    assert info.value.detail == []


def test_streamed_get_is_retried_after_503(scripted_api: Callable[[Script], None]) -> None:
    """A streamed GET answered 503 (Retry-After: 0) is sent again and the 200 body is read."""
    script = Script(status_response(503, "0"))
    scripted_api(script)
    with _client.stream("GET", f"/tasks/{TASK}/output") as response:
        assert response.status_code == 200
        assert response.read() == httpx.Response(200, json=STATUS_BODY).read()
    assert len(script.requests) == 2


def test_connection_error_while_reading_a_stream_is_translated(
    scripted_api: Callable[[Script], None],
) -> None:
    """A ReadError in the middle of a streamed body surfaces as ApiConnectionError."""

    class Broken(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield b"partial"
            raise httpx.ReadError("connection reset")

    scripted_api(Script(httpx.Response(200, stream=Broken())))
    with (
        pytest.raises(errors.ApiConnectionError, match="connection reset"),
        _client.stream("GET", f"/tasks/{TASK}/output") as response,
    ):
        for _ in response.iter_bytes():
            pass


def test_http_error_body_detail_is_the_message(scripted_api: Callable[[Script], None]) -> None:
    """A {"detail": "..."} body (FastAPI's HTTPException) becomes the exception's message."""
    scripted_api(Script(httpx.Response(409, json={"detail": "Task is not running."})))
    with pytest.raises(errors.ConflictError) as info:
        _client.call(get_task_status.sync_detailed, task_id=TASK)
    assert str(info.value).startswith(f"Task is not running. (GET http://api/tasks/{TASK}/status")


def test_validation_error_keeps_and_shows_its_detail_list(
    scripted_api: Callable[[Script], None],
) -> None:
    """A 422 {"detail": [{loc, msg, type}]} is kept on ValidationError.detail and shown."""
    body = {
        "detail": [
            {"loc": ["body", "file"], "msg": "field required", "type": "value_error.missing"},
            {"loc": ["query", "page", 0], "msg": "not an int", "type": "type_error.integer"},
        ]
    }
    scripted_api(Script(httpx.Response(422, json=body)))
    with pytest.raises(errors.ValidationError) as info:
        _client.call(get_task_status.sync_detailed, task_id=TASK)
    assert info.value.detail == [
        errors.FieldError(("body", "file"), "field required", "value_error.missing"),
        errors.FieldError(("query", "page", 0), "not an int", "type_error.integer"),
    ]
    assert "body.file: field required; query.page.0: not an int" in str(info.value)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"<html>Bad Gateway</html>", "<html>Bad Gateway</html>"),
        (b'{"code": "old", "message": "older shape"}', "older shape"),
        (b'{"detail": {"nested": true}}', '{"detail": {"nested": true}}'),
        (b"", "HTTP 418"),
    ],
)
def test_error_bodies_of_neither_shape_are_tolerated(
    scripted_api: Callable[[Script], None], body: bytes, expected: str
) -> None:
    """A body that is neither error shape still gives an ApiError quoting it."""
    scripted_api(Script(httpx.Response(418, content=body)))
    with pytest.raises(errors.ApiError) as info:
        _client.call(get_task_status.sync_detailed, task_id=TASK)
    assert info.value.status_code == 418 and str(info.value).startswith(expected)


def test_validation_items_of_another_shape_are_kept_as_text(
    scripted_api: Callable[[Script], None],
) -> None:
    """422 detail items lacking loc/msg are kept (as text), not dropped or fatal."""
    scripted_api(Script(httpx.Response(422, json={"detail": ["bad thing", {"msg": "x"}]})))
    with pytest.raises(errors.ValidationError) as info:
        _client.call(get_task_status.sync_detailed, task_id=TASK)
    assert [d.msg for d in info.value.detail] == ["bad thing", "{'msg': 'x'}"]
    assert "bad thing" in str(info.value)


@pytest.mark.parametrize("bad", [0, -2, 1.5, "4", True])
def test_client_download_connections_must_be_a_positive_integer(bad: object) -> None:
    """Client/AsyncClient(download_connections=) outside integers >= 1 is a ConfigurationError."""
    for make in (inductiva.Client, inductiva.AsyncClient):
        with pytest.raises(errors.ConfigurationError, match=r"integer >= 1 \(1 = one stream"):
            make(api_key="k", api_url="http://api", download_connections=bad)  # type: ignore[arg-type]


def test_download_connections_resolve_argument_module_env_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """download_connections: the Client argument, then inductiva.<name>, then env, then 4."""
    from inductiva._transfers import _parallel

    monkeypatch.setattr(inductiva, "download_connections", None)
    monkeypatch.delenv("INDUCTIVA_DOWNLOAD_CONNECTIONS", raising=False)
    assert inductiva.Client(api_key="k", api_url="http://api").download_connections == 4
    monkeypatch.setenv("INDUCTIVA_DOWNLOAD_CONNECTIONS", "3")
    assert inductiva.Client(api_key="k", api_url="http://api").download_connections == 3
    monkeypatch.setattr(inductiva, "download_connections", 2)
    client = inductiva.AsyncClient(api_key="k", api_url="http://api", download_connections=6)
    assert client.download_connections == 6
    assert _parallel.connections() == 2  # the default client: the module setting
    with _client.using(client._core):
        assert _parallel.connections() == 6  # a task of that client: its own
    monkeypatch.setenv("INDUCTIVA_DOWNLOAD_CONNECTIONS", "many")
    monkeypatch.setattr(inductiva, "download_connections", None)
    with pytest.raises(errors.ConfigurationError, match="INDUCTIVA_DOWNLOAD_CONNECTIONS"):
        inductiva.Client(api_key="k", api_url="http://api")
