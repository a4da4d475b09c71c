"""inductiva.task on httpx.MockTransport: status, info, waiting, killing, sync_context, outputs.

Each flow runs under both drivers (the ``run`` fixture: ``task.wait()`` and
``asyncio.run(task.wait_async())``), on simulated time.
"""

from __future__ import annotations

import datetime
import logging
import math
import pathlib
import tempfile
from collections.abc import Iterator
from contextlib import suppress
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from task_fakes import FakeApi, Run, executer_json, info_from, simulated_time

import inductiva
from inductiva import _http, errors
from inductiva._http._flow import Flow
from inductiva.molecules import ProteinSolvationOutput
from inductiva.task import Task

ID = "1691150776862178362"


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> FakeApi:
    """The in-memory API, on simulated time."""
    api = FakeApi()
    simulated_time(monkeypatch, api.clock)
    return api


@pytest.fixture
def client(fake_api: FakeApi) -> Iterator[inductiva.Client]:
    """A client whose requests (blocking and asyncio) reach the fake API."""
    with fake_api.client() as client:
        yield client


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> list[dict[str, Any]]:
    """The transfer engine replaced: each download flow records its arguments, returns tmp_path."""
    seen: list[dict[str, Any]] = []

    def download_flow(task_id: str, **kwargs: Any) -> Flow[pathlib.Path]:
        seen.append({"task_id": task_id, **kwargs})
        return tmp_path
        yield  # a flow

    monkeypatch.setattr("inductiva._transfers._download.download_flow", download_flow)
    return seen


# -- identity and client -----------------------------------------------------------------


def test_task_id_is_validated() -> None:
    """Task ids must be digits; ints are converted; anything else names the format."""
    assert Task(1691150776862178362).id == ID  # type: ignore[arg-type]
    with pytest.raises(errors.InvalidArgumentError, match="digits"):
        Task("../etc")


def test_equality_hash_and_repr() -> None:
    """Tasks are equal and hash alike by id; repr shows the id."""
    assert Task(ID) == Task(ID) and len({Task(ID), Task(ID)}) == 1
    assert Task(ID) != Task("1") and Task(ID) != ID
    assert repr(Task(ID)) == f"Task(id='{ID}')"


@pytest.mark.parametrize("bad", [123, "client", object()])
def test_client_must_be_a_client(bad: object) -> None:
    """Task(id, client=<not a client>) is an InvalidArgumentError naming what is allowed."""
    with pytest.raises(errors.InvalidArgumentError, match=r"inductiva\.Client or inductiva\.Async"):
        Task(ID, client=bad)


def test_task_sends_through_its_own_client(fake_api: FakeApi, client: inductiva.Client) -> None:
    """A Task given a client uses that client's transport, never the default client's."""
    refused: list[httpx.Request] = []
    _http.set_transport(httpx.MockTransport(lambda r: refused.append(r) or httpx.Response(500)))
    fake_api.add(ID, "started")
    assert Task(ID, client=client).get_status() == "started"
    assert client.task(ID).get_status() == "started"
    assert refused == [] and fake_api.paths() == [f"GET /tasks/{ID}/status"] * 2


def test_from_info_carries_information() -> None:
    """Task.from_info keeps the info, so no request is needed to read it."""
    info = info_from(ID, "success", method_name="synthetic.run")
    task = Task.from_info(info)
    assert task.info is info and "success" in repr(task)


# -- status and information ----------------------------------------------------------------


@pytest.mark.parametrize(
    "status",
    ["submitted", "started", "success", "failed", "killed", "pending-kill", "executer-failed"],
)
def test_get_status_returns_plain_strings(
    fake_api: FakeApi, client: inductiva.Client, run: Run, status: str
) -> None:
    """get_status() returns the API's status as a plain str equal to the seed's strings."""
    fake_api.add(ID, status)
    result = run(client.task(ID).get_status)
    assert result == status and type(result) is str


def test_get_status_accepts_unknown_future_status(
    fake_api: FakeApi, client: inductiva.Client, run: Run
) -> None:
    """A status this client does not know is returned as-is."""
    fake_api.add(ID, "zombie")
    assert run(client.task(ID).get_status) == "zombie"


