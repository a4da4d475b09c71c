"""inductiva._capabilities: the extensions a server declares in GET /version, asked once per
connection pool (blocking and asyncio), and the warning about an incompatible API version."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import httpx
import pytest
from task_fakes import Run

import inductiva
from inductiva import _capabilities, _http
from inductiva._http import default_core

ALL_EXTENSIONS = ["long-poll", "byte-ranges", "idempotency-key", "version", "error-codes"]


class Server:
    """GET /version per ``extensions`` (None: 404) or ``body``, with a settable status."""

    def __init__(self, extensions: list[str] | None, body: object = None) -> None:
        self.extensions = extensions
        self.body = body
        self.version_status = 200
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert request.url.path == "/version"
        if self.body is not None:
            return httpx.Response(200, json=self.body)
        if self.extensions is None:
            return httpx.Response(404, json={"detail": "Not Found"})
        if self.version_status != 200:
            return httpx.Response(self.version_status, json={"detail": "down"})
        body = {"version": "1", "api_version": inductiva.__version__, "extensions": self.extensions}
        return httpx.Response(200, json=body)

    def version_requests(self) -> int:
        """How many times GET /version was asked."""
        return sum(r.url.path == "/version" for r in self.requests)


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Server]:
    """Install a Server behind the default client (blocking and asyncio), no retries."""
    monkeypatch.setattr(inductiva, "api_key", "test-key")
    monkeypatch.setattr(inductiva, "api_url", "http://127.0.0.1:9")  # loopback: no http warning
    monkeypatch.setattr(inductiva, "max_retries", 0)

    def install(*args: object) -> Server:
        server = Server(*args)  # type: ignore[arg-type]
        _http.set_transport(httpx.MockTransport(server), httpx.MockTransport(server))
        return server

    return install


def _offers(run: Run, name: str) -> bool:
    return bool(run(default_core().run, _capabilities.offers(name)))


def test_declared_extensions_are_offered(serve: Callable[..., Server], run: Run) -> None:
    """offers(name) is True for each name /version lists, False for any other."""
    serve(ALL_EXTENSIONS)
    assert _offers(run, "idempotency-key") and _offers(run, "byte-ranges")
    assert not _offers(run, "teleport")


def test_version_is_asked_once_per_pool_and_again_after_reset(
    serve: Callable[..., Server],
) -> None:
    """offers() caches /version per connection pool; a new pool (reset) asks again."""
    server = serve(ALL_EXTENSIONS)
    core = default_core()
    assert core.run(_capabilities.offers("idempotency-key"))
    assert core.run(_capabilities.offers("long-poll"))
    assert server.version_requests() == 1
    _http.reset()
    assert not core.run(_capabilities.offers("teleport"))
    assert server.version_requests() == 2


def test_version_404_means_no_extensions_and_is_cached(serve: Callable[..., Server]) -> None:
    """A server without /version (404) offers nothing; it is asked only once."""
    server = serve(None)
    core = default_core()
    assert not core.run(_capabilities.offers("idempotency-key"))
    assert not core.run(_capabilities.offers("long-poll"))
    assert server.version_requests() == 1


def test_version_of_another_shape_means_no_extensions_and_is_cached(
    serve: Callable[..., Server],
) -> None:
    """The real API's own GET /version ({"version": ...}) declares nothing; asked only once."""
    server = serve(None, {"version": "0.3.10"})
    core = default_core()
    assert not core.run(_capabilities.offers("long-poll"))
    assert not core.run(_capabilities.offers("byte-ranges"))
    assert server.version_requests() == 1


def test_transient_version_failure_offers_nothing_but_is_asked_again(
    serve: Callable[..., Server],
) -> None:
    """A 5xx on /version counts as no extensions for now, without caching that answer."""
    server = serve(ALL_EXTENSIONS)
    server.version_status = 500
    core = default_core()
    assert not core.run(_capabilities.offers("idempotency-key"))
    asked = server.version_requests()
    server.version_status = 200
    assert core.run(_capabilities.offers("idempotency-key"))
    assert server.version_requests() == asked + 1


def test_async_offers_asks_once_per_loop_pool(serve: Callable[..., Server]) -> None:
    """Under asyncio, /version is asked through the loop's pool and cached there."""
    server = serve(ALL_EXTENSIONS)
    core = default_core()

    async def main() -> tuple[bool, bool]:
        first = await core.run_async(_capabilities.offers("byte-ranges"))
        return first, await core.run_async(_capabilities.offers("nope"))

    assert asyncio.run(main()) == (True, False)
    assert server.version_requests() == 1


def test_concurrent_flows_share_one_version_request(serve: Callable[..., Server]) -> None:
    """Flows asking at once wait for the one /version request in flight."""
    server = serve(ALL_EXTENSIONS)
    core = default_core()

    async def main() -> list[bool]:
        asks = (core.run_async(_capabilities.offers("long-poll")) for _ in range(20))
        return list(await asyncio.gather(*asks))

    assert asyncio.run(main()) == [True] * 20
    assert server.version_requests() == 1


def test_each_client_asks_its_own_server() -> None:
    """Two clients to two servers: each learns its own server's extensions."""
    modern, legacy = Server(ALL_EXTENSIONS), Server(None)
    a = inductiva.Client("k", "http://a.test", transport=httpx.MockTransport(modern))
    b = inductiva.Client("k", "http://b.test", transport=httpx.MockTransport(legacy))
    assert a._core.run(_capabilities.offers("byte-ranges"))
    assert not b._core.run(_capabilities.offers("byte-ranges"))
    assert a._core.run(_capabilities.offers("long-poll"))
    assert (modern.version_requests(), legacy.version_requests()) == (1, 1)


@pytest.mark.parametrize(
    ("theirs", "warns"),
    [
        ("0.6.0", False),
        ("0.6.7", False),
        ("0.7.0", True),
        ("0.5.0", True),
        ("1.0.0", True),
        ("x", False),
    ],
)
def test_incompatible_server_api_version_warns_once(
    serve: Callable[..., Server], caplog: pytest.LogCaptureFixture, theirs: str, warns: bool
) -> None:
    """A server whose /version api_version differs in major (0.x: minor) is warned about once."""
    serve(None, {"version": "s", "api_version": theirs, "extensions": []})
    with caplog.at_level(logging.WARNING, logger="inductiva"):
        default_core().run(_capabilities.extensions())
        _http.reset()
        default_core().run(_capabilities.extensions())
    warnings = [r for r in caplog.records if "incompatible version" in r.getMessage()]
    assert len(warnings) == (1 if warns else 0)


def test_server_without_version_endpoint_is_silent(
    serve: Callable[..., Server], caplog: pytest.LogCaptureFixture
) -> None:
    """The real API answers /version with 404: no extension, no warning."""
    serve(None)
    with caplog.at_level(logging.WARNING, logger="inductiva"):
        assert default_core().run(_capabilities.extensions()) == frozenset()
    assert not caplog.records
