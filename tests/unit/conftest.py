"""Unit-test fixtures shared by several files."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from http_script import Script

import inductiva
from inductiva import _http


@pytest.fixture
def scripted_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Script], None]]:
    """Point the default client (blocking and asyncio) at a scripted MockTransport."""
    monkeypatch.setattr(inductiva, "api_key", "test-key")
    monkeypatch.setattr(inductiva, "api_url", "http://api")
    for name in ("INDUCTIVA_MAX_RETRIES", "INDUCTIVA_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)

    def use(script: Script) -> None:
        _http.set_transport(httpx.MockTransport(script), httpx.MockTransport(script))

    yield use
    _http.set_transport()


@pytest.fixture(params=["sync", "async"])
def driver(request: pytest.FixtureRequest) -> str:
    """The flow driver a test runs with: ``"sync"`` (HttpCore.run) or ``"async"`` (run_async)."""
    name: str = request.param
    return name


@pytest.fixture
def download(driver: str) -> Callable[..., object]:
    """``download(task_id, **kwargs)``: the download flow, run with the ``driver`` fixture."""
    from transfer_fakes import downloader

    return downloader(driver)
