"""Task on httpx.MockTransport: statuses, info, waiting, killing, sync_context, outputs."""

from __future__ import annotations

import datetime
import logging
import pathlib
from collections.abc import Iterator

import pytest
from task_fakes import FakeApi, executer_json, info_from, installed

import inductiva
from inductiva import errors
from inductiva.task import Task

ID = "1691150776862178362"


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
    """The in-memory API behind the shared client."""
    yield from installed(monkeypatch)


@pytest.mark.parametrize(
    "status",
    ["submitted", "started", "success", "failed", "killed", "pending-kill", "executer-failed"],
)
def test_get_status_returns_plain_strings(fake_api: FakeApi, status: str) -> None:
    """get_status() returns the API's status as a plain str equal to the seed's strings."""
    fake_api.add(ID, status)
    result = Task(ID).get_status()
    assert result == status and type(result) is str


def test_get_status_accepts_unknown_future_status(fake_api: FakeApi) -> None:
    """A status this client does not know is returned as-is."""
    fake_api.add(ID, "zombie")
    assert Task(ID).get_status() == "zombie"


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


def test_get_info_converts_the_model(fake_api: FakeApi) -> None:
    """get_info() returns a frozen TaskInfo (id from task_id) with aware datetimes and executer."""
    fake_api.add(
        ID,
        "success",
        method_name="fvm.openfoam.run_simulation",
        start_time="2023-08-04T11:06:18",  # naive: read as UTC
        end_time="2023-08-04T11:08:11.500000+00:00",
        executer=executer_json("c2-standard-8"),
    )
    info = Task(ID).get_info()
    assert info.id == ID
    assert info.start_time == datetime.datetime(2023, 8, 4, 11, 6, 18, tzinfo=datetime.UTC)
    assert (info.vm_type, info.host_type) == ("c2-standard-8", "gcloud")
    assert (info.cpu_count_logical, info.cpu_count_physical, info.memory) == (8, 4, 32 * 1024**3)
    assert info.simulator == "openfoam" and info.execution_time == 113.5
    with pytest.raises(AttributeError):
        info.status = "failed"  # type: ignore[misc]


def test_get_info_reads_the_inductiva_hardware_executer(fake_api: FakeApi) -> None:
    """An inductiva-hardware executer has host type, CPUs and memory but no VM type."""
    executer = executer_json(host_type="inductiva-hardware", memory=1024)
    del executer["vm_type"], executer["vm_name"]
    fake_api.add(ID, "started", executer=executer)
    info = Task(ID).get_info()
    assert (info.host_type, info.vm_type, info.memory) == ("inductiva-hardware", None, 1024)
    assert info.cpu_count_logical == 8


def test_get_info_accepts_null_times(fake_api: FakeApi) -> None:
    """Every time may be null (or absent), create_time included; they become None."""
    fake_api.add(ID, "pending-input", create_time=None, input_submit_time=None)
    del fake_api.tasks[ID]["executer"]
    info = Task(ID).get_info()
    assert (info.create_time, info.input_submit_time, info.start_time) == (None, None, None)
    assert info.host_type is None and info.memory is None


def test_machine_type_and_execution_time_unknown_while_pending(fake_api: FakeApi) -> None:
    """Before running, machine type and execution time are None."""
    fake_api.add(ID, "submitted")
    task = Task(ID)
    assert task.get_machine_type() is None and task.get_execution_time() is None


def test_finished_info_is_cached(fake_api: FakeApi) -> None:
    """Once a task finished, its information is fetched once and reused."""
    fake_api.add(ID, "success", executer=executer_json("n2-standard-2"))
    task = Task(ID)
    task.get_machine_type()
    task.get_execution_time()
    assert fake_api.paths().count(f"GET /tasks/{ID}") == 1