def test_get_info_converts_the_model(fake_api: FakeApi, client: inductiva.Client, run: Run) -> None:
    """get_info() returns a frozen TaskInfo (id from task_id) with aware datetimes and executer."""
    fake_api.add(
        ID,
        "success",
        method_name="fvm.openfoam.run_simulation",
        start_time="2023-08-04T11:06:18",  # naive: read as UTC
        end_time="2023-08-04T11:08:11.500000+00:00",
        executer=executer_json("c2-standard-8"),
    )
    info = run(client.task(ID).get_info)
    assert info.id == ID
    assert info.start_time == datetime.datetime(2023, 8, 4, 11, 6, 18, tzinfo=datetime.UTC)
    assert (info.vm_type, info.host_type) == ("c2-standard-8", "gcloud")
    assert (info.cpu_count_logical, info.cpu_count_physical, info.memory) == (8, 4, 32 * 1024**3)
    assert info.simulator == "openfoam" and info.execution_time == 113.5
    with pytest.raises(AttributeError):
        info.status = "failed"


def test_get_info_reads_the_inductiva_hardware_executer(
    fake_api: FakeApi, client: inductiva.Client, run: Run
) -> None:
    """An inductiva-hardware executer has host type, CPUs and memory but no VM type."""
    executer = executer_json(host_type="inductiva-hardware", memory=1024)
    del executer["vm_type"], executer["vm_name"]
    fake_api.add(ID, "started", executer=executer)
    info = run(client.task(ID).get_info)
    assert (info.host_type, info.vm_type, info.memory) == ("inductiva-hardware", None, 1024)
    assert info.cpu_count_logical == 8


def test_get_info_accepts_null_times(fake_api: FakeApi, client: inductiva.Client, run: Run) -> None:
    """Every time may be null (or absent), create_time included; they become None."""
    fake_api.add(ID, "pending-input", create_time=None, input_submit_time=None)
    del fake_api.tasks[ID]["executer"]
    info = run(client.task(ID).get_info)
    assert (info.create_time, info.input_submit_time, info.start_time) == (None, None, None)
    assert info.host_type is None and info.memory is None


def test_machine_type_and_execution_time_unknown_while_pending(
    fake_api: FakeApi, client: inductiva.Client, run: Run
) -> None:
    """Before running, machine type and execution time are None."""
    fake_api.add(ID, "submitted")
    task = client.task(ID)
    assert run(task.get_machine_type) is None and run(task.get_execution_time) is None


def test_finished_info_is_cached(fake_api: FakeApi, client: inductiva.Client, run: Run) -> None:
    """Once a task finished, its information is fetched once and reused."""
    fake_api.add(ID, "success", executer=executer_json("n2-standard-2"))
    task = client.task(ID)
    assert run(task.get_machine_type) == "n2-standard-2"
    run(task.get_execution_time)
    assert fake_api.paths().count(f"GET /tasks/{ID}") == 1


# -- waiting ------------------------------------------------------------------------------


def test_wait_uses_long_poll_with_last_status(
    fake_api: FakeApi, client: inductiva.Client, run: Run
) -> None:
    """wait() asks once, then long-polls with wait_seconds and last_status, to the final status."""
    fake_api.add(ID, "submitted", then=("started", "success"))
    assert run(client.task(ID).wait) == "success"
    assert [r.url.params.get("last_status") for r in fake_api.requests] == [
        None,
        "submitted",
        "started",
    ]
    polls = [r.url.params for r in fake_api.requests if float(r.url.params["wait_seconds"]) > 0]
    assert [p["last_status"] for p in polls] == ["submitted", "started"]
    assert all(0 < float(p["wait_seconds"]) <= 60 for p in polls)


@pytest.mark.parametrize(
    "final",
    [
        "success",
        "failed",
        "killed",
        "spot-instance-preempted",
        "executer-terminated",
        "executer-failed",
    ],
)
def test_wait_stops_at_every_terminal_status(
    fake_api: FakeApi, client: inductiva.Client, run: Run, final: str
) -> None:
    """Each terminal status ends wait()."""
    fake_api.add(ID, "started", then=(final,))
    assert run(client.task(ID).wait) == final


def test_pending_kill_is_not_terminal(
    fake_api: FakeApi, client: inductiva.Client, run: Run
) -> None:
    """wait() goes on through pending-kill until killed."""
    fake_api.add(ID, "started", then=("pending-kill", "killed"))
    assert run(client.task(ID).wait) == "killed"


