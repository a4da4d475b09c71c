"""_submit.register and _capabilities.offers on httpx.MockTransport: a submission is re-sent
only where provably safe (connection never made, 429; or any retryable failure when the server
declares idempotency-key in GET /version), always with one fresh Idempotency-Key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from inductiva._retry import RetryPolicy
from inductiva_api import contract

import inductiva
from inductiva import _capabilities, _client, _submit, errors

TASK_ID = "1691150776862178362"
ALL_EXTENSIONS = sorted(contract.EXTENSIONS)


class Server:
    """GET /version per ``extensions`` (None: 404), POST /tasks/submit from a script, then 202."""

    def __init__(self, extensions: list[str] | None, *submit_steps: httpx.Response | Exception):
        self.extensions = extensions
        self.version_status = 200
        self.steps = list(submit_steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/version":
            if self.extensions is None:
                return httpx.Response(404, json={"detail": "Not Found"})
            if self.version_status != 200:
                return httpx.Response(self.version_status, json={"detail": "down"})
            body = {"version": "1", "api_version": "0.5.0", "extensions": self.extensions}
            return httpx.Response(200, json=body)
        assert (request.method, request.url.path) == ("POST", "/tasks/submit")
        if self.steps:
            step = self.steps.pop(0)
            if isinstance(step, Exception):
                raise step
            return step
        return httpx.Response(202, json={"id": TASK_ID, "status": "pending-input"})

    def submits(self) -> list[httpx.Request]:
        """The submit requests received."""
        return [r for r in self.requests if r.url.path == "/tasks/submit"]

    def version_requests(self) -> int:
        """How many times GET /version was asked."""
        return sum(r.url.path == "/version" for r in self.requests)


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[Server]]:
    """Install a Server (no backoff sleeps, 3 retries) behind the shared client."""
    monkeypatch.setattr(inductiva, "api_key", "test-key")
    monkeypatch.setattr(inductiva, "api_url", "http://api")
    monkeypatch.setattr(inductiva, "max_retries", 3)
    monkeypatch.setattr(RetryPolicy, "delay", lambda self, attempt, retry_after=None: 0.0)

    class Installed(Server):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            _client.set_transport(httpx.MockTransport(self))

    yield Installed
    _client.set_transport()


def _register() -> str:
    return _submit.register("test.synthetic.run_simulation", {"sim_dir": "sim_dir"}, None)


def _keys(server: Server) -> list[str]:
    return [r.headers["Idempotency-Key"] for r in server.submits()]


def test_register_sends_the_task_request_with_a_fresh_key(serve: type[Server]) -> None:
    """register() posts TaskRequest {method, params} and returns the id; each call, a new key."""
    server = serve(ALL_EXTENSIONS)
    assert _register() == TASK_ID and _register() == TASK_ID
    body = json.loads(server.submits()[0].content)
    assert body == {"method": "test.synthetic.run_simulation", "params": {"sim_dir": "sim_dir"}}
    keys = _keys(server)
    assert len(keys) == 2 and keys[0] != keys[1] and all(keys)


@pytest.mark.parametrize("extensions", [None, [], ALL_EXTENSIONS], ids=["404", "none", "all"])
@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), httpx.Response(429)],
    ids=["connect-error", "connect-timeout", "429"],
)
def test_never_sent_or_refused_submission_is_retried_for_any_server(
    serve: type[Server], extensions: list[str] | None, failure: httpx.Response | Exception
) -> None:
    """A connection never made, or a 429, is re-sent (same key) whatever the server declares."""
    if isinstance(failure, httpx.Response):
        failure = httpx.Response(429, headers={"Retry-After": "0"}, json={"detail": "slow down"})
    server = serve(extensions, failure)
    assert _register() == TASK_ID
    keys = _keys(server)
    assert len(keys) == 2 and keys[0] == keys[1]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(503, json={"detail": "busy"}),
        httpx.Response(502, json={"detail": "bad gateway"}),
        httpx.ReadError("reset"),
        httpx.ReadTimeout("slow"),
    ],
    ids=["503", "502", "read-error", "read-timeout"],
)
def test_unknown_outcome_is_retried_only_when_idempotency_key_is_declared(
    serve: type[Server], failure: httpx.Response | Exception
) -> None:
    """503/502/read failures: re-sent with the same key only if /version lists idempotency-key."""
    server = serve(ALL_EXTENSIONS, failure)
    assert _register() == TASK_ID
    keys = _keys(server)
    assert len(keys) == 2 and keys[0] == keys[1]


@pytest.mark.parametrize("extensions", [None, ["long-poll", "version"]], ids=["404", "other"])
@pytest.mark.parametrize(
    ("failure", "raised"),
    [
        (httpx.Response(503, json={"detail": "busy"}), errors.ServerError),
        (httpx.ReadError("reset"), errors.ApiConnectionError),
        (httpx.ReadTimeout("slow"), errors.ApiTimeoutError),
    ],
    ids=["503", "read-error", "read-timeout"],
)
def test_unknown_outcome_is_never_retried_without_declared_idempotency(
    serve: type[Server],
    extensions: list[str] | None,
    failure: httpx.Response | Exception,
    raised: type[Exception],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without idempotency-key in /version, an ambiguous failure is raised after one request."""
    server = serve(extensions, failure)
    with pytest.raises(raised):
        _register()
    assert len(server.submits()) == 1
    assert "not re-sent" in caplog.text


def test_retries_are_bounded_by_max_retries(serve: type[Server]) -> None:
    """Even a server that declares idempotency-key gets at most max_retries + 1 submissions."""
    server = serve(ALL_EXTENSIONS, *[httpx.Response(503, json={"detail": "x"})] * 10)
    with pytest.raises(errors.ServerError):
        _register()
    assert len(server.submits()) == 4


def test_version_is_asked_once_per_client_and_again_after_reset(serve: type[Server]) -> None:
    """offers() caches /version per built client; reset() (new settings) forgets it."""
    server = serve(ALL_EXTENSIONS)
    assert _capabilities.offers("idempotency-key") and _capabilities.offers("long-poll")
    _register()
    assert server.version_requests() == 1
    transport = httpx.MockTransport(server)
    _client.set_transport(transport)
    assert not _capabilities.offers("teleport")
    assert server.version_requests() == 2


def test_version_404_means_no_extensions_and_is_cached(serve: type[Server]) -> None:
    """A server without /version (404) offers nothing; it is asked only once."""
    server = serve(None)
    assert not _capabilities.offers("idempotency-key")
    assert not _capabilities.offers("long-poll")
    assert server.version_requests() == 1


def test_transient_version_failure_offers_nothing_but_is_asked_again(serve: type[Server]) -> None:
    """A 5xx on /version counts as no extensions for now, without caching that answer."""
    server = serve(ALL_EXTENSIONS)
    server.version_status = 500
    assert not _capabilities.offers("idempotency-key")
    asked = server.version_requests()
    server.version_status = 200
    assert _capabilities.offers("idempotency-key")
    assert server.version_requests() == asked + 1


def test_async_offers_reads_the_same_answer(serve: type[Server]) -> None:
    """aoffers() asks /version through the loop's client and caches it there."""
    import asyncio

    server = serve(ALL_EXTENSIONS)
    _client.set_transport(httpx.MockTransport(server), httpx.MockTransport(server))

    async def main() -> tuple[bool, bool]:
        return await _capabilities.aoffers("byte-ranges"), await _capabilities.aoffers("nope")

    assert asyncio.run(main()) == (True, False)
    assert server.version_requests() == 1
