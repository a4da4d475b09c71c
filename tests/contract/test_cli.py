"""The installed `inductiva` console script, run as a subprocess against the mock server
(every test in default and in legacy mode)."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from inductiva_api import AuthenticatedClient
from inductiva_api.api.tasks import get_task_status, kill_task, submit_task, upload_task_input
from inductiva_api.models import BodyUploadTaskInput, TaskRequest, TaskRequestParams, TaskStatus
from inductiva_api.types import File
from inductiva_mock.launcher import MockServer

pytestmark = pytest.mark.contract

KEY = "test-key"
SCRIPT = Path(sys.executable).with_name("inductiva")
FINAL = {"success", "failed", "killed", "executer-terminated", "executer-failed"}
COMMANDS = ("list", "info", "kill", "wait", "download", "files")
FILES = [
    {"name": "result.csv", "size": 3000, "compressible": True},
    {"name": "data/field.bin", "size": 70000, "compressible": False},
]

Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module", params=["default", "legacy"])
def mode_server(request: pytest.FixtureRequest) -> MockServer:
    """The session mock server of each mode (the whole module runs once per mode)."""
    name = "mock_server" if request.param == "default" else "legacy_mock_server"
    server: MockServer = request.getfixturevalue(name)
    return server


@pytest.fixture(scope="module")
def api(mode_server: MockServer) -> AuthenticatedClient:
    """A generated client of the mock server, to create tasks for the CLI to act on."""
    return AuthenticatedClient(
        base_url=mode_server.url, token=KEY, prefix="", auth_header_name="X-API-Key"
    )


def _input_zip(params: dict[str, Any]) -> bytes:
    """The era's input layout: the simulation directory as sim_dir/ and input.json."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("sim_dir/input.txt", "x")
        archive.writestr("input.json", json.dumps(params))
    return buffer.getvalue()


def submit(api: AuthenticatedClient, **params: Any) -> str:
    """Submit a synthetic task with these params and upload its input; return its id."""
    params = {"sim_dir": "sim_dir", **params}
    request = TaskRequest(
        method="test.synthetic.run_simulation", params=TaskRequestParams.from_dict(params)
    )
    submitted = submit_task.sync_detailed(client=api, body=request).parsed
    assert isinstance(submitted, TaskStatus)
    body = BodyUploadTaskInput(
        file=File(payload=io.BytesIO(_input_zip(params)), file_name="input.zip")
    )
    uploaded = upload_task_input.sync_detailed(api, submitted.id, body=body).parsed
    assert isinstance(uploaded, TaskStatus)
    return submitted.id


def status_of(api: AuthenticatedClient, task_id: str, wait: float = 0) -> str:
    """The task's status (long-polling up to `wait` seconds for a change where offered)."""
    info = get_task_status.sync_detailed(api, task_id, wait_seconds=wait).parsed
    assert isinstance(info, TaskStatus)
    if wait:
        time.sleep(0.1)  # a legacy server answers at once: do not spin
    return str(info.status)


def wait_final(api: AuthenticatedClient, task_id: str, timeout: float = 60) -> str:
    """Block until the task reaches a final status; return it."""
    deadline = time.monotonic() + timeout
    while (status := status_of(api, task_id, wait=5)) not in FINAL:
        assert time.monotonic() < deadline, f"task {task_id} still {status}"
    return status


def wait_started(api: AuthenticatedClient, task_id: str, timeout: float = 30) -> bool:
    """Block until the task has started (long-polling); whether it did in time."""
    deadline = time.monotonic() + timeout
    while (status := status_of(api, task_id, wait=1)) != "started":
        if status in FINAL or time.monotonic() > deadline:
            return False
    return True


@pytest.fixture(scope="module")
def done_task(api: AuthenticatedClient) -> str:
    """A successful synthetic task with two output files."""
    task_id = submit(api, files=FILES, stdout="hello from the cli test\n")
    assert wait_final(api, task_id) == "success"
    return task_id


@pytest.fixture
def running_task(api: AuthenticatedClient) -> Any:
    """A synthetic task that runs for a minute (killed after the test if still alive)."""
    task_id = submit(api, duration=60)
    yield task_id
    if status_of(api, task_id) not in FINAL:
        kill_task.sync_detailed(api, task_id)


