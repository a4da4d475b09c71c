"""Bounded work: zip bombs, failures while handling a task, absurd ranges, 405, disconnects."""

from __future__ import annotations

import asyncio
import errno
import io
import socket
import sqlite3
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from inductiva_mock import supervisor as supervisor_mod
from inductiva_mock.config import Config
from inductiva_mock.db import TaskStore
from inductiva_mock.events import StatusHub
from inductiva_mock.launcher import MockServer
from inductiva_mock.supervisor import Supervisor
from mock_helpers import SYNTHETIC, client_for, input_zip, submit, upload_input, wait_final


def _bomb(size: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("input.json", '{"sim_dir": "sim_dir"}')
        with zf.open("sim_dir/zeros.bin", "w") as fh:
            block = bytes(1024 * 1024)
            for _ in range(size // len(block)):
                fh.write(block)
    return buf.getvalue()


def _stderr_of(api: httpx.Client, task_id: str) -> str:
    r = api.get(f"/tasks/{task_id}/output", params={"filename": "stderr.txt"})
    assert r.status_code == 200, r.text
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        return zf.read("stderr.txt").decode()


def test_zip_bomb_fails_the_task_not_the_server(mock_server: MockServer, api: httpx.Client) -> None:
    """A 64 MiB-of-zeros input (~1000:1) ends executer-failed with a message; server fine."""
    bomb = _bomb(64 * 1024 * 1024)
    assert len(bomb) < 200_000
    r = api.post("/tasks/submit", json={"method": SYNTHETIC, "params": {"sim_dir": "sim_dir"}})
    task_id = r.json()["id"]
    assert upload_input(api, task_id, bomb).status_code == 200
    assert wait_final(api, task_id) == "executer-failed"
    assert "compressed size" in _stderr_of(api, task_id)
    assert not (mock_server.data_dir / "tasks" / task_id / "work").exists()
    assert wait_final(api, submit(api, SYNTHETIC, {"stdout": "ok"})) == "success"


def test_total_extracted_size_is_limited(tmp_path: Path) -> None:
    """--max-extract-bytes caps the extracted total even for incompressible inputs."""
    args = ["--max-extract-bytes", "100000"]
    with MockServer(api_keys=["k"], extra_args=args) as s, client_for(s, "k") as c:
        big = submit(c, SYNTHETIC, {}, upload=False)
        data = input_zip({"blob.bin": bytes(range(256)) * 1000}, {"sim_dir": "sim_dir"})
        assert upload_input(c, big, data).status_code == 200
        assert wait_final(c, big) == "executer-failed"
        assert "more than 100000 bytes" in _stderr_of(c, big)


def _run_one(tmp_path: Path, patch: Any) -> str:
    """Run one synthetic task on an in-process Supervisor with *patch* applied; its status."""

    async def scenario() -> str:
        cfg = Config(data_dir=tmp_path, api_keys=["k"])
        store = TaskStore(tmp_path / "mock.sqlite3")
        sup = Supervisor(cfg, store, StatusHub(), tmp_path)
        task = store.create("owner", SYNTHETIC, {"stdout": "x"}, None)
        tdir = sup.task_dir(task.id)
        tdir.mkdir(parents=True)
        (tdir / "input.zip").write_bytes(input_zip({}, {}))
        store.update(task.id, status="submitted")
        patch(sup, store)
        sup.enqueue(task.id)
        deadline = time.monotonic() + 20
        while (row := store.get(task.id)) is not None and row.status not in (
            "success",
            "failed",
            "executer-failed",
        ):
            assert time.monotonic() < deadline, row.status
            await asyncio.sleep(0.05)
        await sup.shutdown()
        store.close()
        assert row is not None
        return row.status

    return asyncio.run(scenario())


def test_disk_full_while_archiving_fails_the_task(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC while writing the output archive marks the task executer-failed."""

    def full(*args: Any) -> Any:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(supervisor_mod, "build_output_archive", full)
    assert _run_one(tmp_path, lambda sup, store: None) == "executer-failed"


def test_database_error_fails_the_task_after_retries(tmp_path: Path) -> None:
    """A database error on the `started` write, then on the first failure writes: the task
    still ends executer-failed (retried), never stuck in submitted/started."""

    def patch(sup: Supervisor, store: TaskStore) -> None:
        real = store.update
        errors = {"n": 0}

        def flaky(task_id: str, **fields: Any) -> None:
            status = fields.get("status")
            if status == "started" or (status == "executer-failed" and errors["n"] < 3):
                errors["n"] += 1
                raise sqlite3.OperationalError("database or disk is full")
            real(task_id, **fields)

        store.update = flaky  # type: ignore[method-assign]

    assert _run_one(tmp_path, patch) == "executer-failed"


@pytest.mark.parametrize(
    "value",
    [
        "bytes=" + "9" * 5000 + "-",
        "bytes=0-" + "9" * 5000,
        "bytes=-" + "9" * 5000,
        "bytes=1" + "0" * 19 + "-",
    ],
)
def test_absurd_range_is_416(api: httpx.Client, value: str) -> None:
    """Range positions of thousands of digits (or beyond 2**63) → 416, never 500."""
    task_id = submit(api, SYNTHETIC, {"stdout": "x"})
    assert wait_final(api, task_id) == "success"
    r = api.get(f"/tasks/{task_id}/output", headers={"Range": value})
    assert r.status_code == 416, r.text
    assert r.headers["content-range"].startswith("bytes */")


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/tasks/submit", "POST"),
        ("DELETE", "/tasks/submit", "POST"),
        ("POST", "/tasks", "GET, HEAD"),
        ("POST", "/version", "GET, HEAD"),
        ("DELETE", "/tasks/123", None),
        ("PUT", "/tasks/123/kill", None),
    ],
)
def test_method_not_allowed_is_405(
    api: httpx.Client, method: str, path: str, allow: str | None
) -> None:
    """A method a path does not have → 405 {"detail": "Method Not Allowed"} with Allow."""
    r = api.request(method, path)
    assert r.status_code == 405 and r.json() == {"detail": "Method Not Allowed"}
    if allow is not None:
        assert r.headers["allow"] == allow


ODD_IDS = ["%2e%2e", "%2e", "%2E%2e", "%00", "%ff", "a%20b", "9" * 5000]
OPERATIONS = [
    ("GET", "/tasks/{}"),
    ("GET", "/tasks/{}/status"),
    ("GET", "/tasks/{}/output"),
    ("GET", "/tasks/{}/output/list"),
    ("POST", "/tasks/{}/kill"),
    ("POST", "/tasks/{}/input"),
]


@pytest.mark.parametrize("task_id", ODD_IDS)
def test_odd_task_ids_are_clean_4xx(
    mock_server: MockServer, api: httpx.Client, task_id: str
) -> None:
    """Task ids like %2e%2e (a dot segment), NUL, bad UTF-8 or 5000 digits: 404/422, never 500;
    every answer valid against the spec (the session's strict validator records none)."""
    before = len(mock_server.stats()["response_validation_errors"])
    for method, template in OPERATIONS:
        r = api.request(method, template.format(task_id))
        assert r.status_code in (404, 422), (method, template, r.status_code, r.text)
    assert len(mock_server.stats()["response_validation_errors"]) == before


def test_overlong_multipart_boundary_is_422(api: httpx.Client) -> None:
    """A multipart boundary of 300 characters (the parser allows 256) → 422, never 500."""
    task_id = submit(api, SYNTHETIC, {}, upload=False)
    boundary = "b" * 300
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.zip"\r\n'
        f"\r\nPK\r\n--{boundary}--\r\n"
    ).encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    r = api.post(f"/tasks/{task_id}/input", content=body, headers=headers)
    assert r.status_code == 422 and "Boundary length" in r.text
    assert api.get(f"/tasks/{task_id}").json()["status"] == "pending-input"


def test_client_disconnect_during_upload_logged_at_info(tmp_path: Path) -> None:
    """A client gone mid-upload: one INFO line, no ERROR, no traceback; the task unharmed."""
    with (
        MockServer(api_keys=["k"], extra_args=["--log-level", "info"]) as s,
        client_for(s, "k") as c,
    ):
        task_id = submit(c, SYNTHETIC, {}, upload=False)
        head = (
            f"POST /tasks/{task_id}/input HTTP/1.1\r\nHost: x\r\nX-API-Key: k\r\n"
            "Content-Type: multipart/form-data; boundary=BND\r\nContent-Length: 10000000\r\n\r\n"
            '--BND\r\nContent-Disposition: form-data; name="file"; filename="i.zip"\r\n\r\n'
        )
        with socket.create_connection((s.host, s.port)) as sock:
            sock.sendall(head.encode() + b"PK" * 5000)
            time.sleep(0.3)
        deadline = time.monotonic() + 10
        while "client disconnected" not in s.log_path.read_text():
            assert time.monotonic() < deadline, s.log_path.read_text()
            time.sleep(0.05)
        log = s.log_path.read_text()
        assert "INFO inductiva_mock: client disconnected during POST" in log
        assert "Traceback" not in log and "ERROR" not in log
        assert c.get(f"/tasks/{task_id}").json()["status"] == "pending-input"
        assert not list((s.data_dir / "tasks" / task_id).glob("input.*.part"))