def test_unknown_status_is_waited_through_and_logged_once(
    fake_api: FakeApi, client: inductiva.Client, run: Run, caplog: pytest.LogCaptureFixture
) -> None:
    """An unknown status is not terminal and is logged once, not per poll."""
    fake_api.add(ID, "started", then=("zombie", "zombie", "success"))
    with caplog.at_level(logging.WARNING, logger="inductiva"):
        assert run(client.task(ID).wait) == "success"
    assert sum("zombie" in r.getMessage() for r in caplog.records) == 1


def test_wait_timeout_raises(fake_api: FakeApi, client: inductiva.Client, run: Run) -> None:
    """wait(timeout=...) raises TaskTimeoutError (a TimeoutError) naming the status."""
    fake_api.add(ID, "started")
    with pytest.raises(errors.TaskTimeoutError, match="started") as info:
        run(client.task(ID).wait, timeout=0.05)
    assert isinstance(info.value, TimeoutError) and info.value.task_id == ID


def test_wait_rejects_bad_arguments(run: Run) -> None:
    """Negative timeouts and non-positive polls are InvalidArgumentError."""
    with pytest.raises(errors.InvalidArgumentError, match="timeout"):
        run(Task(ID).wait, timeout=-1)
    with pytest.raises(errors.InvalidArgumentError, match="poll"):
        run(Task(ID).wait, poll=0)


@pytest.mark.parametrize("timeout", [math.nan, math.inf, 10**400, -1, 1e300, "5"])
def test_bad_wait_timeouts_are_refused(run: Run, timeout: object) -> None:
    """NaN, infinite, huge, negative or non-numeric timeouts are InvalidArgumentError."""
    with pytest.raises(errors.InvalidArgumentError, match="timeout"):
        run(Task(ID).wait, timeout=timeout)


@pytest.mark.parametrize("poll", [math.nan, math.inf, 0, 10**400])
def test_bad_polls_are_refused(run: Run, poll: object) -> None:
    """NaN, infinite, zero or huge poll intervals are InvalidArgumentError."""
    with pytest.raises(errors.InvalidArgumentError, match="poll"):
        run(Task(ID).wait, poll=poll)


# -- killing ------------------------------------------------------------------------------


def test_kill_waits_for_confirmation(fake_api: FakeApi, client: inductiva.Client, run: Run) -> None:
    """kill() accepts pending-kill and returns once the task is killed."""
    fake_api.kill_status = "pending-kill"
    fake_api.add(ID, "started", then=("killed",))
    assert run(client.task(ID).kill) == "killed"


def test_kill_is_idempotent(fake_api: FakeApi, client: inductiva.Client, run: Run) -> None:
    """Killing a killed task is fine."""
    fake_api.add(ID, "killed")
    assert run(client.task(ID).kill) == "killed"
    assert run(client.task(ID).kill) == "killed"


@pytest.mark.parametrize("final", ["success", "failed", "executer-terminated"])
def test_kill_finished_task_answered_200_raises_task_finished(
    fake_api: FakeApi, client: inductiva.Client, run: Run, final: str
) -> None:
    """A kill answered 200 with a final status other than killed is TaskFinishedError."""
    fake_api.add(ID, final)
    with pytest.raises(errors.TaskFinishedError, match=f"'{final}'") as info:
        run(client.task(ID).kill)
    assert info.value.status == final
    assert fake_api.paths() == [f"POST /tasks/{ID}/kill"]  # no status request needed


def test_kill_finished_task_answered_409_raises_task_finished(
    fake_api: FakeApi, client: inductiva.Client, run: Run
) -> None:
    """An older server's 409 on kill still becomes TaskFinishedError naming the status."""
    fake_api.kill_conflict = True
    fake_api.add(ID, "success")
    with pytest.raises(errors.TaskFinishedError, match="'success'"):
        run(client.task(ID).kill)


def test_kill_timeout(fake_api: FakeApi, client: inductiva.Client, run: Run) -> None:
    """kill() raises KillTimeoutError when the kill is not confirmed in time."""
    fake_api.kill_status = "pending-kill"
    fake_api.add(ID, "started")
    with pytest.raises(errors.KillTimeoutError, match="pending-kill"):
        run(client.task(ID).kill, wait_timeout=0.05)


