"""Ctrl-C with a real SIGINT: the remote task is killed and KeyboardInterrupt is not swallowed."""

from __future__ import annotations

import os
import pathlib
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from inductiva_mock.launcher import MockServer

import inductiva
from inductiva import _http

pytestmark = pytest.mark.contract

SCRIPT = """
import logging, sys
import inductiva
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
inductiva.api_url, inductiva.api_key = sys.argv[1], "test-key"
synthetic = inductiva.simulators.Synthetic()
if sys.argv[2] == "simulate":
    synthetic.run(duration=60)
elif sys.argv[2] == "sync_context":
    task = synthetic.run(duration=60, run_async=True)
    with task.sync_context():
        task.wait()
else:
    task = synthetic.run(duration=60, run_async=True)
    task.wait()
print("NOT INTERRUPTED", flush=True)
"""


@pytest.fixture
def server(any_mock_server: MockServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[MockServer]:
    """The test's own client pointed at a session mock server (each mode)."""
    monkeypatch.setattr(inductiva, "api_url", any_mock_server.url)
    monkeypatch.setattr(inductiva, "api_key", "test-key")
    _http.reset()
    yield any_mock_server
    _http.reset()


def _wait_for(predicate: object, what: str, timeout: float = 30.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()  # type: ignore[operator]
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _interrupt_while_waiting(server: MockServer, tmp_path: pathlib.Path, mode: str) -> str:
    """Run SCRIPT in ``mode``, send SIGINT once it long-polls a started task; return the id."""
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    with out.open("w") as stdout, err.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-c", SCRIPT, server.url, mode],
            stdout=stdout,
            stderr=stderr,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        match = _wait_for(
            lambda: re.search(r"Task (\d+) submitted", err.read_text()), "the submission"
        )
        task = inductiva.Task(match.group(1))  # type: ignore[attr-defined]
        _wait_for(lambda: task.get_status() == "started", "the task to start")
        _wait_for(
            lambda: "status=started" in err.read_text() or "wait_seconds" in err.read_text(),
            "the client to be waiting",
        )
        proc.send_signal(signal.SIGINT)
        returncode = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert returncode in (-signal.SIGINT, 130), err.read_text()
    assert "KeyboardInterrupt" in err.read_text()
    assert "NOT INTERRUPTED" not in out.read_text()
    return task.id


@pytest.mark.parametrize("mode", ["simulate", "sync_context"])
def test_sigint_kills_remote_task_and_propagates(
    server: MockServer, tmp_path: pathlib.Path, mode: str
) -> None:
    """SIGINT while blocked: the task ends killed and the process dies of KeyboardInterrupt."""
    task = inductiva.Task(_interrupt_while_waiting(server, tmp_path, mode))
    assert task.get_status() == "killed"


def test_sigint_during_plain_wait_leaves_remote_task_running(
    server: MockServer, tmp_path: pathlib.Path
) -> None:
    """SIGINT in task.wait() (no sync_context) propagates; the remote task keeps running."""
    task = inductiva.Task(_interrupt_while_waiting(server, tmp_path, "wait"))
    try:
        assert task.get_status() == "started"
    finally:
        task.kill()
