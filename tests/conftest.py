"""Session fixtures: the local mock server and Stoplight Prism."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from inductiva_mock.launcher import MockServer, free_port

REPO = Path(__file__).resolve().parents[1]
PRISM = REPO / "node_modules" / ".bin" / "prism"
TEST_KEYS = ("test-key", "other-key")


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
