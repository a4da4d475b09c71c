"""An in-memory fake of the task endpoints, served through httpx.MockTransport.

It speaks the real API's wire shapes (``task_id``, plain-array listing, kill
answered 200, ``{"detail": ...}`` errors). Long-polls (``wait_seconds`` > 0)
advance a task along its scripted statuses, so a test can say "the next status
change is to success" without timing. Time is simulated: the drivers read and
sleep by :class:`SimClock` (see :func:`simulated_time`).
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import zipfile
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import httpx
import pytest
from inductiva_api.models import Task as TaskModel

import inductiva
from inductiva import _http
from inductiva._http import _drive
from inductiva._task_info import TaskInfo

Run = Callable[..., Any]
"""The ``run`` fixture (tests/conftest.py): ``run(task.wait)`` under the test's driver."""

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


def multipart_parts(request: httpx.Request) -> dict[str, tuple[str | None, bytes]]:
    """The parts of a multipart/form-data request: name -> (filename, body)."""
    match = re.search(r"boundary=([^;]+)", request.headers.get("Content-Type", ""))
    assert match, request.headers.get("Content-Type")
    delimiter = b"--" + match.group(1).strip('"').encode()
    parts: dict[str, tuple[str | None, bytes]] = {}
    for raw in request.content.split(delimiter)[1:]:
        if raw.startswith(b"--"):
            break
        head, _, body = raw[2:].partition(b"\r\n\r\n")
        disposition = head.decode()
        name = re.search(r'name="([^"]*)"', disposition)
        filename = re.search(r'filename="([^"]*)"', disposition)
        assert name, disposition
        parts[name.group(1)] = (filename.group(1) if filename else None, body[: -len(b"\r\n")])
    return parts


def input_zip(data: bytes) -> tuple[dict[str, bytes], dict[str, object]]:
    """An uploaded input zip's members and its parsed ``input.json``."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    return members, json.loads(members["input.json"])


class SimClock:
    """Simulated monotonic time: sleeping advances it at once (see :func:`simulated_time`)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        """Advance the clock by ``seconds`` without waiting."""
        self.now += max(0.0, seconds)

    async def sleep_async(self, seconds: float) -> None:
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
        self.upload_status: list[int] = []  # answers to the next uploads (then accepted)
        self.uploads: list[bytes] = []  # the input.zip of every accepted upload
        self.upload_parts: list[dict[str, tuple[str | None, bytes]]] = []
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
            if self.upload_status:
                return _error(self.upload_status.pop(0), "try later")
            parts = multipart_parts(request)
            self.upload_parts.append(parts)
            self.uploads.append(parts["file"][1])
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

    def client(self, **settings: Any) -> inductiva.Client:
        """An :class:`inductiva.Client` whose requests (blocking and asyncio) reach this fake."""
        transport = httpx.MockTransport(self)
        return inductiva.Client(
            api_key="unit-key",
            api_url="http://fake.test",
            transport=transport,
            async_transport=transport,
            **settings,
        )


async def cancel_when(job: Coroutine[Any, Any, object], ready: Callable[[], bool]) -> None:
    """Run ``job``, cancel it once ``ready()`` holds, and check the cancel propagates."""
    task = asyncio.ensure_future(job)
    while not ready():
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def simulated_time(monkeypatch: pytest.MonkeyPatch, clock: SimClock) -> None:
    """Run every flow on ``clock``: what the drivers read and sleep by (blocking and asyncio)."""
    monkeypatch.setattr(_drive, "monotonic", clock)
    monkeypatch.setattr(_drive, "sleep", clock.sleep)
    monkeypatch.setattr(_drive, "sleep_async", clock.sleep_async)


def installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
    """A FakeApi behind the default client (module settings, sync and async), on simulated time.

    Use as ``yield from installed(monkeypatch)`` in a test module's fixture.
    """
    monkeypatch.setattr("inductiva.api_key", "unit-key")
    monkeypatch.setattr("inductiva.api_url", "http://fake.test")
    api = FakeApi()
    simulated_time(monkeypatch, api.clock)
    transport = httpx.MockTransport(api)
    _http.set_transport(transport, transport)
    try:
        yield api
    finally:
        _http.set_transport()