def test_kill_without_waiting(fake_api: FakeApi, client: inductiva.Client, run: Run) -> None:
    """kill(wait_timeout=0) returns the accepted status without waiting."""
    fake_api.kill_status = "pending-kill"
    fake_api.add(ID, "started")
    assert run(client.task(ID).kill, wait_timeout=0) == "pending-kill"
    assert not any("status" in p for p in fake_api.paths())


def test_kill_is_resent_after_an_unknown_outcome(
    fake_api: FakeApi, monkeypatch: pytest.MonkeyPatch, run: Run
) -> None:
    """A kill (a POST) answered 503 is sent again: killing twice is killing once."""
    monkeypatch.setattr("inductiva._http._retry.RetryPolicy.delay", lambda *a, **k: 0.0)
    fake_api.add(ID, "started")
    answers = [httpx.Response(503, json={"detail": "busy"})]

    def flaky(request: httpx.Request) -> httpx.Response:
        return (
            answers.pop(0) if answers and request.url.path.endswith("/kill") else fake_api(request)
        )

    transport = httpx.MockTransport(flaky)
    with inductiva.Client(
        "k", "http://fake.test", transport=transport, async_transport=transport
    ) as c:
        assert run(c.task(ID).kill) == "killed"
    assert fake_api.paths() == [f"POST /tasks/{ID}/kill"] and answers == []


def test_sync_context_kills_and_reraises_keyboard_interrupt(
    fake_api: FakeApi, client: inductiva.Client
) -> None:
    """Ctrl-C inside sync_context kills the task and the KeyboardInterrupt propagates."""
    fake_api.add(ID, "started")
    task = client.task(ID)
    with pytest.raises(KeyboardInterrupt), task.sync_context():
        raise KeyboardInterrupt
    assert fake_api.tasks[ID]["status"] == "killed"


def test_sync_context_kills_and_reraises_exceptions(
    fake_api: FakeApi, client: inductiva.Client
) -> None:
    """Any exception inside sync_context kills the task and is re-raised unchanged."""
    fake_api.add(ID, "started")
    with pytest.raises(ZeroDivisionError), client.task(ID).sync_context():
        _ = 1 / 0
    assert fake_api.tasks[ID]["status"] == "killed"


def test_sync_context_logs_failed_kill_and_keeps_original_error(
    fake_api: FakeApi, client: inductiva.Client, caplog: pytest.LogCaptureFixture
) -> None:
    """If the kill fails, that is logged and the original exception still propagates."""
    task = client.task("42")  # unknown to the API: the kill answers 404
    log_errors = caplog.at_level(logging.ERROR, logger="inductiva")
    with log_errors, pytest.raises(RuntimeError), task.sync_context():
        raise RuntimeError("boom")
    assert "Could not kill task 42" in caplog.text


def test_sync_context_without_error_does_not_kill(
    fake_api: FakeApi, client: inductiva.Client
) -> None:
    """A block that ends normally leaves the task alone."""
    fake_api.add(ID, "started", then=("success",))
    with client.task(ID).sync_context() as task:
        task.wait()
    assert not any(p.endswith("/kill") for p in fake_api.paths())


# -- outputs -------------------------------------------------------------------------------


def test_output_files_info(fake_api: FakeApi, client: inductiva.Client, run: Run) -> None:
    """get_output_files_info() returns an OutputInfo of the archive listing."""
    fake_api.add(ID, "success")
    fake_api.outputs = {
        "size": 1234,
        "contents": [{"name": "stdout.txt", "size": 10, "compressed_size": 5}],
    }
    info = run(client.task(ID).get_output_files_info)
    assert isinstance(info, inductiva.OutputInfo) and info.size == 1234
    assert info.contents[0] == inductiva.OutputFile("stdout.txt", 10, 5)


def test_download_outputs_delegates(
    client: inductiva.Client, downloads: list[dict[str, Any]], run: Run, tmp_path: pathlib.Path
) -> None:
    """download_outputs() hands its checked arguments to the download flow and returns its path."""
    result = run(
        client.task(ID).download_outputs, ["a.txt"], output_dir=str(tmp_path), uncompress=False
    )
    assert result == tmp_path
    assert downloads == [
        {"task_id": ID, "filenames": ["a.txt"], "output_dir": tmp_path, "uncompress": False}
    ]