def _env(url: str, key: str) -> dict[str, str]:
    """This process's environment with only these INDUCTIVA_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INDUCTIVA_")}
    return env | {"INDUCTIVA_API_URL": url, "INDUCTIVA_API_KEY": key}


@pytest.fixture
def cli(mode_server: MockServer, tmp_path: Path) -> Cli:
    """Run the console script in tmp_path with the mock's URL and key in the environment."""
    if not SCRIPT.exists():
        pytest.fail(f"{SCRIPT} is missing: run `.venv/bin/pip install -e . --no-deps -q`")
    env = _env(mode_server.url, KEY)

    def run(
        *argv: str, stdin: str | None = None, extra_env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SCRIPT), *argv],
            input=stdin,
            stdin=subprocess.DEVNULL if stdin is None else None,
            capture_output=True,
            text=True,
            env=env | (extra_env or {}),
            cwd=tmp_path,
            timeout=120,
        )

    return run


JSON_TASK_FIELDS = (
    "id",
    "status",
    "method_name",
    "simulator",
    "create_time",
    "input_submit_time",
    "start_time",
    "end_time",
    "execution_time",
    "vm_type",
    "host_type",
    "cpu_count_logical",
    "cpu_count_physical",
    "memory",
)


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("inductiva: error: ")
    assert "Traceback" not in result.stderr
    return lines[0]


def _rows(table: str) -> list[list[str]]:
    return [line.split() for line in table.splitlines()[1:]]


