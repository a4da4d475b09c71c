"""A broken or hostile server, played by the mock's fault modes, against explicit clients
(blocking and asyncio): memory and time stay bounded, every failure is an InductivaError, no
secret appears anywhere, and nothing of a bad archive is kept."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from inductiva_mock.launcher import MockServer

import inductiva
from inductiva import errors

pytestmark = pytest.mark.contract

KEY = "test-key"
CANARY = f"canary-key-{secrets.token_hex(8)}"
PASSWORD = f"canary-pw-{secrets.token_hex(8)}"
SCRIPT = Path(sys.executable).with_name("inductiva")
MB = 1_000_000


@pytest.fixture(params=["sync", "async"])
def driver(request: pytest.FixtureRequest) -> str:
    """The blocking (``Client``) or the asyncio (``AsyncClient``) API."""
    name: str = request.param
    return name


@pytest.fixture(params=["default", "legacy"])
def server(request: pytest.FixtureRequest) -> Iterator[MockServer]:
    """Each session mock (default and legacy mode), its faults cleared after the test."""
    name = "mock_server" if request.param == "default" else "legacy_mock_server"
    mock: MockServer = request.getfixturevalue(name)
    try:
        yield mock
    finally:
        mock.clear_faults()


@pytest.fixture
def default(clean_faults: MockServer) -> MockServer:
    """The default-mode session mock, its faults cleared after the test."""
    return clean_faults


def finished_task(server: MockServer) -> str:
    """A task of ``test-key`` that succeeded with a few output files."""
    answer = httpx.post(
        f"{server.url}/tasks/submit",
        headers={"X-API-Key": KEY},
        json={"method": "test.synthetic.run_simulation", "params": {}},
    )
    task_id: str = answer.json()["id"]
    server.finish_task(task_id, stdout="done\n", files={"a.txt": "a" * 5000, "b.csv": "t,v\n"})
    return task_id


def call(driver: str, task_id: str, method: str, client: dict[str, Any], **kwargs: Any) -> Any:
    """``method(**kwargs)`` of the task on a fresh explicit ``Client`` or ``AsyncClient`` built
    with the options ``client`` (the key defaults to test-key)."""
    options = {"api_key": KEY, "progress": False, **client}
    if driver == "sync":
        with inductiva.Client(**options) as sync_client:
            return getattr(sync_client.task(task_id), method)(**kwargs)

    async def run() -> Any:
        async with inductiva.AsyncClient(**options) as async_client:
            return await getattr(async_client.task(task_id), f"{method}_async")(**kwargs)

    return asyncio.run(run())


def _rss() -> int:
    """This process's resident memory now, in bytes."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


class PeakRss:
    """Samples this process's resident memory every 5 ms; ``growth``: peak minus start."""

    def __init__(self) -> None:
        self.start = self.peak = _rss()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.wait(0.005):
            self.peak = max(self.peak, _rss())

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())

    @property
    def growth(self) -> int:
        """How much the resident memory grew at its highest."""
        return self.peak - self.start


def test_endless_json_answer_is_refused_in_bounded_memory(default: MockServer, driver: str) -> None:
    """A JSON answer that never ends: ResponseTooLargeError, memory growth well under 100 MB."""
    task_id = finished_task(default)
    default.set_faults(endless_body=True, path_regex="/status$")
    with PeakRss() as memory, pytest.raises(errors.ResponseTooLargeError, match="larger than"):
        call(driver, task_id, "get_status", {"api_url": default.url})
    assert memory.growth < 100 * MB, f"grew by {memory.growth / MB:.0f} MB"


def test_trickling_answer_ends_at_the_timeout(default: MockServer, driver: str) -> None:
    """An answer trickling 20 bytes a second: ApiTimeoutError at the call's timeout (1 s)."""
    task_id = finished_task(default)
    default.set_faults(trickle_bytes_per_second=20, path_regex="/status$")
    started = time.monotonic()
    with pytest.raises(errors.ApiTimeoutError, match="timed out"):
        call(driver, task_id, "get_status", {"api_url": default.url, "timeout": 1.0})
    assert time.monotonic() - started < 3.0


