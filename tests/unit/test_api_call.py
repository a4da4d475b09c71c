"""inductiva.api, the escape hatch: any generated endpoint through a client (call/call_async,
client/async_client), and the single version of the project."""

from __future__ import annotations

import asyncio
import importlib.metadata
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import yaml
from inductiva_api import AuthenticatedClient
from inductiva_api.api.tasks import get_task
from task_fakes import Run

import inductiva
from inductiva import _http, errors

ROOT = Path(__file__).resolve().parents[2]
TASK = {"task_id": "1", "status": "started", "method_name": "synthetic.run", "future": 1}
Handler = Callable[[httpx.Request], httpx.Response]
Api = Callable[[Handler], list[httpx.Request]]


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Api:
    """Install a handler behind the default client; returns the list of requests it saw."""
    monkeypatch.setattr(inductiva, "api_key", "k")
    monkeypatch.setattr(inductiva, "api_url", "http://api.invalid")
    monkeypatch.setattr(inductiva, "max_retries", 0)
    seen: list[httpx.Request] = []

    def use(handler: Handler) -> list[httpx.Request]:
        def record(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return handler(request)

        _http.set_transport(httpx.MockTransport(record), httpx.MockTransport(record))
        return seen

    return use


def test_escape_hatch_calls_any_endpoint_with_the_configured_client(api: Api, run: Run) -> None:
    """inductiva.api.call / call_async run a generated endpoint with the settings and key."""
    seen = api(lambda r: httpx.Response(200, json=TASK))
    model = run(inductiva.api.call, get_task.sync_detailed, task_id="1")
    assert model.task_id == "1" and model.additional_properties == {"future": 1}
    assert seen[0].headers["X-API-Key"] == "k" and seen[0].url.path == "/tasks/1"
    assert isinstance(inductiva.api.client(), AuthenticatedClient)


def test_escape_hatch_raises_the_layers_errors(api: Api, run: Run) -> None:
    """Errors from an endpoint called through the hatch are inductiva.errors exceptions."""
    api(lambda r: httpx.Response(404, json={"detail": "no such task"}))
    with pytest.raises(errors.NotFoundError, match="no such task"):
        run(inductiva.api.call, get_task.sync_detailed, task_id="1")


def test_async_client_is_the_running_loops(api: Api) -> None:
    """inductiva.api.async_client() is the generated client of the running loop's pool."""

    async def main() -> AuthenticatedClient:
        first = inductiva.api.async_client()
        assert inductiva.api.async_client() is first
        return first

    assert isinstance(asyncio.run(main()), AuthenticatedClient)


def test_a_clients_api_goes_through_that_client(api: Api, run: Run) -> None:
    """client.api.call / call_async use the client's key and transport, not the default's."""
    default_seen = api(lambda r: httpx.Response(500))
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=TASK)

    transport = httpx.MockTransport(handler)
    own = inductiva.Client(
        "own-key", "http://own.test", transport=transport, async_transport=transport
    )
    with own as client:
        model = run(client.api.call, get_task.sync_detailed, task_id="1")
        assert client.api.client() is not inductiva.api.client()
    assert model.task_id == "1" and default_seen == []
    assert seen[0].headers["X-API-Key"] == "own-key" and seen[0].url.host == "own.test"


def test_one_version_everywhere(api: Api) -> None:
    """info.version = package version = distribution metadata = the User-Agent's version."""
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    version = str(spec["info"]["version"])
    assert inductiva.__version__ == version
    assert importlib.metadata.version("inductiva-tasks") == version
    import inductiva_mock

    assert inductiva_mock.__version__ == version
    seen = api(lambda r: httpx.Response(200, json=TASK))
    inductiva.api.call(get_task.sync_detailed, task_id="1")
    assert seen[0].headers["User-Agent"] == f"inductiva-python/{version}"


def test_generated_package_ships_py_typed() -> None:
    """The generated package is marked typed (PEP 561)."""
    assert (ROOT / "generated" / "inductiva_api" / "py.typed").is_file()
