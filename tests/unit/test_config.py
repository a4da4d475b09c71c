"""Configuration: inductiva.api_key/api_url and INDUCTIVA_* env, resolved on use; one pool."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from task_fakes import FakeApi, installed

import inductiva
from inductiva import _client, errors


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
    """The in-memory API behind the shared client."""
    yield from installed(monkeypatch)


@pytest.fixture
def clean_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No settings from module attributes or the environment; a fresh client after."""
    for name in ("api_key", "api_url", "timeout", "max_retries"):
        monkeypatch.setattr(inductiva, name, None)
        monkeypatch.delenv(f"INDUCTIVA_{name.upper()}", raising=False)
    _client.reset()
    yield
    _client.reset()


def test_env_settings_are_used(clean_settings: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """INDUCTIVA_API_KEY / INDUCTIVA_API_URL configure the client."""
    monkeypatch.setenv("INDUCTIVA_API_KEY", "env-key")
    monkeypatch.setenv("INDUCTIVA_API_URL", "http://env.test/")
    settings = _client.resolve_settings()
    assert (settings.api_key, settings.api_url) == ("env-key", "http://env.test")


def test_module_attributes_beat_env(clean_settings: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """inductiva.api_key / api_url win over the environment."""
    monkeypatch.setenv("INDUCTIVA_API_KEY", "env-key")
    monkeypatch.setattr(inductiva, "api_key", "attr-key")
    monkeypatch.setattr(inductiva, "api_url", "http://attr.test")
    settings = _client.resolve_settings()
    assert (settings.api_key, settings.api_url) == ("attr-key", "http://attr.test")


def test_settings_apply_when_requests_are_made(
    clean_settings: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Changing inductiva.api_key after import takes effect on the next request."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.url.host} {request.headers['X-API-Key']}")
        return httpx.Response(200, json={"id": "1", "status": "started"})

    _client.set_transport(httpx.MockTransport(handler))
    monkeypatch.setattr(inductiva, "api_url", "http://one.test")
    monkeypatch.setattr(inductiva, "api_key", "k1")
    inductiva.Task("1").get_status()
    monkeypatch.setattr(inductiva, "api_key", "k2")
    inductiva.Task("1").get_status()
    _client.set_transport()
    assert seen == ["one.test k1", "one.test k2"]


def test_missing_key_says_what_to_do(clean_settings: None) -> None:
    """Without an API key, the first request fails telling how to set one."""
    with pytest.raises(errors.AuthenticationError, match="INDUCTIVA_API_KEY"):
        inductiva.Task("1").get_status()


def test_import_does_no_io() -> None:
    """Importing inductiva reads no settings and builds no client (no sockets)."""
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise AssertionError('network used at import')\n"
        "socket.socket.connect = refuse\n"
        "import inductiva, inductiva._client as c\n"
        "assert c._DEFAULT.sync_entry is None and not c._async\n"
        "print('ok')\n"
    )
    env = {"INDUCTIVA_API_URL": "not a url", "PATH": ""}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_two_thousand_tasks_share_one_pool(
    fake_api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """2,000 Task objects making requests use one httpx.Client (one connection pool)."""
    built: list[object] = []

    class Counting(httpx.Client):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            built.append(self)

    monkeypatch.setattr(_client.httpx, "Client", Counting)
    for i in range(2000):
        fake_api.add(str(i), "started")
    tasks = [inductiva.Task(str(i)) for i in range(2000)]
    assert {t.get_status() for t in tasks} == {"started"}
    assert len(built) == 1 and len(fake_api.requests) == 2000