def test_list_shows_new_tasks_newest_first(cli: Cli, api: AuthenticatedClient) -> None:
    """`tasks list -n 2` shows the two newest tasks, newest first, under the table header."""
    older, newer = submit(api), submit(api)
    result = cli("tasks", "list", "-n", "2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].split()[:3] == ["ID", "Simulator", "Status"]
    ids = [row[0] for row in _rows(result.stdout)]
    assert ids == [newer, older]
    assert all(row[1] == "synthetic" for row in _rows(result.stdout))


def test_list_with_status(cli: Cli, mode_server: MockServer) -> None:
    """`tasks list --status S` shows only tasks in S, including freshly seeded ones."""
    seeded = mode_server.seed(2, status="executer-terminated", api_key=KEY)
    result = cli("tasks", "list", "--status", "executer-terminated", "-n", "1000")
    assert result.returncode == 0, result.stderr
    rows = _rows(result.stdout)
    assert {seeded["first_id"], seeded["last_id"]} <= {row[0] for row in rows}
    assert {row[2] for row in rows} == {"executer-terminated"}


def test_list_bad_status(cli: Cli) -> None:
    """An unknown --status is a usage error (2) listing the allowed statuses."""
    result = cli("tasks", "list", "--status", "finished")
    assert result.returncode == 2
    assert "finished" in result.stderr
    for status in ("pending-input", "submitted", "started", "success", "failed", "killed"):
        assert status in result.stderr


def test_info(cli: Cli, done_task: str) -> None:
    """`tasks info` shows status, simulator, times, duration and the machine."""
    result = cli("tasks", "info", done_task)
    assert result.returncode == 0, result.stderr
    fields = {k: v.strip() for k, v in (line.split(":", 1) for line in result.stdout.splitlines())}
    assert fields["Task"] == done_task
    assert fields["Status"] == "success"
    assert fields["Simulator"] == "synthetic (test.synthetic.run_simulation)"
    for label in ("Created", "Started", "Ended", "Duration", "Machine type", "CPUs", "Memory"):
        assert fields[label] != "n/a", label
    assert fields["Duration"].endswith("s")
    assert fields["Machine type"].endswith("(host: gcloud)")
    assert fields["Memory"].endswith("iB")


def test_kill_with_yes(cli: Cli, api: AuthenticatedClient, running_task: str) -> None:
    """`tasks kill ID --yes` kills without asking and prints the final status."""
    result = cli("tasks", "kill", running_task, "--yes")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{running_task}: killed\n"
    assert status_of(api, running_task) == "killed"


def test_kill_refused_without_yes(cli: Cli, api: AuthenticatedClient, running_task: str) -> None:
    """Without --yes and with no answer on stdin, kill refuses (2) and the task keeps running."""
    result = cli("tasks", "kill", running_task)
    assert result.returncode == 2
    assert "--yes" in result.stderr and "Traceback" not in result.stderr
    assert status_of(api, running_task) not in FINAL | {"pending-kill"}


def test_kill_confirmed_on_stdin(cli: Cli, api: AuthenticatedClient, running_task: str) -> None:
    """Answering "y" to the prompt kills the task."""
    result = cli("tasks", "kill", running_task, stdin="y\n")
    assert result.returncode == 0, result.stderr
    assert "[y/N]" in result.stderr
    assert status_of(api, running_task) == "killed"


def test_kill_finished_task(cli: Cli, done_task: str) -> None:
    """Killing a task that already succeeded exits 1 with one line saying so."""
    result = cli("tasks", "kill", done_task, "-y")
    assert result.returncode == 1
    assert "already finished" in _one_error_line(result)


def test_wait_success(cli: Cli, api: AuthenticatedClient) -> None:
    """`tasks wait` blocks until the task ends, prints `success` and exits 0."""
    task_id = submit(api, duration=1)
    result = cli("tasks", "wait", task_id, "--timeout", "60")
    assert (result.returncode, result.stdout) == (0, "success\n"), result.stderr


def test_wait_failed(cli: Cli, api: AuthenticatedClient) -> None:
    """A task that fails makes `tasks wait` print `failed` and exit 1."""
    task_id = submit(api, exit_code=3)
    result = cli("tasks", "wait", task_id)
    assert (result.returncode, result.stdout) == (1, "failed\n"), result.stderr


def test_wait_timeout(cli: Cli, running_task: str) -> None:
    """`tasks wait --timeout` on a long task exits 3 soon after the timeout, with one line."""
    started = time.monotonic()
    result = cli("tasks", "wait", running_task, "--timeout", "1.5")
    assert result.returncode == 3
    assert running_task in _one_error_line(result)
    assert 1.5 <= time.monotonic() - started < 20


def test_files_table(cli: Cli, done_task: str) -> None:
    """`tasks files` prints the archive size and every file with its sizes."""
    result = cli("tasks", "files", done_task)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Archive size: ") and lines[1] == "Contents:"
    assert lines[2].split() == ["Size", "Compressed", "Name"]
    names = {line.split()[-1] for line in lines[3:]}
    assert names == {"stdout.txt", "stderr.txt", "result.csv", "data/field.bin"}
    assert any(line.split()[:2] == ["2.93", "KiB"] for line in lines[3:])


def test_download_selected_files(cli: Cli, done_task: str, tmp_path: Path) -> None:
    """`--filenames F --dir D` fetches only F into D and prints D."""
    target = tmp_path / "picked"
    result = cli("tasks", "download", done_task, "--filenames", "result.csv", "--dir", str(target))
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()) == target
    assert (target / "result.csv").stat().st_size == 3000
    assert not (target / "stdout.txt").exists()
    assert not (target / "data" / "field.bin").exists()


def test_download_no_uncompress(cli: Cli, done_task: str, tmp_path: Path) -> None:
    """`--no-uncompress` keeps the whole archive as a valid zip."""
    target = tmp_path / "zipped"
    result = cli("tasks", "download", done_task, "--dir", str(target), "--no-uncompress")
    assert result.returncode == 0, result.stderr
    (archive,) = Path(result.stdout.strip()).rglob("*.zip")
    with zipfile.ZipFile(archive) as opened:
        assert opened.testzip() is None
        names = {f"artifacts/{n}" for n in ("stdout.txt", "result.csv", "data/field.bin")}
        assert names <= set(opened.namelist())


def test_download_default_dir(cli: Cli, done_task: str, tmp_path: Path) -> None:
    """Without --dir, everything is extracted under the current directory and printed."""
    result = cli("tasks", "download", done_task)
    assert result.returncode == 0, result.stderr
    output_dir = Path(result.stdout.strip())
    if not output_dir.is_absolute():
        output_dir = tmp_path / output_dir
    assert output_dir.resolve().is_relative_to(tmp_path.resolve())
    assert (output_dir / "stdout.txt").read_text() == "hello from the cli test\n"
    assert (output_dir / "data" / "field.bin").stat().st_size == 70000


