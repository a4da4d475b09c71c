"""inductiva._submit and inductiva._simulation on httpx.MockTransport, under both drivers.

register_flow: a submission is re-sent only where provably safe (connection never made, 429;
or any retryable failure when the server declares idempotency-key in GET /version), always
with one fresh Idempotency-Key. The submit flow (register, upload, optionally wait) leaves no
task half-submitted: a failed, interrupted or cancelled upload kills the registered task.
"""

from __future__ import annotations

import asyncio
import json
import os
import pathlib
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from inductiva_api import contract
from task_fakes import FakeApi, Run, cancel_when, simulated_time

import inductiva
from inductiva import _simulation, _submit, errors
from inductiva._http._flow import Flow, sleep
from inductiva._http._retry import RetryPolicy

TASK_ID = "1691150776862178362"
METHOD = "test.synthetic.run_simulation"
ALL_EXTENSIONS = sorted(contract.EXTENSIONS)


def _fresh(step: httpx.Response | Exception) -> httpx.Response | Exception:
    """A new copy of a parametrized response (a transport consumes the one it is given)."""
    if isinstance(step, httpx.Response):
        return httpx.Response(step.status_code, headers=step.headers, content=step.read())
    return step


class Server:
    """GET /version per ``extensions`` (None: 404), POST /tasks/submit from a script, then 202."""

    def __init__(self, extensions: list[str] | None, *submit_steps: httpx.Response | Exception):
        self.extensions = extensions
        self.steps = [_fresh(step) for step in submit_steps]
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/version":
            if self.extensions is None:
                return httpx.Response(404, json={"detail": "Not Found"})
            body = {"version": "1", "api_version": "0.6.0", "extensions": self.extensions}
            return httpx.Response(200, json=body)
        assert (request.method, request.url.path) == ("POST", "/tasks/submit")
        if self.steps:
            step = self.steps.pop(0)
            if isinstance(step, Exception):
                raise step
            return step
        return httpx.Response(202, json={"id": TASK_ID, "status": "pending-input"})

    def submits(self) -> list[httpx.Request]:
        """The submit requests received."""
        return [r for r in self.requests if r.url.path == "/tasks/submit"]


@pytest.fixture
def register(
    monkeypatch: pytest.MonkeyPatch, run: Run
) -> Callable[..., tuple[Server, Callable[[], str]]]:
    """``server, send = register(extensions, *steps)``: send() registers a task through a client
    of that Server (3 retries, no backoff sleeps) under the test's driver."""
    monkeypatch.setattr(RetryPolicy, "delay", lambda self, attempt, retry_after=None: 0.0)

    def make(*args: Any) -> tuple[Server, Callable[[], str]]:
        server = Server(*args)
        transport = httpx.MockTransport(server)
        client = inductiva.Client(
            "test-key", "http://api", max_retries=3, transport=transport, async_transport=transport
        )

        def send() -> str:
            flow = _submit.register_flow(METHOD, {"sim_dir": "sim_dir"}, None)
            result: str = run(client._core.run, flow)
            return result

        return server, send

    return make


def _keys(server: Server) -> list[str]:
    return [r.headers["Idempotency-Key"] for r in server.submits()]


def test_register_sends_the_task_request_with_a_fresh_key(register: Any) -> None:
    """register_flow posts TaskRequest {method, params} and returns the id; each, a new key."""
    server, send = register(ALL_EXTENSIONS)
    assert send() == TASK_ID and send() == TASK_ID
    body = json.loads(server.submits()[0].content)
    assert body == {"method": METHOD, "params": {"sim_dir": "sim_dir"}}
    keys = _keys(server)
    assert len(keys) == 2 and keys[0] != keys[1] and all(keys)


def test_register_sends_the_resource_pool(run: Run) -> None:
    """A resource_pool is sent in the TaskRequest; without one the field is left out."""
    server = Server(None)
    transport = httpx.MockTransport(server)
    client = inductiva.Client("k", "http://api", transport=transport, async_transport=transport)
    run(client._core.run, _submit.register_flow(METHOD, {"a": 1}, "my-pool"))
    assert json.loads(server.submits()[0].content)["resource_pool"] == "my-pool"


