"""Shared fixtures: isolation of every test, the drivers, the local mock server and Prism."""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from inductiva_mock.launcher import MockServer, free_port

REPO = Path(__file__).resolve().parents[1]
PRISM = REPO / "node_modules" / ".bin" / "prism"
TEST_KEYS = ("test-key", "other-key")
SETTINGS = (
    "api_key",
    "api_url",
    "timeout",
    "max_retries",
    "progress",
    "max_extract_size",
    "max_compression_ratio",
    "download_connections",
    "max_response_bytes",
)
"""Every ``inductiva.<name>`` setting (and ``INDUCTIVA_<NAME>`` variable) a client reads."""
LOGGERS = ("inductiva", "httpx", "httpcore")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts from unset settings and leaves nothing behind, in any order.

    ``inductiva.<setting>`` is None and ``INDUCTIVA_<SETTING>`` unset (a value a test
    sets, with or without monkeypatch, is undone); the once-per-process warnings are
    forgotten; the default client's transports and pools, and the loggers' levels and
    handlers, are restored afterwards.
    """
    import inductiva
    from inductiva import _capabilities, _http, _task_info
    from inductiva._http import _settings

    for name in SETTINGS:
        monkeypatch.setattr(inductiva, name, None, raising=False)
        monkeypatch.delenv(f"INDUCTIVA_{name.upper()}", raising=False)
    monkeypatch.delenv("INDUCTIVA_LOG", raising=False)
    monkeypatch.setattr(_settings, "_warned_plain_http", set())
    monkeypatch.setattr(_capabilities, "_warned_versions", set())
    monkeypatch.setattr(_task_info, "_warned_unknown", set())
    loggers = [logging.getLogger(name) for name in LOGGERS]
    saved = [(lg.level, list(lg.handlers), lg.propagate) for lg in loggers]
    _http.set_transport()
    try:
        yield
    finally:
        _http.set_transport()
        for logger, (level, handlers, propagate) in zip(loggers, saved, strict=True):
            logger.setLevel(level)
            logger.handlers[:] = handlers
            logger.propagate = propagate


@pytest.fixture(params=["sync", "async"])
def driver(request: pytest.FixtureRequest) -> str:
    """The flow driver a test runs with: ``"sync"`` (blocking) or ``"async"`` (asyncio)."""
    name: str = request.param
    return name


def twin_async(function: Callable[..., Any]) -> Callable[..., Any]:
    """The coroutine function of ``function``'s name + ``_async`` (the async naming rule)."""
    owner = getattr(function, "__self__", None)
    if owner is None:
        owner = sys.modules[function.__module__]
    twin: Callable[..., Any] = getattr(owner, f"{function.__name__}_async")
    return twin


Run = Callable[..., Any]


@pytest.fixture
def run(driver: str) -> Run:
    """``run(obj.method, *args, **kwargs)`` calls the blocking method (driver ``sync``),
    or ``asyncio.run``s its ``_async`` twin (``async``): one test, both APIs."""

    def call(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if driver == "sync":
            return function(*args, **kwargs)
        return asyncio.run(twin_async(function)(*args, **kwargs))

    return call


def _session_server(
    tmp_path_factory: pytest.TempPathFactory, name: str, *, legacy: bool
) -> Iterator[MockServer]:
    server = MockServer(
        data_dir=tmp_path_factory.mktemp(name),
        api_keys=TEST_KEYS,
        admin=True,
        extra_args=["--kill-grace-seconds", "1"],
        legacy=legacy,
        strict_responses=True,
    )
    server.start()
    try:
        yield server
        errors = server.stats().get("response_validation_errors", [])
        assert not errors, f"the mock answered responses violating openapi.yaml: {errors}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def mock_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    """The default-mode mock (every extension on) for the whole session.

    Keys test-key/other-key, admin on, responses validated strictly (unknown
    properties rejected).
    """
    yield from _session_server(tmp_path_factory, "mock-data", legacy=False)


@pytest.fixture(scope="session")
def legacy_mock_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    """The legacy-mode mock (every extension off: the real API only), same keys and admin."""
    yield from _session_server(tmp_path_factory, "mock-legacy-data", legacy=True)


@pytest.fixture(params=["default", "legacy"])
def any_mock_server(request: pytest.FixtureRequest) -> MockServer:
    """The default-mode and the legacy-mode session mock, one test run each."""
    name = "mock_server" if request.param == "default" else "legacy_mock_server"
    server: MockServer = request.getfixturevalue(name)
    return server


@pytest.fixture
def clean_faults(mock_server: MockServer) -> Iterator[MockServer]:
    """The session mock server, with every fault cleared after the test."""
    try:
        yield mock_server
    finally:
        mock_server.clear_faults()


def _wait_port(host: str, port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"prism exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError("prism did not start listening in time")


@pytest.fixture(scope="session")
def prism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of Stoplight Prism mocking openapi.yaml (skipped when node_modules lacks it)."""
    if not PRISM.exists() or shutil.which("node") is None:
        pytest.skip("Stoplight Prism is not installed: run `make install` (npm ci) first")
    port = free_port()
    log = (tmp_path_factory.mktemp("prism") / "prism.log").open("wb")
    proc = subprocess.Popen(
        [str(PRISM), "mock", str(REPO / "openapi.yaml"), "-h", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=REPO,
    )
    try:
        _wait_port("127.0.0.1", port, proc, 60.0)
        url = f"http://127.0.0.1:{port}"
        httpx.get(f"{url}/version", timeout=10.0)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
