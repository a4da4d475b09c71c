"""pytest plugin of the Inductiva mock server (entry point `pytest11`, installed with the
`mock` extra): fixtures for contract tests of code built on the `inductiva` client.

Nothing happens at import or collection: the server starts the first time a test uses
one of the fixtures, once per session, and stops at the end of the session.

* `inductiva_mock_server` (session): the running `MockServer`, state shared by every test.
* `inductiva_mock` (function): the same server after a reset (no tasks, no faults, zeroed
  counters, startup legacy mode): handles `set_faults`, `clear_faults`, `set_legacy`,
  `seed`, `finish_task`, `fail_task`, `hang_task`, `stats`, `url`, `api_key`.
* `inductiva_mock_url` / `inductiva_api_key`: its URL and an API key it accepts.
* `inductiva_client`: an `inductiva.Client` bound to the mock (its URL and API key),
  closed afterwards; the module settings are left alone.
* `inductiva_configured`: the `inductiva` package's module settings (`api_url`, `api_key`)
  pointed at the mock, for code that uses the module-level API; restored afterwards.
* `inductiva_mock_legacy`: `inductiva_mock` in legacy mode (the real API only).

`--inductiva-mock-legacy` starts the session server in legacy mode, and
`--inductiva-mock-arg=ARG` (repeatable) passes an option to the server.
"""

from __future__ import annotations

import importlib
import secrets
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from .launcher import MockServer

__all__ = [
    "inductiva_api_key",
    "inductiva_client",
    "inductiva_configured",
    "inductiva_mock",
    "inductiva_mock_legacy",
    "inductiva_mock_server",
    "inductiva_mock_url",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    """The plugin's command-line options."""
    group = parser.getgroup("inductiva-mock", "Inductiva mock server")
    group.addoption(
        "--inductiva-mock-legacy",
        action="store_true",
        default=False,
        help="Start the session mock in legacy mode (every extension off)",
    )
    group.addoption(
        "--inductiva-mock-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="Extra option of the session mock server (e.g. --inductiva-mock-arg=--legacy)",
    )


@pytest.fixture(scope="session")
def inductiva_mock_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MockServer]:
    """The session's mock server (started on first use): admin on behind a fresh token, one
    fresh API key, its own data directory under pytest's temp dir."""
    server = MockServer(
        data_dir=tmp_path_factory.mktemp("inductiva-mock"),
        api_keys=(f"mock-{secrets.token_urlsafe(16)}",),
        admin=True,
        legacy=bool(request.config.getoption("--inductiva-mock-legacy")),
        extra_args=list(request.config.getoption("--inductiva-mock-arg")),
    )
    with server:
        yield server


@pytest.fixture
def inductiva_mock(inductiva_mock_server: MockServer) -> MockServer:
    """The session mock server, reset for this test: no tasks, startup faults and mode."""
    inductiva_mock_server.reset()
    return inductiva_mock_server


@pytest.fixture
def inductiva_mock_legacy(inductiva_mock: MockServer) -> Iterator[MockServer]:
    """`inductiva_mock` switched to legacy mode (the real API only) for this test."""
    inductiva_mock.set_legacy(True)
    try:
        yield inductiva_mock
    finally:
        inductiva_mock.set_legacy(False)


@pytest.fixture
def inductiva_mock_url(inductiva_mock: MockServer) -> str:
    """Base URL of the (reset) mock server, e.g. http://127.0.0.1:PORT."""
    return inductiva_mock.url


@pytest.fixture
def inductiva_api_key(inductiva_mock: MockServer) -> str:
    """An API key the mock server accepts."""
    return inductiva_mock.api_key


@pytest.fixture
def inductiva_client(inductiva_mock: MockServer) -> Iterator[Any]:
    """An `inductiva.Client` bound to the (reset) mock: its URL and an API key it accepts.

    Its connections are closed after the test; `inductiva.api_url`/`api_key` are not touched.
    """
    # Imported here: the mock does not depend on the client (only this fixture uses it).
    inductiva = importlib.import_module("inductiva")
    client = inductiva.Client(api_key=inductiva_mock.api_key, api_url=inductiva_mock.url)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def inductiva_configured(inductiva_mock: MockServer) -> Iterator[ModuleType]:
    """The `inductiva` package with `api_url`/`api_key` pointed at the mock (the module-level
    API: `inductiva.tasks.get`, `inductiva.Task(...)`); both restored after the test, and the
    default client's connections closed before and after."""
    inductiva = importlib.import_module("inductiva")
    default = importlib.import_module("inductiva._http")
    saved = {name: getattr(inductiva, name) for name in ("api_url", "api_key")}
    inductiva.api_url = inductiva_mock.url  # type: ignore[attr-defined]
    inductiva.api_key = inductiva_mock.api_key  # type: ignore[attr-defined]
    default.reset()
    try:
        yield inductiva
    finally:
        for name, value in saved.items():
            setattr(inductiva, name, value)
        default.reset()