def test_download_outputs_rejects_a_bare_string(run: Run) -> None:
    """filenames='x.txt' (not a list) is a clear InvalidArgumentError."""
    with pytest.raises(errors.InvalidArgumentError, match="list of file names"):
        run(Task(ID).download_outputs, "stdout.txt")


def test_get_output_raises_when_task_failed(
    fake_api: FakeApi, client: inductiva.Client, run: Run
) -> None:
    """get_output() on a failed task raises TaskFailedError with the status."""
    fake_api.add(ID, "started", then=("failed",))
    with pytest.raises(errors.TaskFailedError, match="'failed'") as info:
        run(client.task(ID).get_output)
    assert info.value.status == "failed"


@pytest.mark.parametrize(
    ("method", "cls_name"),
    [
        ("md.gromacs.protein_solvation", "ProteinSolvationOutput"),
        ("fvm.openfoam.run_simulation", "OpenFOAMOutput"),
        ("some.new.method", "TaskOutput"),
    ],
)
def test_get_output_picks_the_output_class_by_method(
    fake_api: FakeApi,
    client: inductiva.Client,
    downloads: list[dict[str, Any]],
    run: Run,
    tmp_path: pathlib.Path,
    method: str,
    cls_name: str,
) -> None:
    """get_output() waits, downloads, and wraps the directory in the method's output class."""
    fake_api.add(ID, "started", then=("success",), method_name=method)
    output = run(client.task(ID).get_output)
    assert type(output).__name__ == cls_name and output.path == tmp_path
    assert [d["uncompress"] for d in downloads] == [True]


def test_get_output_builds_the_explicit_output_class(
    fake_api: FakeApi, downloads: list[dict[str, Any]], run: Run, tmp_path: pathlib.Path
) -> None:
    """Task(..., output=cls) makes get_output() build cls, whatever the task's method."""
    fake_api.add(ID, "success", method_name="some.new.method")
    with fake_api.client() as client:
        task = Task(ID, client=client, output=ProteinSolvationOutput)
        output = run(task.get_output)
    assert isinstance(output, ProteinSolvationOutput) and output.path == tmp_path


# -- hostile arguments ------------------------------------------------------------------------

_hostile_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["", ".", "..", "/", "/dev/null/x", "\x00", "\x1b[2J", "x" * 5000, "é", "nan", "-1"]
    ),
)
_hostile_value = st.one_of(
    _hostile_text,
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**500), max_value=10**500),
    st.floats(allow_nan=True, allow_infinity=True),
    st.lists(st.text(max_size=5), max_size=3),
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    task_id=_hostile_value,
    output_dir=_hostile_value,
    uncompress=_hostile_value,
    filenames=_hostile_value,
    timeout=_hostile_value,
)
def test_public_api_raises_only_documented_errors(
    task_id: object, output_dir: object, uncompress: object, filenames: object, timeout: object
) -> None:
    """Hostile arguments to the public API only ever raise InductivaError subclasses."""
    mp = pytest.MonkeyPatch()
    mp.chdir(tempfile.mkdtemp())  # relative hostile paths land in a scratch directory
    mp.setattr(inductiva, "api_key", "k")
    mp.setattr(inductiva, "api_url", "http://127.0.0.1:9")
    mp.setattr(inductiva, "max_retries", 0)
    _http.set_transport(httpx.MockTransport(lambda r: httpx.Response(404, json={"detail": "x"})))
    try:
        for call in (
            lambda: Task(task_id).get_status(),  # type: ignore[arg-type]
            lambda: Task(ID).download_outputs(
                filenames=filenames,  # type: ignore[arg-type]
                output_dir=output_dir,  # type: ignore[arg-type]
                uncompress=uncompress,  # type: ignore[arg-type]
            ),
            lambda: Task(ID).wait(timeout=timeout),  # type: ignore[arg-type]
            lambda: Task(ID).kill(wait_timeout=timeout),  # type: ignore[arg-type]
            lambda: inductiva.tasks.get(task_id, status=output_dir),  # type: ignore[arg-type]
        ):
            with suppress(errors.InductivaError):
                call()
    finally:
        mp.undo()
        _http.set_transport()
