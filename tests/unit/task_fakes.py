"""An in-memory fake of the task endpoints, served through httpx.MockTransport.

It speaks the real API's wire shapes (``task_id``, plain-array listing, kill
answered 200, ``{"detail": ...}`` errors). Long-polls (``wait_seconds`` > 0)
advance a task along its scripted statuses, so a test can say "the next status
change is to success" without timing.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from inductiva_api.models import Task as TaskModel

from inductiva import _client
from inductiva._task_info import TaskInfo

FINISHED_OTHERWISE = {"success", "failed", "spot-instance-preempted", "executer-terminated"}


def task_json(task_id: str, status: str = "submitted", **fields: Any) -> dict[str, Any]:
    """A Task body as the API sends it."""
    body: dict[str, Any] = {
        "task_id": task_id,
        "status": status,
        "method_name": "test.synthetic.run_simulation",
        "create_time": "2023-08-04T11:06:16+00:00",
        "input_submit_time": "2023-08-04T11:06:17+00:00",
        "start_time": None,
        "end_time": None,
        "executer": None,  # null until the task starts
    }
    body.update(fields)
    return body


def info_from(task_id: str, status: str = "submitted", **fields: Any) -> TaskInfo:
    """A TaskInfo built from the API's JSON for a task (through the generated model)."""
    return TaskInfo(TaskModel.from_dict(task_json(task_id, status, **fields)))


def executer_json(vm_type: str = "c2-standard-8", **fields: Any) -> dict[str, Any]:
    """A GCloudExecuter body as the API sends it once a task started."""
    body: dict[str, Any] = {
        "uuid": "6a1f0c1e-8c0c-4b8e-9a55-0c6f3c7f3b10",
        "cpu_count_logical": 8,
        "cpu_count_physical": 4,
        "memory": 32 * 1024**3,
        "host_type": "gcloud",
        "vm_type": vm_type,
        "vm_name": "mock-vm",
    }
    body.update(fields)
    return body


def _error(status: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"detail": message})


class SimClock:
    """Simulated monotonic time: sleeping advances it at once (installed into inductiva.task)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        """Advance the clock by ``seconds`` without waiting."""
        self.now += max(0.0, seconds)

    async def asleep(self, seconds: float) -> None:
        """Advance the clock, yielding to the event loop once."""
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


class FakeApi:
    """State and request log of the fake API; call it with a request to get a response.

    ``holds``: a long-poll with nothing scripted is held (simulated) until a
    timed status change (:meth:`at`) or ``wait_seconds``; False plays a server
    without the long-poll extension (every status request answered at once).
    """

    def __init__(self, clock: SimClock | None = None) -> None:
        self.clock = clock or SimClock()
        self.holds = True
        self.timeline: dict[str, list[tuple[float, str]]] = {}
        self.request_times: list[float] = []
        self.tasks: dict[str, dict[str, Any]] = {}
        self.script: dict[str, list[str]] = {}
        self.kill_status = "killed"
        self.kill_conflict = False  # answer a kill of a finished task 409 (older servers)
        self.outputs: dict[str, Any] = {"size": 0, "contents": []}
        self.requests: list[httpx.Request] = []
        self.next_id = 1691150776862178000

    def add(self, task_id: str, status: str = "submitted", then: tuple[str, ...] = (), **kw: Any):
        """Add a task whose long-polls will report ``then`` one status at a time."""
        self.tasks[task_id] = task_json(task_id, status, **kw)
        self.script[task_id] = list(then)
        return self.tasks[task_id]

    def at(self, task_id: str, when: float, status: str) -> None:
        """Make ``task_id`` change to ``status`` at simulated time ``when``."""
        self.timeline.setdefault(task_id, []).append((when, status))
        self.timeline[task_id].sort()

    def _apply_timeline(self, task: dict[str, Any]) -> None:
        events = self.timeline.get(task["task_id"], [])
        while events and events[0][0] <= self.clock.now:
            task["status"] = events.pop(0)[1]

    def _long_poll(self, task: dict[str, Any], wait_seconds: float) -> None:
        script = self.script[task["task_id"]]
        if script:
            task["status"] = script.pop(0)
            return
        if not self.holds:
            return
        events = self.timeline.get(task["task_id"], [])
        until = self.clock.now + wait_seconds
        if events and events[0][0] < until:
            until = events[0][0]
        self.clock.now = max(self.clock.now, until)
        self._apply_timeline(task)

    def paths(self) -> list[str]:
        """``METHOD /path`` of every request so far."""
        return [f"{r.method} {r.url.path}" for r in self.requests]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.request_times.append(self.clock.now)
        path, method = request.url.path, request.method
        if method == "POST" and path == "/tasks/submit":
            return self._submit(request)
        if method == "GET" and path == "/tasks":
            return self._list(request)
        match = re.fullmatch(r"/tasks/(\d+)(/.*)?", path)
        if match is None or match.group(1) not in self.tasks:
            return _error(404, f"No task at {path}")
        task = self.tasks[match.group(1)]
        self._apply_timeline(task)
        return self._task_route(request, task, match.group(2) or "")

    def _task_route(
        self, request: httpx.Request, task: dict[str, Any], rest: str
    ) -> httpx.Response:
        method = request.method
        if method == "GET" and rest == "":
            return httpx.Response(200, json=task)
        if method == "GET" and rest == "/status":
            wait_seconds = float(request.url.params.get("wait_seconds", "0"))
            if wait_seconds > 0:
                self._long_poll(task, wait_seconds)
            return httpx.Response(200, json={"id": task["task_id"], "status": task["status"]})
        if method == "POST" and rest == "/kill":
            if task["status"] in FINISHED_OTHERWISE:
                if self.kill_conflict:
                    return _error(409, f"Task {task['task_id']} already finished.")
            elif task["status"] != "killed":
                task["status"] = self.kill_status
            return httpx.Response(200, json={"id": task["task_id"], "status": task["status"]})
        if method == "GET" and rest == "/output/list":
            return httpx.Response(200, json=self.outputs)
        if method == "POST" and rest == "/input":
            request.read()
            task["status"] = "submitted"
            return httpx.Response(200, json={"id": task["task_id"], "status": "submitted"})
        return _error(405, "Method Not Allowed")

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
        return httpx.Response(200, json=rows[(page - 1) * per_page : page * per_page])


def installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
    """A FakeApi wired into the shared client (sync and async), with test settings.

    Use as ``yield from installed(monkeypatch)`` in a test module's fixture.
    """
    monkeypatch.setattr("inductiva.api_key", "unit-key")
    monkeypatch.setattr("inductiva.api_url", "http://fake.test")
    monkeypatch.setattr("inductiva._task_info._warned_unknown", set())
    api = FakeApi()
    monkeypatch.setattr("inductiva.task._clock", api.clock)
    monkeypatch.setattr("inductiva.task._sleep", api.clock.sleep)
    monkeypatch.setattr("inductiva.task._asleep", api.clock.asleep)
    transport = httpx.MockTransport(api)
    _client.set_transport(transport, transport)
    try:
        yield api
    finally:
        _client.set_transport()
