"""inductiva._http._bounds: answers to API calls are bounded in size and time; malformed ones
raise InvalidResponseError."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import inductiva
from inductiva import errors

TASK = {"task_id": "1", "status": "started", "method_name": "fvm.openfoam.run_simulation"}
Handler = Callable[[httpx.Request], httpx.Response]


def client(handler: Handler, **options: object) -> inductiva.Client:
    transport = httpx.MockTransport(handler)
    return inductiva.Client(
        api_key="bounds-test-key",
        api_url="http://127.0.0.1:9",
        transport=transport,
        async_transport=transport,
        max_retries=0,
        **options,  # type: ignore[arg-type]
    )


class Endless(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that never ends (counts what was read)."""

    def __init__(self, chunk: bytes = b"[" * 65536, pause: float = 0.0) -> None:
        self.chunk, self.pause, self.sent = chunk, pause, 0

    def __iter__(self) -> Iterator[bytes]:
        while True:
            if self.pause:
                time.sleep(self.pause)
            self.sent += len(self.chunk)
            yield self.chunk

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        while True:
            if self.pause:
                await asyncio.sleep(self.pause)
            self.sent += len(self.chunk)
            yield self.chunk


def test_endless_json_body_stops_at_max_response_bytes() -> None:
    """An endless JSON answer is read only up to max_response_bytes, then ResponseTooLargeError."""
    body = Endless()
    api = client(
        lambda r: httpx.Response(200, headers={"Content-Type": "application/json"}, stream=body),
        max_response_bytes=1024 * 1024,
    )
    with pytest.raises(errors.ResponseTooLargeError, match="max_response_bytes"):
        api.task("1").get_info()
    assert body.sent <= 1024 * 1024 + 65536


def test_endless_json_body_async_stops_too() -> None:
    """The asyncio twin is bounded the same way."""
    body = Endless()
    api = client(
        lambda r: httpx.Response(200, headers={"Content-Type": "application/json"}, stream=body),
        max_response_bytes=1024 * 1024,
    )
    with pytest.raises(errors.ResponseTooLargeError):
        asyncio.run(api.task("1").get_info_async())
    assert body.sent <= 1024 * 1024 + 65536


def test_declared_length_over_the_limit_is_refused_unread() -> None:
    """A Content-Length over max_response_bytes is refused before any byte is read."""
    body = Endless()
    headers = {"Content-Type": "application/json", "Content-Length": str(10**12)}
    api = client(lambda r: httpx.Response(200, headers=headers, stream=body))
    with pytest.raises(errors.ResponseTooLargeError):
        api.task("1").get_info()
    assert body.sent == 0


def test_trickling_answer_ends_at_the_calls_deadline() -> None:
    """A server sending one byte at a time is cut off once the call's timeout has passed."""
    body = Endless(b" ", pause=0.05)
    api = client(
        lambda r: httpx.Response(200, headers={"Content-Type": "application/json"}, stream=body),
        timeout=0.5,
    )
    started = time.monotonic()
    with pytest.raises(errors.ApiTimeoutError):
        api.task("1").get_info()
    assert time.monotonic() - started < 3.0


def test_archives_are_not_bounded_by_max_response_bytes() -> None:
    """An archive answer (application/octet-stream) passes the answer bounds untouched."""
    from inductiva._http._bounds import is_archive

    response = httpx.Response(200, headers={"Content-Type": "application/octet-stream"})
    assert is_archive(response)
    assert not is_archive(httpx.Response(200, headers={"Content-Type": "application/json"}))


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/html", b"<html><body>Please log in to the Wi-Fi</body></html>"),
        ("application/json", b"{not json"),
        ("application/json", json.dumps({"task_id": 5}).encode()),
        ("application/json", json.dumps([1, 2, 3]).encode()),
        ("application/json", b"[" * 100_000 + b"]" * 100_000),
        ("application/json", json.dumps({**TASK, "task_id": 5}).encode()),
        ("application/json", json.dumps({**TASK, "status": "success", "method_name": []}).encode()),
    ],
    ids=[
        "html",
        "garbage",
        "wrong-type",
        "wrong-shape",
        "deep-nesting",
        "number-for-string",
        "array-for-string",
    ],
)
def test_malformed_answer_raises_invalid_response_error(content_type: str, body: bytes) -> None:
    """A 200 that is not what the contract says is an InvalidResponseError, never a raw error."""
    api = client(
        lambda r: httpx.Response(200, headers={"Content-Type": content_type}, content=body)
    )
    with pytest.raises(errors.InvalidResponseError, match="not what the contract describes"):
        api.task("1").get_info()


def test_unparseable_date_shows_as_unknown() -> None:
    """A date the client cannot read is shown as unknown (None), not an error."""
    body = json.dumps({**TASK, "create_time": "yesterday"}).encode()
    api = client(
        lambda r: httpx.Response(200, headers={"Content-Type": "application/json"}, content=body)
    )
    assert api.task("1").get_info().create_time is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.binary(max_size=2000)
    | st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=30,
    ).map(lambda v: json.dumps(v).encode())
)
def test_any_answer_gives_a_result_or_an_inductiva_error(body: bytes) -> None:
    """Whatever a server answers with 200, every call returns or raises an InductivaError."""
    api = client(
        lambda r: httpx.Response(200, headers={"Content-Type": "application/json"}, content=body)
    )
    task = api.task("1")
    for call in (task.get_info, task.get_status, task.get_output_files_info):
        with contextlib.suppress(errors.InductivaError):
            call()