@pytest.mark.parametrize("extensions", [None, [], ALL_EXTENSIONS], ids=["404", "none", "all"])
@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), httpx.Response(429)],
    ids=["connect-error", "connect-timeout", "429"],
)
def test_never_sent_or_refused_submission_is_retried_for_any_server(
    register: Any, extensions: list[str] | None, failure: httpx.Response | Exception
) -> None:
    """A connection never made, or a 429, is re-sent (same key) whatever the server declares."""
    if isinstance(failure, httpx.Response):
        failure = httpx.Response(429, headers={"Retry-After": "0"}, json={"detail": "slow down"})
    server, send = register(extensions, failure)
    assert send() == TASK_ID
    keys = _keys(server)
    assert len(keys) == 2 and keys[0] == keys[1]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(503, json={"detail": "busy"}),
        httpx.Response(502, json={"detail": "bad gateway"}),
        httpx.ReadError("reset"),
        httpx.ReadTimeout("slow"),
    ],
    ids=["503", "502", "read-error", "read-timeout"],
)
def test_unknown_outcome_is_retried_only_when_idempotency_key_is_declared(
    register: Any, failure: httpx.Response | Exception
) -> None:
    """503/502/read failures: re-sent with the same key only if /version lists idempotency-key."""
    server, send = register(ALL_EXTENSIONS, failure)
    assert send() == TASK_ID
    keys = _keys(server)
    assert len(keys) == 2 and keys[0] == keys[1]


@pytest.mark.parametrize("extensions", [None, ["long-poll", "version"]], ids=["404", "other"])
@pytest.mark.parametrize(
    ("failure", "raised"),
    [
        (httpx.Response(503, json={"detail": "busy"}), errors.ServerError),
        (httpx.ReadError("reset"), errors.ApiConnectionError),
        (httpx.ReadTimeout("slow"), errors.ApiTimeoutError),
    ],
    ids=["503", "read-error", "read-timeout"],
)
def test_unknown_outcome_is_never_retried_without_declared_idempotency(
    register: Any,
    extensions: list[str] | None,
    failure: httpx.Response | Exception,
    raised: type[Exception],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without idempotency-key in /version, an ambiguous failure is raised after one request."""
    server, send = register(extensions, failure)
    with pytest.raises(raised):
        send()
    assert len(server.submits()) == 1
    assert "not re-sent" in caplog.text


def test_retries_are_bounded_by_max_retries(register: Any) -> None:
    """Even a server that declares idempotency-key gets at most max_retries + 1 submissions."""
    server, send = register(ALL_EXTENSIONS, *[httpx.Response(503, json={"detail": "x"})] * 10)
    with pytest.raises(errors.ServerError):
        send()
    assert len(server.submits()) == 4


# -- the submit flow: register, upload, wait; no task left behind ---------------------------


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> FakeApi:
    """The in-memory API, on simulated time."""
    api = FakeApi()
    simulated_time(monkeypatch, api.clock)
    return api


@pytest.fixture
def input_dir(tmp_path: pathlib.Path) -> pathlib.Path:
    """A one-file input directory."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("hello")
    return tmp_path / "in"


def _submit_with(run: Run, client: inductiva.Client, input_dir: pathlib.Path, **kw: Any) -> Any:
    return run(_simulation.submit, METHOD, {"x": 1}, input_dir, client=client, **kw)


def _kills(api: FakeApi) -> list[str]:
    return [p for p in api.paths() if p.endswith("/kill")]


def test_submit_registers_uploads_and_returns_the_bound_task(
    fake_api: FakeApi, input_dir: pathlib.Path, run: Run
) -> None:
    """run_async=True: register (sim_dir first in params), upload, return the client's Task."""
    with fake_api.client() as client:
        task = _submit_with(run, client, input_dir, run_async=True)
        assert isinstance(task, inductiva.Task) and task._core is client._core
    submitted = ["GET /version", "POST /tasks/submit", f"POST /tasks/{task.id}/input"]
    assert fake_api.paths() == submitted  # /version: may a submission be re-sent?
    assert list(fake_api.tasks[task.id]["params"]) == ["sim_dir", "x"]
    assert fake_api.tasks[task.id]["status"] == "submitted"


def test_blocking_submit_waits_until_done(
    fake_api: FakeApi, input_dir: pathlib.Path, monkeypatch: pytest.MonkeyPatch, run: Run
) -> None:
    """run_async=False returns only once the task has finished."""
    original_add = fake_api.add

    def scripted(task_id: str, status: str = "submitted", then: tuple[str, ...] = (), **kw: Any):
        return original_add(task_id, status, then=("started", "success"), **kw)

    monkeypatch.setattr(fake_api, "add", scripted)
    with fake_api.client() as client:
        task = _submit_with(run, client, input_dir)
    assert fake_api.tasks[task.id]["status"] == "success" and not _kills(fake_api)


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, RuntimeError])
def test_interrupted_or_failed_upload_kills_the_task(
    fake_api: FakeApi,
    input_dir: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    run: Run,
    interruption: type[BaseException],
) -> None:
    """Ctrl-C (or any error) during the upload kills the registered task and is re-raised."""

    def interrupted(task_id: str, input_dir: pathlib.Path, params: object) -> Flow[None]:
        yield from sleep(0)
        raise interruption

    monkeypatch.setattr("inductiva._transfers._upload.upload_flow", interrupted)
    with fake_api.client() as client, pytest.raises(interruption):
        _submit_with(run, client, input_dir, run_async=True)
    [task] = fake_api.tasks.values()
    assert task["status"] == "killed" and len(_kills(fake_api)) == 1