def test_wait_uses_long_poll_with_last_status(fake_api: FakeApi) -> None:
    """wait() long-polls with wait_seconds and last_status and returns the final status."""
    fake_api.add(ID, "submitted", then=("started", "success"))
    assert Task(ID).wait() == "success"
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
def test_wait_stops_at_every_terminal_status(fake_api: FakeApi, final: str) -> None:
    """Each terminal status ends wait()."""
    fake_api.add(ID, "started", then=(final,))
    assert Task(ID).wait() == final


def test_pending_kill_is_not_terminal(fake_api: FakeApi) -> None:
    """wait() goes on through pending-kill until killed."""
    fake_api.add(ID, "started", then=("pending-kill", "killed"))
    assert Task(ID).wait() == "killed"


def test_unknown_status_is_waited_through_and_logged_once(
    fake_api: FakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    """An unknown status is not terminal and is logged once, not per poll."""
    fake_api.add(ID, "started", then=("zombie", "zombie", "success"))
    with caplog.at_level(logging.WARNING, logger="inductiva"):
        assert Task(ID).wait() == "success"
    assert sum("zombie" in r.getMessage() for r in caplog.records) == 1


def test_wait_timeout_raises(fake_api: FakeApi) -> None:
    """wait(timeout=...) raises TaskTimeoutError (a TimeoutError) naming the status."""
    fake_api.add(ID, "started")
    with pytest.raises(errors.TaskTimeoutError, match="started") as info:
        Task(ID).wait(timeout=0.05)
    assert isinstance(info.value, TimeoutError) and info.value.task_id == ID


def test_wait_rejects_bad_arguments() -> None:
    """Negative timeouts and non-positive polls are InvalidArgumentError."""
    with pytest.raises(errors.InvalidArgumentError, match="timeout"):
        Task(ID).wait(timeout=-1)
    with pytest.raises(errors.InvalidArgumentError, match="poll"):
        Task(ID).wait(poll=0)


def test_kill_waits_for_confirmation(fake_api: FakeApi) -> None:
    """kill() accepts pending-kill and returns once the task is killed."""
    fake_api.kill_status = "pending-kill"
    fake_api.add(ID, "started", then=("killed",))
    assert Task(ID).kill() == "killed"


def test_kill_is_idempotent(fake_api: FakeApi) -> None:
    """Killing a killed task is fine."""
    fake_api.add(ID, "killed")
    assert Task(ID).kill() == "killed"
    assert Task(ID).kill() == "killed"


@pytest.mark.parametrize("final", ["success", "failed", "executer-terminated"])
def test_kill_finished_task_answered_200_raises_task_finished(
    fake_api: FakeApi, final: str
) -> None:
    """A kill answered 200 with a final status other than killed is TaskFinishedError."""
    fake_api.add(ID, final)
    with pytest.raises(errors.TaskFinishedError, match=f"'{final}'") as info:
        Task(ID).kill()
    assert info.value.status == final
    assert fake_api.paths() == [f"POST /tasks/{ID}/kill"]  # no status request needed


def test_kill_finished_task_answered_409_raises_task_finished(fake_api: FakeApi) -> None:
    """An older server's 409 on kill still becomes TaskFinishedError naming the status."""
    fake_api.kill_conflict = True
    fake_api.add(ID, "success")
    with pytest.raises(errors.TaskFinishedError, match="'success'"):
        Task(ID).kill()


def test_kill_timeout(fake_api: FakeApi) -> None:
    """kill() raises KillTimeoutError when the kill is not confirmed in time."""
    fake_api.kill_status = "pending-kill"
    fake_api.add(ID, "started")
    with pytest.raises(errors.KillTimeoutError, match="pending-kill"):
        Task(ID).kill(wait_timeout=0.05)


def test_kill_without_waiting(fake_api: FakeApi) -> None:
    """kill(wait_timeout=0) returns the accepted status without waiting."""
    fake_api.kill_status = "pending-kill"
    fake_api.add(ID, "started")
    assert Task(ID).kill(wait_timeout=0) == "pending-kill"
    assert not any("status" in p for p in fake_api.paths())


def test_sync_context_kills_and_reraises_keyboard_interrupt(fake_api: FakeApi) -> None:
    """Ctrl-C inside sync_context kills the task and the KeyboardInterrupt propagates."""
    fake_api.add(ID, "started")
    task = Task(ID)
    with pytest.raises(KeyboardInterrupt), task.sync_context():
        raise KeyboardInterrupt
    assert fake_api.tasks[ID]["status"] == "killed"


def test_sync_context_kills_and_reraises_exceptions(fake_api: FakeApi) -> None:
    """Any exception inside sync_context kills the task and is re-raised unchanged."""
    fake_api.add(ID, "started")
    with pytest.raises(ZeroDivisionError), Task(ID).sync_context():
        _ = 1 / 0
    assert fake_api.tasks[ID]["status"] == "killed"


def test_sync_context_logs_failed_kill_and_keeps_original_error(
    fake_api: FakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    """If the kill fails, that is logged and the original exception still propagates."""
    task = Task("42")  # unknown to the API: the kill answers 404
    log_errors = caplog.at_level(logging.ERROR, logger="inductiva")
    with log_errors, pytest.raises(RuntimeError), task.sync_context():
        raise RuntimeError("boom")
    assert "Could not kill task 42" in caplog.text


def test_sync_context_without_error_does_not_kill(fake_api: FakeApi) -> None:
    """A block that ends normally leaves the task alone."""
    fake_api.add(ID, "started", then=("success",))
    with Task(ID).sync_context() as task:
        task.wait()
    assert not any(p.endswith("/kill") for p in fake_api.paths())


def test_output_files_info(fake_api: FakeApi) -> None:
    """get_output_files_info() returns an OutputInfo of the archive listing."""
    fake_api.add(ID, "success")
    fake_api.outputs = {
        "size": 1234,
        "contents": [{"name": "stdout.txt", "size": 10, "compressed_size": 5}],
    }
    info = Task(ID).get_output_files_info()
    assert isinstance(info, inductiva.OutputInfo) and info.size == 1234
    assert info.contents[0] == inductiva.OutputFile("stdout.txt", 10, 5)


def test_download_outputs_delegates(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    """download_outputs() hands its arguments to the transfer engine and returns its path."""
    seen: dict[str, object] = {}

    def fake_download(task_id: str, **kwargs: object) -> pathlib.Path:
        seen.update(kwargs, task_id=task_id)
        return tmp_path

    monkeypatch.setattr("inductiva._transfers._download.download_outputs", fake_download)
    result = Task(ID).download_outputs(["a.txt"], output_dir=str(tmp_path), uncompress=False)
    assert result == tmp_path
    assert seen == {
        "task_id": ID,
        "filenames": ["a.txt"],
        "output_dir": tmp_path,
        "uncompress": False,
    }


def test_download_outputs_rejects_a_bare_string() -> None:
    """filenames='x.txt' (not a list) is a clear InvalidArgumentError."""
    with pytest.raises(errors.InvalidArgumentError, match="list of file names"):
        Task(ID).download_outputs("stdout.txt")


def test_get_output_raises_when_task_failed(fake_api: FakeApi) -> None:
    """get_output() on a failed task raises TaskFailedError with the status."""
    fake_api.add(ID, "started", then=("failed",))
    with pytest.raises(errors.TaskFailedError, match="'failed'") as info:
        Task(ID).get_output()
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
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: pathlib.Path,
    method: str,
    cls_name: str,
) -> None:
    """get_output() waits, downloads, and wraps the directory in the method's output class."""
    fake_api.add(ID, "started", then=("success",), method_name=method)
    monkeypatch.setattr("inductiva._transfers._download.download_outputs", lambda *a, **k: tmp_path)
    output = Task(ID).get_output()
    assert type(output).__name__ == cls_name and output.path == tmp_path


def test_from_info_carries_information() -> None:
    """Task.from_info keeps the info, so no request is needed to read it."""
    info = info_from(ID, "success", method_name="synthetic.run")
    task = Task.from_info(info)
    assert task.info is info and "success" in repr(task)
