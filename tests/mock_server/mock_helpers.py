"""Helpers shared by the mock server tests: HTTP clients, zips, submission, waiting."""

from __future__ import annotations

import io
import json
import os
import time
import zipfile
from collections.abc import Mapping
from typing import Any

import httpx
from inductiva_api import contract
from inductiva_mock.launcher import MockServer

SYNTHETIC = "test.synthetic.run_simulation"
OPENFOAM = "fvm.openfoam.run_simulation"
GROMACS = "md.gromacs.run_simulation"
PROTEIN_SOLVATION = "protein_solvation.gromacs.run_simulation"
FINAL = contract.FINAL_STATUSES


def make_zip(files: Mapping[str, bytes | str] | None = None) -> bytes:
    """An in-memory zip archive of *files*."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in (files or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


def input_zip(files: Mapping[str, bytes | str] | None, params: dict[str, Any]) -> bytes:
    """The era's input zip: *files* under `sim_dir/` and `input.json` (the params) at the root."""
    members: dict[str, bytes | str] = {f"sim_dir/{n}": d for n, d in (files or {}).items()}
    members["input.json"] = json.dumps(params)
    return make_zip(members)


def upload_input(api: httpx.Client, task_id: str, data: bytes) -> httpx.Response:
    """POST the input zip *data* as the multipart part `file`."""
    return api.post(
        f"/tasks/{task_id}/input", files={"file": ("input.zip", data, "application/zip")}
    )


def client_for(server: MockServer, key: str | None) -> httpx.Client:
    """An httpx client of *server* sending X-API-Key *key* (none when None)."""
    headers = {"X-API-Key": key} if key else {}
    return httpx.Client(base_url=server.url, headers=headers, timeout=30.0)


def submit(
    api: httpx.Client,
    method: str,
    params: dict[str, Any],
    files: Mapping[str, bytes | str] | None = None,
    upload: bool = True,
) -> str:
    """Register a task (and upload its input unless *upload* is false); returns its id.

    The params get `"sim_dir": "sim_dir"` and the input zip the era's layout.
    """
    params = {"sim_dir": "sim_dir", **params}
    r = api.post("/tasks/submit", json={"method": method, "params": params})
    assert r.status_code == 202, r.text
    assert set(r.json()) == {"id", "status"}, r.text
    task_id: str = r.json()["id"]
    if upload:
        r = upload_input(api, task_id, input_zip(files, params))
        assert r.status_code == 200, r.text
    return task_id


def wait_final(api: httpx.Client, task_id: str, timeout: float = 30.0) -> str:
    """Long-poll until the task reaches a final status; returns it.

    Against a legacy server the long-poll parameters are ignored, so it sleeps between polls.
    """
    deadline = time.monotonic() + timeout
    status = api.get(f"/tasks/{task_id}/status").json()["status"]
    while status not in FINAL:
        assert time.monotonic() < deadline, f"task {task_id} still {status}"
        t0 = time.monotonic()
        r = api.get(f"/tasks/{task_id}/status", params={"wait_seconds": 5, "last_status": status})
        status = r.json()["status"]
        if status not in FINAL and time.monotonic() - t0 < 0.05:
            time.sleep(0.05)
    return str(status)


def wait_status(api: httpx.Client, task_id: str, wanted: str, timeout: float = 15.0) -> None:
    """Long-poll until the task is in *wanted* status."""
    deadline = time.monotonic() + timeout
    status = api.get(f"/tasks/{task_id}/status").json()["status"]
    while status != wanted:
        assert time.monotonic() < deadline, f"task {task_id} still {status}, wanted {wanted}"
        t0 = time.monotonic()
        r = api.get(f"/tasks/{task_id}/status", params={"wait_seconds": 2, "last_status": status})
        status = r.json()["status"]
        if status != wanted and time.monotonic() - t0 < 0.05:
            time.sleep(0.05)


def process_alive(pid: int) -> bool:
    """Whether *pid* is a live (not zombie) process."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return False