def test_refused_upload_kills_the_task(
    fake_api: FakeApi, input_dir: pathlib.Path, run: Run
) -> None:
    """An upload the server refuses (409) raises its error, and the task is killed."""
    fake_api.upload_status = [409]
    with fake_api.client() as client, pytest.raises(errors.ConflictError):
        _submit_with(run, client, input_dir, run_async=True)
    [task] = fake_api.tasks.values()
    assert task["status"] == "killed"


def test_failed_registration_leaves_nothing_to_kill(
    fake_api: FakeApi, input_dir: pathlib.Path, monkeypatch: pytest.MonkeyPatch, run: Run
) -> None:
    """A refused registration raises its error; no upload and no kill are sent."""
    monkeypatch.setattr(
        fake_api, "_submit", lambda request: httpx.Response(422, json={"detail": ["bad params"]})
    )
    with fake_api.client() as client, pytest.raises(errors.ValidationError, match="bad params"):
        _submit_with(run, client, input_dir, run_async=True)
    assert fake_api.paths() == ["GET /version", "POST /tasks/submit"]


def test_cancelled_submit_async_kills_the_task(
    input_dir: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancelling submit_async during the upload kills the task, then the cancel goes on."""
    api = FakeApi()
    uploading = threading.Event()

    def stalled(task_id: str, input_dir: pathlib.Path, params: object) -> Flow[None]:
        uploading.set()
        yield from sleep(3600)

    monkeypatch.setattr("inductiva._transfers._upload.upload_flow", stalled)

    async def main() -> None:
        with api.client() as client:
            job = _simulation.submit_async(METHOD, {}, input_dir, run_async=True, client=client)
            await cancel_when(job, uploading.is_set)

    asyncio.run(main())
    [task] = api.tasks.values()
    assert task["status"] == "killed" and len(_kills(api)) == 1


def test_bad_progress_setting_fails_before_the_task_is_created(
    monkeypatch: pytest.MonkeyPatch, run: Run
) -> None:
    """INDUCTIVA_PROGRESS=maybe fails before any request: no remote task is created."""
    requests: list[httpx.Request] = []
    monkeypatch.setattr(inductiva, "api_key", "k")
    monkeypatch.setattr(inductiva, "api_url", "http://127.0.0.1:9")
    monkeypatch.setenv("INDUCTIVA_PROGRESS", "maybe")
    transport = httpx.MockTransport(lambda r: requests.append(r) or httpx.Response(500))
    inductiva._http.set_transport(transport, transport)
    with pytest.raises(errors.ConfigurationError, match="INDUCTIVA_PROGRESS"):
        inductiva.simulators.Synthetic().run(duration=0, run_async=True)
    with pytest.raises(errors.ConfigurationError, match="INDUCTIVA_PROGRESS"):
        inductiva.Client()
    assert requests == []


@pytest.mark.parametrize(
    ("params", "missing", "match"),
    [
        ({"x": float("nan")}, False, "not JSON"),
        ({"x": object()}, False, "not JSON"),
        ({"x": 1}, True, "does not exist"),
    ],
    ids=["nan", "object", "no-input-dir"],
)
def test_bad_params_or_input_dir_fail_before_the_task_is_registered(
    fake_api: FakeApi,
    input_dir: pathlib.Path,
    run: Run,
    params: dict[str, Any],
    missing: bool,
    match: str,
) -> None:
    """Parameters that are not JSON, or a missing input directory, send no request at all."""
    where = input_dir / "nope" if missing else input_dir
    with fake_api.client() as client, pytest.raises(errors.InvalidArgumentError, match=match):
        run(_simulation.submit, METHOD, params, where, client=client, run_async=True)
    assert fake_api.paths() == [] and not fake_api.tasks


def test_unreadable_input_file_is_a_local_file_error_and_kills_the_task(
    fake_api: FakeApi, input_dir: pathlib.Path, monkeypatch: pytest.MonkeyPatch, run: Run
) -> None:
    """An input file that cannot be read is a LocalFileError naming it; the task is killed."""
    real_open = pathlib.Path.open

    def refuse(path: pathlib.Path, *args: Any, **kwargs: Any) -> Any:
        if path.name == "a.txt":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", refuse)
    real_os_open = os.open

    def refuse_fd(path: Any, *args: Any, **kwargs: Any) -> int:
        if os.fspath(path).endswith("a.txt"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_os_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse_fd)
    with fake_api.client() as client, pytest.raises(errors.LocalFileError, match=r"a\.txt") as info:
        _submit_with(run, client, input_dir, run_async=True)
    assert "Permission denied" in str(info.value)
    [task] = fake_api.tasks.values()
    assert task["status"] == "killed"
