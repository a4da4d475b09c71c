"""`inductiva` commands end to end through `cli.main`, against an in-memory API (MockTransport)."""

from __future__ import annotations

import datetime
import io
import logging
import re
import string
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import inductiva
from inductiva import _http, cli, errors

KEY = "unit-key"
URL = "http://api.test"
T1 = "1691150776862178362"
T2 = "1691149904961476240"
T3 = "1691081881158823776"


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


class FakeApi:
    """A tiny stateful API in the real wire shapes: tasks by id, kill, status, outputs.

    The full archive holds ``output.json`` and the files under ``artifacts/``;
    ``?filename=`` answers a subset archive with the files at its root.
    """

    def __init__(self) -> None:
        start = datetime.datetime(2023, 8, 4, 12, 6, 17, tzinfo=datetime.UTC)
        self.files = {"stdout.txt": b"hello\n", "stderr.txt": b"", "result.csv": b"a,b\n1,2\n"}
        self.archive = _zip(
            {"output.json": b"[]", **{f"artifacts/{n}": d for n, d in self.files.items()}}
        )
        self.tasks: dict[str, dict[str, object]] = {}
        for n, (task_id, status) in enumerate(((T1, "success"), (T2, "started"), (T3, "failed"))):
            created = start - datetime.timedelta(hours=n)
            done = status != "started"
            self.tasks[task_id] = {
                "task_id": task_id,
                "status": status,
                "method_name": "fvm.openfoam.run_simulation",
                "create_time": created.isoformat(),
                "input_submit_time": created.isoformat(),
                "start_time": (created + datetime.timedelta(seconds=1)).isoformat(),
                "end_time": (created + datetime.timedelta(seconds=114)).isoformat()
                if done
                else None,
                "executer": {
                    "uuid": "6a1f0c1e-8c0c-4b8e-9a55-0c6f3c7f3b10",
                    "cpu_count_logical": 8,
                    "cpu_count_physical": 4,
                    "memory": 32 * 1024**3,
                    "host_type": "gcloud",
                    "vm_type": "c2-standard-8",
                },
            }
        self.requests: list[str] = []

    def _error(self, status: int, message: str) -> httpx.Response:
        return httpx.Response(status, json={"detail": message})

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(f"{request.method} {request.url.path}")
        if request.headers.get("X-API-Key") != KEY:
            return self._error(401, "Invalid API key.")
        path = request.url.path
        if path == "/tasks":
            wanted = request.url.params.get("status")
            rows = [t for t in self.tasks.values() if wanted in (None, t["status"])]
            per_page = int(request.url.params.get("per_page", 50))
            page = int(request.url.params.get("page", 1))
            return httpx.Response(200, json=rows[(page - 1) * per_page : page * per_page])
        match = re.fullmatch(r"/tasks/(\d+)(/.*)?", path)
        if match is None or match[1] not in self.tasks:
            return self._error(404, f"Task {match[1] if match else path} not found.")
        task = self.tasks[match[1]]
        rest = match[2] or ""
        if rest == "":
            return httpx.Response(200, json=task)
        if rest == "/status":
            return httpx.Response(200, json={"id": task["task_id"], "status": task["status"]})
        if rest == "/kill":
            if task["status"] not in ("success", "failed"):  # a finished task: status unchanged
                task["status"] = "killed"
            return httpx.Response(200, json={"id": task["task_id"], "status": task["status"]})
        if task["status"] != "success":
            return self._error(409, "The task has no outputs.")
        if rest == "/output/list":
            with zipfile.ZipFile(io.BytesIO(self.archive)) as archive:
                members = [
                    {
                        "name": i.filename.removeprefix("artifacts/"),
                        "size": i.file_size,
                        "compressed_size": i.compress_size,
                    }
                    for i in archive.infolist()
                    if i.filename.startswith("artifacts/")
                ]
            return httpx.Response(200, json={"size": len(self.archive), "contents": members})
        if rest == "/output":
            names = request.url.params.get_list("filename")
            if names:
                subset = {n: self.files[n] for n in names if n in self.files}
                return httpx.Response(200, content=_zip(subset))
            return self._archive_response(request)
        return self._error(404, path)

    def _archive_response(self, request: httpx.Request) -> httpx.Response:
        headers = {"ETag": '"v1"', "Accept-Ranges": "bytes", "Content-Type": "application/zip"}
        ranged = re.fullmatch(r"bytes=(\d+)-(\d*)", request.headers.get("Range", ""))
        if ranged is None:
            return httpx.Response(200, content=self.archive, headers=headers)
        first = int(ranged[1])
        last = int(ranged[2]) if ranged[2] else len(self.archive) - 1
        body = self.archive[first : last + 1]
        headers["Content-Range"] = f"bytes {first}-{last}/{len(self.archive)}"
        return httpx.Response(206, content=body, headers=headers)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApi]:
    """Point the client at a fresh FakeApi through MockTransport."""
    fake = FakeApi()
    monkeypatch.setattr(inductiva, "api_key", None)
    monkeypatch.setattr(inductiva, "api_url", None)
    monkeypatch.setenv("INDUCTIVA_API_KEY", KEY)
    monkeypatch.setenv("INDUCTIVA_API_URL", URL)
    monkeypatch.setenv("INDUCTIVA_MAX_RETRIES", "0")
    _http.set_transport(httpx.MockTransport(fake))
    yield fake
    _http.set_transport()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_list_prints_task_table(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    """`tasks list` prints the task table with every task."""
    code, out, _ = _run(capsys, "tasks", "list")
    assert code == 0
    assert out.splitlines()[0].split() == [
        "ID",
        "Simulator",
        "Status",
        "Submitted",
        "Started",
        "Duration",
        "VM",
        "Type",
    ]
    for task_id in (T1, T2, T3):
        assert task_id in out
    assert "0h 1m 53s" in out


def test_list_filters_by_status(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    """`tasks list --status failed` shows only failed tasks."""
    code, out, _ = _run(capsys, "tasks", "list", "--status", "failed")
    assert code == 0
    assert T3 in out and T1 not in out and T2 not in out


def test_list_last_n(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    """`tasks list -n 1` shows only the newest task."""
    code, out, _ = _run(capsys, "tasks", "list", "-n", "1")
    assert code == 0
    assert T1 in out and T2 not in out


def test_info_shows_details(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    """`tasks info` shows status, simulator, times, duration and machine (type, CPUs, memory)."""
    code, out, _ = _run(capsys, "tasks", "info", T1)
    assert code == 0
    fields = dict(line.split(":", 1) for line in out.splitlines())
    assert fields["Task"].strip() == T1
    assert fields["Status"].strip() == "success"
    assert fields["Simulator"].strip() == "openfoam (fvm.openfoam.run_simulation)"
    assert "2023" in fields["Created"]
    assert fields["Duration"].strip() == "0h 1m 53s"
    assert fields["Machine type"].strip() == "c2-standard-8 (host: gcloud)"
    assert fields["CPUs"].strip() == "8 logical, 4 physical"
    assert fields["Memory"].strip() == "32.00 GiB"


def test_info_unknown_id(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown task id exits 1 with a one-line error naming the task."""
    code, out, err = _run(capsys, "tasks", "info", "1234567890123456789")
    assert code == cli.EXIT_ERROR
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("inductiva: error: ")
    assert "1234567890123456789" in err


def test_malformed_id_is_usage_error(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    """A task id that is not digits is a usage error (2) saying what an id looks like."""
    code, _, err = _run(capsys, "tasks", "info", "abc")
    assert code == cli.EXIT_USAGE
    assert "digits" in err and "Traceback" not in err
    assert api.requests == []


def test_id_with_regex_escapes_is_shown_as_typed(
    api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    """An id holding ``\\1`` (a regex group reference) is quoted as text, never crashing."""
    code, _, err = _run(capsys, "tasks", "info", "\\1")
    assert code == cli.EXIT_USAGE
    assert err.count("\n") == 1 and "Traceback" not in err


def test_bad_key(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    """A rejected --api-key exits 4 with one line naming --api-key, not INDUCTIVA_API_KEY."""
    code, _, err = _run(capsys, "--api-key", "wrong", "tasks", "list")
    assert code == cli.EXIT_AUTH
    assert err.count("\n") == 1
    assert "given with --api-key" in err and "INDUCTIVA_API_KEY" not in err


def test_bad_key_from_the_environment(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A rejected key from INDUCTIVA_API_KEY exits 4 naming that variable."""
    monkeypatch.setenv("INDUCTIVA_API_KEY", "wrong")
    code, _, err = _run(capsys, "tasks", "list")
    assert code == cli.EXIT_AUTH
    assert "in INDUCTIVA_API_KEY" in err and err.count("\n") == 1


def test_missing_key(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No API key at all exits 4 without sending a request."""
    monkeypatch.delenv("INDUCTIVA_API_KEY")
    code, _, err = _run(capsys, "tasks", "info", T1)
    assert code == cli.EXIT_AUTH
    assert "INDUCTIVA_API_KEY" in err
    assert api.requests == []


def test_api_key_option_overrides_env(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--api-key and --api-url beat the environment."""
    monkeypatch.setenv("INDUCTIVA_API_KEY", "wrong")
    monkeypatch.setenv("INDUCTIVA_API_URL", "http://elsewhere.test")
    code, _, _ = _run(capsys, "tasks", "info", T1, "--api-key", KEY, "--api-url", URL)
    assert code == 0


def test_bad_api_url_is_usage_error(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    """An --api-url that is not http(s) is a usage error (2) naming --api-url, not the variable."""
    code, _, err = _run(capsys, "--api-url", "ftp://x", "tasks", "info", T1)
    assert code == cli.EXIT_USAGE
    assert "'ftp://x' is not an http(s) URL" in err and "Check --api-url" in err
    assert "INDUCTIVA_API_URL" not in err and "inductiva.api_url" not in err


def test_bad_api_url_from_the_environment(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad INDUCTIVA_API_URL is a usage error naming that variable, not --api-url."""
    monkeypatch.setenv("INDUCTIVA_API_URL", "ftp://x")
    code, _, err = _run(capsys, "tasks", "info", T1)
    assert code == cli.EXIT_USAGE
    assert "Check INDUCTIVA_API_URL" in err and "--api-url" not in err


def test_api_url_with_a_wrong_path_gets_a_hint(
    api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 404 "Not Found" for a route (a base URL with an extra path) says to check --api-url."""
    _http.set_transport(
        httpx.MockTransport(lambda r: httpx.Response(404, json={"detail": "Not Found"}))
    )
    code, _, err = _run(capsys, "--api-url", URL + "/v2", "tasks", "info", T1)
    assert code == cli.EXIT_ERROR and err.count("\n") == 1
    assert f"404 Not Found for GET /v2/tasks/{T1}" in err
    assert "the API's root" in err and "Check --api-url" in err


def test_unreachable_api_names_the_flag_used(
    api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    """A connection failure with --api-url given advises checking --api-url."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    _http.set_transport(httpx.MockTransport(refuse))
    code, _, err = _run(capsys, "--api-url", URL, "tasks", "info", T1)
    assert code == cli.EXIT_ERROR
    assert "Could not reach" in err and "Check --api-url" in err
    assert "INDUCTIVA_API_URL" not in err


def test_kill_with_yes(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    """`tasks kill ID --yes` kills without asking."""
    code, out, err = _run(capsys, "tasks", "kill", T2, "--yes")
    assert code == 0
    assert f"{T2}: killed" in out
    assert "[y/N]" not in err
    assert api.tasks[T2]["status"] == "killed"


def test_kill_refuses_without_answer(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --yes and with nothing on stdin, kill refuses (2) and kills nothing."""
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _, err = _run(capsys, "tasks", "kill", T2)
    assert code == cli.EXIT_USAGE
    assert "--yes" in err
    assert api.tasks[T2]["status"] == "started"
    assert not any("kill" in r for r in api.requests)


def test_kill_confirmed(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Answering "y" on stdin confirms the kill."""
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    code, _, err = _run(capsys, "tasks", "kill", T2)
    assert code == 0
    assert f"Kill task {T2}? [y/N]" in err
    assert api.tasks[T2]["status"] == "killed"


def test_kill_declined(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Any answer but y/yes declines (exit 1) and kills nothing."""
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    code, _, err = _run(capsys, "tasks", "kill", T2)
    assert code == cli.EXIT_ERROR
    assert "no task was killed" in err
    assert api.tasks[T2]["status"] == "started"


def test_kill_many_goes_on_past_errors(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    """Killing several tasks reports each failure, kills the rest, and exits 1."""
    code, out, err = _run(capsys, "tasks", "kill", T1, T2, "-y")
    assert code == cli.EXIT_ERROR
    assert T1 in err and "already finished" in err
    assert f"{T2}: killed" in out
    assert api.tasks[T2]["status"] == "killed"


def test_wait_success(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    """`tasks wait` prints the final status; success exits 0."""
    code, out, _ = _run(capsys, "tasks", "wait", T1)
    assert (code, out) == (0, "success\n")


def test_wait_failed(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    """A task that ended without success exits 1 after printing its status."""
    code, out, _ = _run(capsys, "tasks", "wait", T3)
    assert (code, out) == (cli.EXIT_ERROR, "failed\n")


def test_wait_timeout(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    """`tasks wait --timeout` on a running task exits 3 with one line."""
    code, out, err = _run(capsys, "tasks", "wait", T2, "--timeout", "0.3")
    assert code == cli.EXIT_TIMEOUT
    assert out == ""
    assert err.count("\n") == 1 and T2 in err


def test_files_table(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    """`tasks files` prints the archive size and one row per file."""
    code, out, _ = _run(capsys, "tasks", "files", T1)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("Archive size: ")
    assert lines[1] == "Contents:"
    assert lines[2].split() == ["Size", "Compressed", "Name"]
    assert sorted(line.split()[-1] for line in lines[3:]) == sorted(api.files)


def test_download_selected_files(
    api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`tasks download --filenames F --dir D` extracts only F and prints the directory."""
    code, out, _ = _run(
        capsys, "tasks", "download", T1, "--filenames", "result.csv", "--dir", str(tmp_path / "o")
    )
    assert code == 0
    output_dir = Path(out.strip())
    assert output_dir == tmp_path / "o"
    assert (output_dir / "result.csv").read_bytes() == api.files["result.csv"]
    assert not (output_dir / "stdout.txt").exists()


def test_download_no_uncompress(
    api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--no-uncompress` keeps the zip archive as downloaded."""
    code, out, _ = _run(
        capsys, "tasks", "download", T1, "--dir", str(tmp_path / "o"), "--no-uncompress"
    )
    assert code == 0
    zips = list(Path(out.strip()).rglob("*.zip"))
    assert len(zips) == 1
    assert zips[0].read_bytes() == api.archive


def test_download_unknown_file(
    api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Asking for a file not in the archive is a usage error (2) naming it."""
    code, _, err = _run(
        capsys, "tasks", "download", T1, "--filenames", "nope.txt", "--dir", str(tmp_path)
    )
    assert code == cli.EXIT_USAGE
    assert "nope.txt" in err and err.count("\n") == 1


@pytest.mark.parametrize("directory", ["/dev/null/x", "/proc/inductiva-nope"])
def test_download_into_an_impossible_dir_is_a_usage_error(
    api: FakeApi, capsys: pytest.CaptureFixture[str], directory: str
) -> None:
    """--dir through a file, or where the file system allows no directory, exits 2 naming it."""
    if directory.startswith("/proc") and not Path("/proc/self").is_dir():
        pytest.skip("no /proc here")
    code, _, err = _run(capsys, "tasks", "download", T1, "--dir", directory)
    assert code == cli.EXIT_USAGE
    assert directory in err and err.count("\n") == 1 and "Traceback" not in err


def test_verbose_logs_to_stderr(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    """-vv logs the HTTP requests to stderr, keeping stdout clean."""
    code, out, err = _run(capsys, "-vv", "tasks", "info", T1)
    assert code == 0
    assert "GET" in err and f"/tasks/{T1}" in err
    assert "GET" not in out


def test_server_error_is_one_line(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    """A 5xx from the API exits 1 with one line and no traceback."""
    _http.set_transport(httpx.MockTransport(lambda r: httpx.Response(503, json={"detail": "down"})))
    code, _, err = _run(capsys, "tasks", "info", T1)
    assert code == cli.EXIT_ERROR
    assert err.count("\n") == 1 and "down" in err


def test_wait_interrupted_keeps_task(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C during `tasks wait` exits 130, says the task keeps running, and kills nothing."""

    def interrupted(self: object, timeout: float | None = None) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr("inductiva.task.Task.wait", interrupted)
    code, out, err = _run(capsys, "tasks", "wait", T2)
    assert code == cli.EXIT_INTERRUPTED
    assert out == "" and "keeps running" in err and f"tasks kill {T2}" in err
    assert not any("kill" in r for r in api.requests)


def test_wait_terminated_exits_143(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """SIGTERM during `tasks wait` exits 143 (documented), not 130, and kills nothing."""
    from inductiva._signals import Terminated

    def terminated(self: object, timeout: float | None = None) -> str:
        raise Terminated("terminated (SIGTERM)")

    monkeypatch.setattr("inductiva.task.Task.wait", terminated)
    code, out, err = _run(capsys, "tasks", "wait", T2)
    assert code == cli.EXIT_TERMINATED
    assert out == "" and "terminated (SIGTERM)" in err and "keeps running" in err
    assert not any("kill" in r for r in api.requests)


@pytest.mark.parametrize("signal_name", ["interrupt", "sigterm"])
def test_download_interrupted_gives_the_command_to_resume(
    api: FakeApi,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    signal_name: str,
) -> None:
    """An interrupted `tasks download` prints the exact command that resumes it (no key)."""
    from inductiva._signals import Terminated

    def interrupted(self: object, **kwargs: object) -> None:
        raise Terminated() if signal_name == "sigterm" else KeyboardInterrupt()

    monkeypatch.setattr("inductiva.task.Task.download_outputs", interrupted)
    argv = ["tasks", "download", T1, "--dir", "my out", "--api-key", KEY, "--api-url", URL]
    code, _, err = _run(capsys, *argv)
    expected = cli.EXIT_TERMINATED if signal_name == "sigterm" else cli.EXIT_INTERRUPTED
    assert code == expected
    command = f"inductiva tasks download {T1} --dir 'my out' --api-url {URL} --api-key KEY"
    assert f"run `{command}` to resume" in err
    assert KEY not in err and "call again" not in err


def test_download_error_that_kept_a_part_gives_the_command(
    api: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A download cut off by the network says what is kept and the exact command to resume."""
    api.archive = _zip({"artifacts/big.bin": bytes(range(256)) * 4096})
    full = api.archive

    class Dropped(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield full[: len(full) // 2]
            raise httpx.ReadError("connection reset")

    def cut(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/output"):
            headers = {"Content-Length": str(len(full))}
            return httpx.Response(200, stream=Dropped(), headers=headers)
        return api(request)

    _http.set_transport(httpx.MockTransport(cut))
    out_dir = tmp_path / "o"
    code, _, err = _run(capsys, "tasks", "download", T1, "--dir", str(out_dir))
    assert code == cli.EXIT_ERROR, err
    assert err.count("\n") == 1
    assert f"run `inductiva tasks download {T1} --dir {out_dir}` to resume" in err
    assert "next call" not in err and "call again" not in err


def test_interrupt_elsewhere_exits_130(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C in any other command exits 130 with one line, no traceback."""

    def interrupted(self: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("inductiva.task.Task.get_info", interrupted)
    code, _, err = _run(capsys, "tasks", "info", T1)
    assert (code, err) == (cli.EXIT_INTERRUPTED, "inductiva: error: interrupted\n")


def test_main_leaves_settings_and_logging_alone(
    api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    """After main(), inductiva.api_key/api_url and the loggers are as they were before."""
    loggers = [logging.getLogger(name) for name in ("inductiva", "httpx")]
    before = [(lg.level, list(lg.handlers)) for lg in loggers]
    code, _, _ = _run(capsys, "-vv", "--api-key", KEY, "--api-url", URL, "tasks", "info", T1)
    assert code == 0
    assert (inductiva.api_key, inductiva.api_url) == (None, None)
    assert [(lg.level, list(lg.handlers)) for lg in loggers] == before


def test_missing_key_message_says_it_once(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No key: one line naming INDUCTIVA_API_KEY and --api-key once each, no Python advice."""
    monkeypatch.delenv("INDUCTIVA_API_KEY")
    code, _, err = _run(capsys, "tasks", "list")
    assert code == cli.EXIT_AUTH
    assert err.count("INDUCTIVA_API_KEY") == 1 and err.count("--api-key") == 1
    assert "inductiva.api_key" not in err


@pytest.mark.parametrize(
    ("error", "expected", "python_words"),
    [
        (
            errors.InsufficientSpaceError(
                "Could not write x: the disk is full. Free some space (or choose another "
                "output_dir) and call again; what was downloaded so far is kept and resumes."
            ),
            "(or choose another --dir) and run the same command again",
            ("output_dir", "call again"),
        ),
        (
            errors.ArchiveTooLargeError(
                "If you expect outputs this large, raise inductiva.max_extract_size "
                "(INDUCTIVA_MAX_EXTRACT_SIZE), or download with uncompress=False."
            ),
            "raise INDUCTIVA_MAX_EXTRACT_SIZE, or download with --no-uncompress",
            ("inductiva.max_extract_size", "uncompress=False"),
        ),
        (
            errors.DownloadInProgressError(
                "Another download into 'o' started just now; choose another output_dir or "
                "try again later."
            ),
            "choose another --dir",
            ("output_dir",),
        ),
    ],
)
def test_transfer_errors_speak_cli(
    error: errors.InductivaError, expected: str, python_words: tuple[str, ...]
) -> None:
    """The hardening errors' Python advice is said in flags and commands on the CLI."""
    from inductiva.cli._messages import cli_message

    message = cli_message(error)
    assert expected in message
    assert not any(word in message for word in python_words)


# -- hostile input and hostile servers --------------------------------------------------------

DOCUMENTED_EXIT_CODES = {0, 1, 2, 3, 4, 130, 143}


@pytest.mark.parametrize(
    "url", ["http://[::1", "http://host:99999", "ftp://x", "http://", "https://a b", "x\x1b"]
)
def test_malformed_api_url_exits_2_without_a_traceback(
    capsys: pytest.CaptureFixture[str], url: str
) -> None:
    """A malformed --api-url is a usage error (2): one clean line, no escape sequence."""
    code, _out, err = _run(capsys, "--api-url", url, "--api-key", "k", "tasks", "info", T1)
    assert code == 2 and "Traceback" not in err and "\x1b" not in err


def test_files_escapes_terminal_sequences_from_the_server(
    api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    """Member names with ESC sequences are printed escaped by `inductiva tasks files`."""
    api.archive = _zip({"artifacts/evil\x1b]0;pwned\x07\x1b[2J.txt": b"x"})
    code, out, _err = _run(capsys, "tasks", "files", T1)
    assert code == 0
    assert "\x1b" not in out and "\x07" not in out
    assert "evil\\x1b]0;pwned\\x07" in out


def test_task_table_escapes_server_strings(
    api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    """`tasks list` shows a simulator/vm_type with ESC escaped."""
    task = api.tasks[T1]
    task["method_name"] = "x\x1b[31m.run"
    task["executer"] = {"vm_type": "vm\x1b[2J", "host_type": "gcloud"}
    code, out, err = _run(capsys, "tasks", "list", "-n", "1")
    assert code == 0, err
    assert "\x1b" not in out and "\\x1b" in out


_argv_piece = st.one_of(
    st.sampled_from(
        [
            "tasks",
            "list",
            "info",
            "kill",
            "wait",
            "download",
            "files",
            "--dir",
            "--timeout",
            "--filenames",
            "--no-uncompress",
            "-n",
            "--status",
            "--api-url",
            "--api-key",
            "-y",
            T1,
            "/dev/null/x",
            "nan",
            "inf",
            "1e400",
            "-1",
            "0",
            "",
            "\x1b[2J",
            "http://[::1",
        ]
    ),
    st.text(alphabet=string.printable, max_size=12),
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(argv=st.lists(_argv_piece, max_size=8))
def test_cli_exits_only_with_documented_codes(argv: list[str]) -> None:
    """Hostile command lines end in a documented exit code, never a traceback."""
    mp = pytest.MonkeyPatch()
    mp.chdir(tempfile.mkdtemp())
    mp.setenv("INDUCTIVA_API_KEY", "k")
    mp.setenv("INDUCTIVA_API_URL", "http://127.0.0.1:9")
    mp.setenv("INDUCTIVA_MAX_RETRIES", "0")
    mp.setattr("sys.stdin", io.StringIO(""))
    _http.set_transport(httpx.MockTransport(lambda r: httpx.Response(404, json={"detail": "x"})))
    out, err = io.StringIO(), io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = cli.main(["tasks", *argv] if argv[:1] != ["tasks"] else argv)
    finally:
        mp.undo()
        _http.set_transport()
    assert code in DOCUMENTED_EXIT_CODES
    assert "Traceback" not in err.getvalue() and "unexpected" not in err.getvalue()
