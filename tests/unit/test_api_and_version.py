"""The public escape hatch (inductiva.api), the single version, and the server version check."""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from inductiva_api import AuthenticatedClient
from inductiva_api.api.tasks import get_task

import inductiva
from inductiva import _capabilities, _client, errors

ROOT = Path(__file__).resolve().parents[2]
TASK = {"task_id": "1", "status": "started", "method_name": "synthetic.run", "future": 1}
Handler = Callable[[httpx.Request], httpx.Response]
Api = Callable[[Handler], list[httpx.Request]]


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """Install a handler behind the shared clients; returns the list of requests it saw."""
    monkeypatch.setattr(inductiva, "api_key", "k")
    monkeypatch.setattr(inductiva, "api_url", "http://api.invalid")
    monkeypatch.setattr(inductiva, "max_retries", 0)
    seen: list[httpx.Request] = []

    def use(handler: Handler) -> list[httpx.Request]:
        def record(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return handler(request)

        _client.set_transport(httpx.MockTransport(record), httpx.MockTransport(record))
        return seen

    yield use
    _client.set_transport()


def test_escape_hatch_calls_any_endpoint_with_the_configured_client(api: Api) -> None:
    """inductiva.api.call runs a generated endpoint with the settings, key and user agent."""
    seen = api(lambda r: httpx.Response(200, json=TASK))
    model = inductiva.api.call(get_task.sync_detailed, task_id="1")
    assert model.task_id == "1" and model.additional_properties == {"future": 1}
    assert seen[0].headers["X-API-Key"] == "k" and seen[0].url.path == "/tasks/1"
    assert isinstance(inductiva.api.client(), AuthenticatedClient)


def test_escape_hatch_raises_the_layers_errors_sync_and_async(api: Api) -> None:
    """Errors from an endpoint called through the hatch are inductiva.errors exceptions."""
    api(lambda r: httpx.Response(404, json={"detail": "no such task"}))
    with pytest.raises(errors.NotFoundError, match="no such task"):
        inductiva.api.call(get_task.sync_detailed, task_id="1")

    async def main() -> None:
        assert isinstance(inductiva.api.async_client(), AuthenticatedClient)
        await inductiva.api.acall(get_task.asyncio_detailed, task_id="1")

    with pytest.raises(errors.NotFoundError):
        asyncio.run(main())


def test_one_version_everywhere(api: Api) -> None:
    """info.version = package version = distribution metadata = the User-Agent's version."""
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    version = str(spec["info"]["version"])
    assert inductiva.__version__ == version
    assert importlib.metadata.version("inductiva") == version
    import inductiva_mock

    assert inductiva_mock.__version__ == version
    seen = api(lambda r: httpx.Response(200, json=TASK))
    inductiva.api.call(get_task.sync_detailed, task_id="1")
    assert seen[0].headers["User-Agent"] == f"inductiva-python/{version}"


def test_generated_package_ships_py_typed() -> None:
    """The generated package is marked typed (PEP 561)."""
    assert (ROOT / "generated" / "inductiva_api" / "py.typed").is_file()


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
    api: Api, caplog: pytest.LogCaptureFixture, theirs: str, warns: bool
) -> None:
    """A server whose /version api_version differs in major (0.x: minor) is warned about once."""
    _capabilities._warned_versions.clear()
    body = {"version": "s", "api_version": theirs, "extensions": []}
    api(lambda r: httpx.Response(200, json=body))
    with caplog.at_level(logging.WARNING, logger="inductiva"):
        _capabilities.extensions()
        _client.reset()
        _capabilities.extensions()
    warnings = [r for r in caplog.records if "incompatible version" in r.getMessage()]
    assert len(warnings) == (1 if warns else 0)


def test_server_without_version_endpoint_is_silent(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    """The real API answers /version with 404: no extension, no warning."""
    api(lambda r: httpx.Response(404, json={"detail": "Not Found"}))
    with caplog.at_level(logging.WARNING, logger="inductiva"):
        assert _capabilities.extensions() == frozenset()
    assert not caplog.records