def test_download_unknown_file(cli: Cli, done_task: str, tmp_path: Path) -> None:
    """Asking for a file that is not in the archive exits 2 naming the file."""
    result = cli("tasks", "download", done_task, "--filenames", "nope.txt", "--dir", str(tmp_path))
    assert result.returncode == 2
    assert "nope.txt" in _one_error_line(result)


@pytest.mark.parametrize("command", ["info", "files", "wait", "download"])
def test_unknown_id(cli: Cli, command: str) -> None:
    """An id the API does not know exits 1 with one line naming it."""
    result = cli("tasks", command, "1000000000000000001")
    assert result.returncode == 1
    assert "1000000000000000001" in _one_error_line(result)


def test_malformed_id(cli: Cli) -> None:
    """An id that is not digits is a usage error (2) saying what an id looks like."""
    result = cli("tasks", "info", "my-task")
    assert result.returncode == 2
    assert "digits" in _one_error_line(result)


def test_bad_key(cli: Cli) -> None:
    """A wrong API key exits 4 with one line mentioning INDUCTIVA_API_KEY."""
    result = cli("tasks", "list", extra_env={"INDUCTIVA_API_KEY": "wrong-key"})
    assert result.returncode == 4
    assert "INDUCTIVA_API_KEY" in _one_error_line(result)


def test_missing_key(cli: Cli) -> None:
    """No API key exits 4 with one line saying how to set one."""
    result = cli("tasks", "list", extra_env={"INDUCTIVA_API_KEY": ""})
    assert result.returncode == 4
    assert "INDUCTIVA_API_KEY" in _one_error_line(result)


def test_api_key_option_beats_env(cli: Cli, done_task: str) -> None:
    """--api-key overrides a wrong INDUCTIVA_API_KEY."""
    result = cli("tasks", "info", done_task, "--api-key", KEY, extra_env={"INDUCTIVA_API_KEY": "x"})
    assert result.returncode == 0, result.stderr


def test_unreachable_api(cli: Cli) -> None:
    """An API that cannot be reached exits 1 with one line naming the URL."""
    result = cli(
        "--api-url",
        "http://127.0.0.1:9",
        "tasks",
        "list",
        extra_env={"INDUCTIVA_MAX_RETRIES": "0"},
    )
    assert result.returncode == 1
    assert "127.0.0.1:9" in _one_error_line(result)


def test_verbose_logs_requests_to_stderr(cli: Cli, done_task: str) -> None:
    """-vv logs HTTP requests on stderr while stdout holds only the result."""
    result = cli("-vv", "tasks", "info", done_task)
    assert result.returncode == 0
    assert f"/tasks/{done_task}" in result.stderr
    assert result.stdout.startswith("Task:")


@pytest.mark.parametrize(
    "argv", [["--help"], ["tasks", "--help"], *(["tasks", c, "--help"] for c in COMMANDS)]
)
def test_help(cli: Cli, argv: list[str]) -> None:
    """--help works for the program, the group and every command."""
    result = cli(*argv)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: inductiva")
    assert "exit codes" in result.stdout


