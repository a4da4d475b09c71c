"""An in-memory fake of the task endpoints, served through httpx.MockTransport.

Long-polls (``wait_seconds`` > 0) advance a task along its scripted statuses,
so a test can say "the next status change is to success" without timing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from inductiva import _client

FINISHED_OTHERWISE = {"success", "failed", "spot-instance-preempted", "executer-terminated"}


def task_json(task_id: str, status: str = "submitted", **fields: Any) -> dict[str, Any]:
    """A Task body as the API sends it."""
    body: dict[str, Any] = {
        "id": task_id,
        "status": status,
        "method_name": "synthetic.run",
        "create_time": "2023-08-04T11:06:16+00:00",
        "input_submit_time": "2023-08-04T11:06:17+00:00",
        "start_time": None,
        "end_time": None,
        "executer": None,  # null until the task starts
    }
    body.update(fields)
    return body


def _error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"code": code, "message": message})


class FakeApi:
    """State and request log of the fake API; call it with a request to get a response."""

    def __init__(self) -> None:
        self.tasks: dict[str, dict[str, Any]] = {}
        self.script: dict[str, list[str]] = {}
        self.kill_status = "killed"
        self.outputs: dict[str, Any] = {"size": 0, "contents": []}
        self.requests: list[httpx.Request] = []
        self.next_id = 1691150776862178000

    def add(self, task_id: str, status: str = "submitted", then: tuple[str, ...] = (), **kw: Any):
        """Add a task whose long-polls will report ``then`` one status at a time."""
        self.tasks[task_id] = task_json(task_id, status, **kw)
        self.script[task_id] = list(then)
        return self.tasks[task_id]

    def paths(self) -> list[str]:
        """``METHOD /path`` of every request so far."""
        return [f"{r.method} {r.url.path}" for r in self.requests]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path, method = request.url.path, request.method
        if method == "POST" and path == "/tasks/submit":
            return self._submit(request)
        if method == "GET" and path == "/tasks":
            return self._list(request)
        match = re.fullmatch(r"/tasks/(\d+)(/.*)?", path)
        if match is None or match.group(1) not in self.tasks:
            return _error(404, "not_found", f"No task at {path}")
        task = self.tasks[match.group(1)]
        return self._task_route(request, task, match.group(2) or "")

    def _task_route(
        self, request: httpx.Request, task: dict[str, Any], rest: str
    ) -> httpx.Response:
        method = request.method
        if method == "GET" and rest == "":
            return httpx.Response(200, json=task)
        if method == "GET" and rest == "/status":
            if float(request.url.params.get("wait_seconds", "0")) > 0 and self.script[task["id"]]:
                task["status"] = self.script[task["id"]].pop(0)
            return httpx.Response(200, json={"id": task["id"], "status": task["status"]})
        if method == "POST" and rest == "/kill":
            if task["status"] in FINISHED_OTHERWISE:
                return _error(409, "conflict", f"Task {task['id']} already finished.")
            if task["status"] != "killed":
                task["status"] = self.kill_status
            return httpx.Response(202, json={"id": task["id"], "status": task["status"]})
        if method == "GET" and rest == "/output/list":
            return httpx.Response(200, json=self.outputs)
        if method == "POST" and rest == "/input":
            request.read()
            task["status"] = "submitted"
            return httpx.Response(200, json={"id": task["id"], "status": "submitted"})
        return _error(405, "method_not_allowed", f"{method} {request.url.path}")

    def _submit(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.read())
        self.next_id += 1
        task_id = str(self.next_id)
        self.add(task_id, "pending-input", method_name=body["method"])
        self.tasks[task_id]["params"] = body["params"]
        return httpx.Response(202, json={"id": task_id, "status": "pending-input"})

    def _list(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        page, per_page = int(params.get("page", 1)), int(params.get("per_page", 50))
        rows = [
            t for t in reversed(self.tasks.values()) if params.get("status") in (None, t["status"])
        ]
        chunk = rows[(page - 1) * per_page : page * per_page]
        body = {"tasks": chunk, "total": len(rows), "page": page, "per_page": per_page}
        return httpx.Response(200, json=body)


def installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
    """A FakeApi wired into the shared client (sync and async), with test settings.

    Use as ``yield from installed(monkeypatch)`` in a test module's fixture.
    """
    monkeypatch.setattr("inductiva.api_key", "unit-key")
    monkeypatch.setattr("inductiva.api_url", "http://fake.test")
    monkeypatch.setattr("inductiva._task_info._warned_unknown", set())
    api = FakeApi()
    transport = httpx.MockTransport(api)
    _client.set_transport(transport, transport)
    try:
        yield api
    finally:
        _client.set_transport()
