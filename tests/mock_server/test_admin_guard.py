"""Admin endpoints: off unless asked for, then only with the admin token, never a user key."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from inductiva_mock.config import parse_args
from inductiva_mock.launcher import MockServer

ADMIN_PATHS = [
    ("GET", "faults"),
    ("PUT", "faults"),
    ("GET", "stats"),
    ("POST", "stats/reset"),
    ("POST", "seed"),
    ("POST", "reset"),
    ("PUT", "legacy"),
    ("POST", "tasks/1/force"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_PATHS)
def test_admin_needs_the_token(mock_server: MockServer, method: str, path: str) -> None:
    """Without the token, with a wrong one or with a user API key: 401, nothing done."""
    url = f"{mock_server.url}/__mock__/{path}"
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"X-API-Key": "test-key"},
        {"Authorization": "Bearer test-key"},
    ):
        r = httpx.request(method, url, headers=headers, json={})
        assert r.status_code == 401, (headers, r.text)
        assert "admin token" in r.json()["detail"]


def test_token_grants_access(mock_server: MockServer) -> None:
    """The bearer token MockServer generated opens the admin endpoints."""
    r = httpx.get(f"{mock_server.url}/__mock__/stats", headers=mock_server.admin_headers)
    assert r.status_code == 200 and "requests" in r.json()


def test_token_is_not_on_the_command_line() -> None:
    """MockServer hands the token over through the environment, not argv (visible in ps)."""
    server = MockServer(api_keys=["k"], admin_token="tok-123")
    assert "--admin" in server.command() and "tok-123" not in " ".join(server.command())
    assert server.admin_headers == {"Authorization": "Bearer tok-123"}


def test_token_generated_given_or_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """--admin generates a token unless --admin-token or INDUCTIVA_MOCK_ADMIN_TOKEN gives one."""
    monkeypatch.delenv("INDUCTIVA_MOCK_ADMIN_TOKEN", raising=False)
    cfg = parse_args(["--admin"])
    assert cfg.generated_admin_token and cfg.admin_token and len(cfg.admin_token) >= 20
    assert parse_args(["--admin", "--admin-token", "t1"]).admin_token == "t1"
    monkeypatch.setenv("INDUCTIVA_MOCK_ADMIN_TOKEN", "t2")
    assert parse_args(["--admin"]).admin_token == "t2"
    assert parse_args([]).admin_token is None  # admin off: no token, no endpoints


def test_token_equal_to_an_api_key_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """An admin token equal to a user key would let that user in: refused at start."""
    with pytest.raises(SystemExit):
        parse_args(["--admin", "--admin-token", "k", "--api-key", "k"])
    assert "must differ from every API key" in capsys.readouterr().err


def test_generated_token_printed_at_start(tmp_path: Path) -> None:
    """`--admin` alone prints the generated token on the startup lines."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "inductiva_mock", "--admin", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp_path)},  # where its private data dir goes
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        first, second = proc.stdout.readline(), proc.stdout.readline()
        assert "(private, removed at exit" in first
        assert "Authorization: Bearer " in second and "(generated" in second
        # SIGTERM right after the startup lines (before uvicorn serves): never lost.
        proc.terminate()
        assert proc.wait(10) == 128 + signal.SIGTERM
    finally:
        if proc.poll() is None:  # never leave a server behind, whatever failed
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    data_dir = Path(first.split("data-dir=", 1)[1].split(" ", 1)[0])
    assert data_dir.parent == tmp_path and not data_dir.exists()  # removed at exit
