"""Stopping the mock: an early SIGTERM/SIGINT is never lost; the launcher never leaks a server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from inductiva_mock.launcher import MockServer

STARTS = 12
"""Servers started and stopped early (4 at a time): before, 7 in 40 kept running under load."""


def _processes_mentioning(text: str) -> list[int]:
    """Pids of the live processes whose command line contains ``text``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text.encode() in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def _start_and_stop(tmp: Path, index: int) -> tuple[int, int, bool, float]:
    """Start a mock and signal it early: (signal, exit code, whether it had announced, seconds
    to exit).

    Odd runs are signalled after a delay spread over its start (imports, app, uvicorn);
    even runs right after the startup line, before uvicorn serves; every fourth gets SIGINT.
    """
    tmp.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "inductiva_mock", "--admin", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "TMPDIR": str(tmp)},
        start_new_session=True,
    )
    assert proc.stdout is not None
    try:
        if index % 2:
            time.sleep(0.15 * index)
        else:
            proc.stdout.readline()
        sig = signal.SIGINT if index % 4 == 3 else signal.SIGTERM
        sent = time.monotonic()
        proc.send_signal(sig)
        code = proc.wait(20)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:  # a lost signal: fail, but leave nothing running
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    announced = b"Inductiva mock server on" in proc.stdout.read()
    proc.stdout.close()
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)  # nothing of its process group is left
    assert not list(tmp.iterdir()), "its private data directory was left behind"
    return sig, code, announced, took


def test_early_stop_signals_are_never_lost(tmp_path: Path) -> None:
    """SIGTERM/SIGINT at any moment of the start: exit 143/130 promptly, data dir removed."""
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda i: _start_and_stop(tmp_path / str(i), i), range(STARTS)))
    for sig, code, announced, took in results:
        # Before main() installs its handler the signal's default action ends the process
        # (-15, or -2 via KeyboardInterrupt): nothing was created yet. After: 128 + signal.
        assert code == 128 + sig or (not announced and code == -sig), results
        assert took < 15, results


def test_failed_start_leaves_no_server(tmp_path: Path) -> None:
    """A start that times out kills the server it spawned before raising."""
    server = MockServer(data_dir=tmp_path / "data", startup_timeout=0.01)
    with pytest.raises(RuntimeError, match="did not answer"):
        server.start()
    assert server.pid is None
    assert not _processes_mentioning(str(tmp_path / "data"))


def test_interrupted_start_leaves_no_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while start() waits for the server kills it before KeyboardInterrupt goes on."""

    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    server = MockServer(data_dir=tmp_path / "data")
    monkeypatch.setattr(time, "sleep", interrupted)
    with pytest.raises(KeyboardInterrupt):
        server.start()
    monkeypatch.undo()
    assert server.pid is None
    assert not _processes_mentioning(str(tmp_path / "data"))


def test_forgotten_server_is_killed_at_exit(tmp_path: Path) -> None:
    """A program that never stops its MockServer leaves no server running after it exits."""
    script = (
        "import sys; from pathlib import Path; from inductiva_mock.launcher import MockServer; "
        "MockServer(data_dir=Path(sys.argv[1])).start(); print('started', flush=True)"
    )
    data = tmp_path / "forgotten"
    done = subprocess.run(
        [sys.executable, "-c", script, str(data)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and "started" in done.stdout, done.stderr
    assert not _processes_mentioning(str(data))