@pytest.mark.parametrize("kind", ["html", "not_json", "wrong_types", "deep_nesting"])
@pytest.mark.parametrize("method", ["get_status", "get_info", "get_output_files_info"])
def test_garbage_answer_is_an_invalid_response_error(
    default: MockServer, driver: str, kind: str, method: str
) -> None:
    """A 200 of HTML, non-JSON, wrong types or deep nesting: InvalidResponseError, saying so."""
    task_id = finished_task(default)
    default.set_faults(garbage=kind, path_regex=f"^/tasks/{task_id}")
    with pytest.raises(errors.InvalidResponseError, match="not what the contract describes"):
        call(driver, task_id, method, {"api_url": default.url})


def test_endless_archive_is_refused_and_nothing_kept(
    server: MockServer, driver: str, tmp_path: Path
) -> None:
    """An archive body without Content-Length that never ends: IntegrityError, nothing kept."""
    task_id = finished_task(server)
    server.set_faults(endless_body=True, path_regex="/output$")
    out = tmp_path / "out"
    for uncompress in (False, True):
        with pytest.raises(errors.IntegrityError, match="nothing of it was kept"):
            call(
                driver,
                task_id,
                "download_outputs",
                {"api_url": server.url},
                output_dir=out,
                uncompress=uncompress,
            )
        kept = [p for p in out.rglob("*") if p.is_file()] if out.exists() else []
        assert kept == [], f"kept after a refused archive (uncompress={uncompress}): {kept}"


def _url_with_password(server: MockServer) -> str:
    return server.url.replace("http://", f"http://someone:{PASSWORD}@")


def _assert_no_secret(text: str, where: str) -> None:
    assert CANARY not in text, f"the API key appears in {where}: {text[:2000]}"
    assert PASSWORD not in text, f"the URL password appears in {where}: {text[:2000]}"


ECHOES = {
    "401": ({}, errors.AuthenticationError),
    "429-retried": ({"fail_next": 50, "fail_status": 429, "retry_after": 0}, errors.RateLimitError),
    "503-retried": ({"fail_next": 50, "fail_status": 503, "retry_after": 0}, errors.ServerError),
}


@pytest.mark.parametrize("answer", list(ECHOES))
def test_echoed_secrets_appear_nowhere(
    default: MockServer, driver: str, answer: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A server echoing the key and URL password (401, retried 429/503), DEBUG logs on: neither
    appears in the exception, its chain, its repr or any log record."""
    faults, expected = ECHOES[answer]
    default.set_faults(echo_key=True, **faults)
    for name in ("inductiva", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    options = {"api_url": _url_with_password(default), "api_key": CANARY, "max_retries": 2}
    default.reset_stats()
    with pytest.raises(expected) as raised:
        call(driver, "1", "get_status", options)
    assert default.stats()["requests"] == (1 if answer == "401" else 3)  # retried twice
    echoed = httpx.get(f"{default.url}/tasks", headers={"X-API-Key": CANARY})
    assert CANARY in echoed.text  # the server does echo it
    exc = raised.value
    _assert_no_secret("".join(traceback.format_exception(exc)), "the exception and its chain")
    _assert_no_secret(repr(exc) + repr(exc.args), "the exception's repr")
    assert any("receive_response_headers" in r.getMessage() for r in caplog.records)
    _assert_no_secret(caplog.text, "the logs")
    for record in caplog.records:
        _assert_no_secret(record.getMessage(), f"a log record of {record.name}")


@pytest.mark.parametrize("answer", ["401", "429-retried"])
def test_cli_never_shows_echoed_secrets(default: MockServer, answer: str) -> None:
    """The CLI (-vv) against an echoing server: no key, no password, no traceback; exit != 0."""
    default.set_faults(echo_key=True, **ECHOES[answer][0])
    env = {k: v for k, v in os.environ.items() if not k.startswith("INDUCTIVA_")}
    env |= {"INDUCTIVA_API_KEY": CANARY, "INDUCTIVA_MAX_RETRIES": "1"}
    result = subprocess.run(
        [str(SCRIPT), "--api-url", _url_with_password(default), "-vv", "tasks", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode != 0
    _assert_no_secret(result.stdout + result.stderr, "the CLI's output")
    assert "Traceback" not in result.stderr