def test_python_dash_m(mode_server: MockServer) -> None:
    """`python -m inductiva --version` runs the same command line."""
    result = subprocess.run(
        [sys.executable, "-m", "inductiva", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert result.stdout.startswith("inductiva ")


def test_wait_interrupted_leaves_task_running(
    api: AuthenticatedClient, running_task: str, mode_server: MockServer, tmp_path: Path
) -> None:
    """SIGINT (Ctrl-C) during `tasks wait` exits 130 and does not kill the remote task."""
    assert wait_started(api, running_task)
    out_path, err_path = tmp_path / "out.txt", tmp_path / "err.txt"
    with out_path.open("w") as out, err_path.open("w") as err:
        proc = subprocess.Popen(
            [str(SCRIPT), "-vv", "tasks", "wait", running_task],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=_env(mode_server.url, KEY),
        )
    try:
        # -vv logs each request once answered: after the first status, `wait` is polling.
        deadline = time.monotonic() + 30
        while f"/tasks/{running_task}/status" not in err_path.read_text():
            assert time.monotonic() < deadline and proc.poll() is None, err_path.read_text()
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    stderr = err_path.read_text()
    assert proc.returncode == 130, stderr
    assert out_path.read_text() == "" and "keeps running" in stderr and "Traceback" not in stderr
    assert status_of(api, running_task) == "started"


def test_closed_stdout_pipe(tmp_path: Path) -> None:
    """A reader that stops early (`| head -1`) ends the command quietly, without a traceback."""
    # A server of its own: 700 seeded tasks must not show up in other tests' listings.
    with MockServer(data_dir=tmp_path / "mock", api_keys=("pipe-key",), admin=True) as server:
        server.seed(700, status="success", api_key="pipe-key")
        env = _env(server.url, "pipe-key")
        proc = subprocess.Popen(
            [str(SCRIPT), "tasks", "list", "-n", "700"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline().split()[0] == b"ID"
        proc.stdout.close()
        err = proc.stderr.read().decode()
        proc.wait(timeout=30)
    assert proc.returncode == 1
    assert "Traceback" not in err and "Exception ignored" not in err


def test_json_list_is_json_lines_with_stable_fields(cli: Cli, done_task: str) -> None:
    """`tasks list --json` prints one JSON object per task with the documented fields."""
    result = cli("tasks", "list", "-n", "3", "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows and set(rows[0]) == set(JSON_TASK_FIELDS)
    many = cli("tasks", "list", "-n", "50", "--json").stdout.splitlines()
    assert done_task in {json.loads(line)["id"] for line in many}


def test_json_info_wait_files_download(cli: Cli, done_task: str) -> None:
    """info, wait, files and download each print one JSON document with --json."""
    info = json.loads(cli("tasks", "info", done_task, "--json").stdout)
    assert set(JSON_TASK_FIELDS) <= set(info) and info["status"] == "success"
    assert info["fields"]["task_id"] == done_task
    assert json.loads(cli("tasks", "wait", done_task, "--json").stdout) == {
        "id": done_task,
        "status": "success",
    }
    files = json.loads(cli("tasks", "files", done_task, "--json").stdout)
    assert set(files) == {"id", "size", "total_size", "files"}
    assert set(files["files"][0]) == {"name", "size", "compressed_size"}
    down = json.loads(cli("tasks", "download", done_task, "--json").stdout)
    assert down["id"] == done_task and Path(down["output_dir"]).is_dir()


def test_json_kill_lines_and_cli_worded_errors(cli: Cli, done_task: str) -> None:
    """kill --json prints a line per task; the error of a finished task names no Python call."""
    result = cli("tasks", "kill", done_task, "--yes", "--json")
    assert result.returncode == 1
    row = json.loads(result.stdout)
    assert row["id"] == done_task and row["status"] is None and row["error"]
    assert "()" not in result.stderr


def test_wait_timeout_message_speaks_cli(cli: Cli, running_task: str) -> None:
    """A wait that times out suggests the command and flag to run, not wait()."""
    result = cli("tasks", "wait", running_task, "--timeout", "1")
    assert result.returncode == 3
    line = _one_error_line(result)
    assert f"`inductiva tasks wait {running_task} --timeout N`" in line
    assert f"`inductiva tasks kill {running_task}`" in line and "wait()" not in line


def test_bad_key_message_says_it_once(cli: Cli) -> None:
    """A rejected key is one short line: the hint appears once, no Python advice."""
    result = cli("tasks", "list", extra_env={"INDUCTIVA_API_KEY": "wrong"})
    assert result.returncode == 4
    line = _one_error_line(result)
    assert line.count("INDUCTIVA_API_KEY") == 1 and line.count("--api-key") == 1
    assert "inductiva.api_key" not in line and "rejected" in line


def test_unknown_file_message_points_to_files_command(cli: Cli, done_task: str) -> None:
    """An unknown file name suggests `inductiva tasks files ID`, not a Python method."""
    result = cli("tasks", "download", done_task, "--filenames", "nope.txt")
    assert result.returncode == 2
    line = _one_error_line(result)
    assert f"`inductiva tasks files {done_task}`" in line and "get_output_files_info" not in line
