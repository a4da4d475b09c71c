"""inductiva._http._errors: non-2xx answers and transport failures become inductiva.errors
exceptions, for endpoint calls and streamed requests, under both drivers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest
from http_script import TASK, Script
from inductiva_api.api.tasks import get_task_status
from task_fakes import Run

import inductiva
from inductiva import errors
from inductiva._http import default_core
from inductiva._http._flow import Flow, Request, call, open_stream, read

Scripted = Callable[[Script], None]


def _status() -> Flow[object]:
    """A status request, as every flow makes its calls."""
    return call(get_task_status.sync_detailed, task_id=TASK)


def _read_all(path: str) -> Flow[bytes]:
    """Open a streamed GET and read its body to the end."""
    stream = yield from open_stream(Request("GET", path))
    body = b""
    while chunk := (yield from read(stream)):
        body += chunk
    return body


def test_http_error_body_detail_is_the_message(scripted_api: Scripted, run: Run) -> None:
    """A {"detail": "..."} body (FastAPI's HTTPException) becomes the exception's message."""
    scripted_api(Script(httpx.Response(409, json={"detail": "Task is not running."})))
    with pytest.raises(errors.ConflictError) as info:
        run(default_core().run, _status())
    assert str(info.value).startswith(f"Task is not running. (GET http://api/tasks/{TASK}/status")


def test_validation_error_keeps_and_shows_its_detail_list(scripted_api: Scripted, run: Run) -> None:
    """A 422 {"detail": [{loc, msg, type}]} is kept on ValidationError.detail and shown."""
    body = {
        "detail": [
            {"loc": ["body", "file"], "msg": "field required", "type": "value_error.missing"},
            {"loc": ["query", "page", 0], "msg": "not an int", "type": "type_error.integer"},
        ]
    }
    scripted_api(Script(httpx.Response(422, json=body)))
    with pytest.raises(errors.ValidationError) as info:
        run(default_core().run, _status())
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
    scripted_api: Scripted, run: Run, body: bytes, expected: str
) -> None:
    """A body that is neither error shape still gives an ApiError quoting it."""
    scripted_api(Script(httpx.Response(418, content=body)))
    with pytest.raises(errors.ApiError) as info:
        run(default_core().run, _status())
    assert info.value.status_code == 418 and str(info.value).startswith(expected)


def test_validation_items_of_another_shape_are_kept_as_text(
    scripted_api: Scripted, run: Run
) -> None:
    """422 detail items lacking loc/msg are kept (as text), not dropped or fatal."""
    scripted_api(Script(httpx.Response(422, json={"detail": ["bad thing", {"msg": "x"}]})))
    with pytest.raises(errors.ValidationError) as info:
        run(default_core().run, _status())
    assert [d.msg for d in info.value.detail] == ["bad thing", "{'msg': 'x'}"]
    assert "bad thing" in str(info.value)


def test_timeouts_become_api_timeout_error(
    scripted_api: Scripted, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read timeout on every attempt surfaces as ApiTimeoutError."""
    script = Script(*[httpx.ReadTimeout("slow") for _ in range(5)])
    scripted_api(script)
    monkeypatch.setenv("INDUCTIVA_MAX_RETRIES", "0")
    with pytest.raises(errors.ApiTimeoutError, match="INDUCTIVA_TIMEOUT"):
        run(default_core().run, _status())


def test_redirect_explains_itself(monkeypatch: pytest.MonkeyPatch, run: Run) -> None:
    """A 3xx answer names the Location and hints at https and INDUCTIVA_API_URL."""
    monkeypatch.setattr(inductiva, "api_key", "k")
    monkeypatch.setattr(inductiva, "api_url", "http://127.0.0.1:9")
    location = "https://api.inductiva.ai/tasks/1/status"
    response = httpx.Response(301, headers={"Location": location})
    transport = httpx.MockTransport(lambda r: response)
    inductiva._http.set_transport(transport, transport)
    with pytest.raises(errors.ApiError) as info:
        run(inductiva.Task(TASK).get_status)
    text = str(info.value)
    assert location in text and "https://" in text and "INDUCTIVA_API_URL" in text


def test_streamed_error_response_raises_api_error(scripted_api: Scripted, run: Run) -> None:
    """A non-2xx answer to a streamed request is raised with its message, before any body."""
    scripted_api(Script(httpx.Response(404, json={"detail": "no such task"})))
    with pytest.raises(errors.NotFoundError, match="no such task") as info:
        run(default_core().run, _read_all(f"/tasks/{TASK}/output"))
    assert info.value.status_code == 404 and info.value.message.startswith("no such task (GET")
    assert info.value.detail == []


class Broken(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that breaks after its first chunk (blocking and asyncio)."""

    def __iter__(self) -> Iterator[bytes]:
        yield b"partial"
        raise httpx.ReadError("connection reset")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"partial"
        raise httpx.ReadError("connection reset")


def test_connection_error_while_reading_a_stream_is_translated(
    scripted_api: Scripted, run: Run
) -> None:
    """A ReadError in the middle of a streamed body surfaces as ApiConnectionError."""
    scripted_api(Script(httpx.Response(200, stream=Broken())))
    with pytest.raises(errors.ApiConnectionError, match="connection reset"):
        run(default_core().run, _read_all(f"/tasks/{TASK}/output"))
