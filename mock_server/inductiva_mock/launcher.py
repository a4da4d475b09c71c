"""Start and stop a mock server subprocess (for tests, the demo and benchmarks).

A server is never left behind: it runs in its own process group (a Ctrl-C meant
for the caller reaches it only through :meth:`MockServer.stop`), a failed or
interrupted :meth:`MockServer.start` kills that group before raising, :meth:`stop`
escalates SIGTERM to SIGKILL of the group, and servers still running when the
interpreter exits are killed then (``atexit``).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

__all__ = ["MockServer", "free_port"]

PROBE_HEADERS = {"X-Mock-Probe": "1"}

_running: set[MockServer] = set()
"""Servers started and not yet stopped (held even when their owner dropped them)."""


@atexit.register
def _kill_leftovers() -> None:
    """Kill the servers a program forgot to stop (at interpreter exit)."""
    for server in list(_running):
        server.kill()


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class MockServer:
    """A `python -m inductiva_mock` subprocess, usable as a context manager."""

    def __init__(
        self,
        data_dir: Path | None = None,
        api_keys: Sequence[str] = ("demo-key",),
        port: int | None = None,
        admin: bool = True,
        faults: dict[str, Any] | None = None,
        extra_args: Sequence[str] = (),
        host: str = "127.0.0.1",
        startup_timeout: float = 20.0,
        legacy: bool = False,
        strict_responses: bool = False,
        admin_token: str | None = None,
    ) -> None:
        self._own_dir = data_dir is None
        # An own directory is only named here; start() creates it (mode 0700, failing on
        # anything already there, so nothing planted is followed) and cleanup() removes it.
        self._created = False
        self.data_dir = (
            Path(data_dir)
            if data_dir
            else Path(tempfile.gettempdir()) / f"inductiva-mock-{secrets.token_hex(8)}"
        )
        self.api_keys = list(api_keys)
        self.host = host
        self.port = port or free_port(host)
        self.admin = admin
        # Handed to the server through its environment (never its command line).
        self.admin_token = (admin_token or secrets.token_urlsafe(24)) if admin else None
        self.faults = faults
        self.extra_args = list(extra_args)
        self.startup_timeout = startup_timeout
        self.legacy = legacy
        self.strict_responses = strict_responses
        self.log_path = self.data_dir / "server.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:8000."""
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """Process id of the running server, None when stopped."""
        return self._proc.pid if self._proc is not None else None

    @property
    def api_key(self) -> str:
        """The first API key."""
        return self.api_keys[0]

    @property
    def admin_headers(self) -> dict[str, str]:
        """The header the admin endpoints require (empty when admin is off)."""
        return {"Authorization": f"Bearer {self.admin_token}"} if self.admin_token else {}

    def command(self) -> list[str]:
        """The server's command line."""
        cmd = [sys.executable, "-m", "inductiva_mock", "--host", self.host]
        cmd += ["--port", str(self.port), "--data-dir", str(self.data_dir)]
        for key in self.api_keys:
            cmd += ["--api-key", key]
        if self.admin:
            cmd.append("--admin")
        if self.faults:
            cmd += ["--faults", json.dumps(self.faults)]
        if self.legacy:
            cmd.append("--legacy")
        if self.strict_responses:
            cmd.append("--strict-responses")
        return cmd + self.extra_args

    def start(self) -> MockServer:
        """Start the server and wait until it answers HTTP (any status: /version may be 404)."""
        if self._proc is not None:
            return self
        if self._own_dir and not self._created:
            self.data_dir.mkdir(mode=0o700)
            self._created = True
        else:
            self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        env = dict(os.environ)
        env.pop("INDUCTIVA_MOCK_ADMIN_TOKEN", None)
        if self.admin_token:
            env["INDUCTIVA_MOCK_ADMIN_TOKEN"] = self.admin_token
        pkg_root = str(Path(__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (pkg_root, env.get("PYTHONPATH", "")) if p)
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        _running.add(self)
        try:
            self._wait_ready()
        except BaseException:  # failed, timed out or interrupted: nothing is left running
            self.kill()
            raise
        return self

    def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"mock server exited with {self._proc.returncode}; see {self.log_path}:\n"
                    + self.log_path.read_text(errors="replace")[-3000:]
                )
            try:
                httpx.get(f"{self.url}/version", headers=PROBE_HEADERS, timeout=1.0)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError(f"mock server did not answer within {self.startup_timeout} s")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server: SIGTERM, then (after *timeout* s) SIGKILL of its process group."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout)
        self.kill()

    def kill(self) -> None:
        """Kill the server's process group at once (SIGKILL) and reap it."""
        proc, self._proc = self._proc, None
        _running.discard(self)
        if proc is None or proc.poll() is not None:  # reaped: its group id may be reused
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # its own group: the server and its children
        proc.wait()

    def restart(self) -> MockServer:
        """Stop and start again with the same data dir and port."""
        self.stop()
        return self.start()

    def cleanup(self) -> None:
        """Stop and remove the data dir if this object created it."""
        self.stop()
        if self._own_dir and self._created:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self._created = False

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()

    # -- admin helpers -----------------------------------------------------
    def _admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        if not self.admin_token:
            raise RuntimeError("this MockServer was started with admin=False")
        resp = httpx.request(
            method,
            f"{self.url}/__mock__/{path}",
            json=body,
            headers=self.admin_headers,
            timeout=60.0,
        )
        resp.raise_for_status()
        return resp.json()

    def set_faults(self, **kw: Any) -> dict[str, Any]:
        """Replace the fault settings (see the README's mock server section)."""
        result: dict[str, Any] = self._admin("PUT", "faults", kw)
        return result

    def clear_faults(self) -> None:
        """Remove every fault."""
        self._admin("PUT", "faults", {})

    def stats(self) -> dict[str, Any]:
        """Request counters."""
        result: dict[str, Any] = self._admin("GET", "stats")
        return result

    def reset_stats(self) -> None:
        """Zero the counters."""
        self._admin("POST", "stats/reset")

    def seed(
        self,
        count: int,
        status: str = "success",
        method: str = "fvm.openfoam.run_simulation",
        api_key: str | None = None,
    ) -> dict[str, Any]:
        """Insert *count* finished fake tasks in bulk."""
        body = {"count": count, "status": status, "method": method, "api_key": api_key}
        result: dict[str, Any] = self._admin("POST", "seed", body)
        return result

    def reset(self) -> None:
        """Wipe all state: runners stopped, tasks and their files deleted, faults back to
        the startup ones, counters zeroed, legacy mode back to the startup one."""
        self._admin("POST", "reset")

    def set_legacy(self, legacy: bool = True) -> None:
        """Switch legacy mode (every extension off: the real API only) at run time."""
        self._admin("PUT", "legacy", {"legacy": legacy})

    def end_tasks(self, task_ids: list[str], status: str = "killed") -> int:
        """Give many tasks a final *status* (not success: no outputs) in one admin request."""
        result: dict[str, Any] = self._admin(
            "POST", "tasks/end", {"ids": list(task_ids), "status": status}
        )
        return int(result["ended"])

    def finish_task(
        self,
        task_id: str,
        status: str = "success",
        stdout: str = "",
        stderr: str = "",
        files: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """End a task now with *status* (a final one), whatever it was doing.

        Its runner, if any, is stopped and ignored. `success`/`failed` tasks get an output
        archive of *stdout*, *stderr* and *files* (name → text). Returns the `Task`.
        """
        body = {"status": status, "stdout": stdout, "stderr": stderr, "files": files or {}}
        result: dict[str, Any] = self._admin("POST", f"tasks/{task_id}/force", body)
        return result

    def fail_task(self, task_id: str, stderr: str = "simulated failure\n") -> dict[str, Any]:
        """End a task `failed` now, *stderr* in its outputs. Returns the `Task`."""
        return self.finish_task(task_id, status="failed", stderr=stderr)

    def hang_task(self, task_id: str) -> dict[str, Any]:
        """Make a task `started` for ever (its runner stopped): only a kill ends it."""
        result: dict[str, Any] = self._admin(
            "POST", f"tasks/{task_id}/force", {"status": "started"}
        )
        return result
