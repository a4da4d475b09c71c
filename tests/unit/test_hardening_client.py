"""Issue 12 drills on settings, secrets, retries, display and the CLI."""

from __future__ import annotations

import io
import logging
import math
import socket
import string
import tempfile
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout, suppress
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from transfer_fakes import TASK_ID, ArchiveServer, make_output, serve, unserve

import inductiva
from inductiva import _client, cli, errors
from inductiva.task import Task

CANARY = "CANARY-k3y-0123456789abcdef"
DOCUMENTED_EXIT_CODES = {0, 1, 2, 3, 4, 130, 143}


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in (
        "INDUCTIVA_API_KEY",
        "INDUCTIVA_API_URL",
        "INDUCTIVA_TIMEOUT",
        "INDUCTIVA_MAX_RETRIES",
        "INDUCTIVA_PROGRESS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("time.sleep", lambda _s: None)
    _client._warned_plain_http.clear()
    yield
    _client.set_transport()


def _dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue(), err.getvalue()


# -- secrets ---------------------------------------------------------------------------


def test_key_with_a_trailing_newline_is_stripped(monkeypatch: pytest.MonkeyPatch) -> None:
    """A key read from a file ("KEY\\n") is sent without the newline."""
    monkeypatch.setattr(inductiva, "api_key", f"  {CANARY}\n")
    assert _client.resolve_settings().api_key == CANARY


@pytest.mark.parametrize("bad", [f"{CANARY}\x00x", f"{CANARY}é", f"ab cd{CANARY}", "\x1b[31m"])
def test_key_with_control_or_non_ascii_chars_is_refused_without_showing_it(
    monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    """Inner control, space or non-ASCII characters: ConfigurationError not holding the key."""
    monkeypatch.setattr(inductiva, "api_key", bad)
    with pytest.raises(errors.ConfigurationError) as info:
        _client.resolve_settings()
    assert CANARY not in str(info.value) and bad not in str(info.value)


def test_settings_and_header_reprs_hide_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """repr() of the settings and of the client's headers never shows the key."""
    monkeypatch.setattr(inductiva, "api_key", CANARY)
    settings_ = _client.resolve_settings()
    client = _client.get_client().get_httpx_client()
    request = client.build_request("GET", "/tasks")
    for text in (repr(settings_), str(settings_), repr(client.headers), repr(request.headers)):
        assert CANARY not in text


def test_canary_key_never_leaks_on_any_error_path(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """Across every error path, no exception, DEBUG log record or CLI output holds the key."""
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "inductiva"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    seen: list[str] = []
    monkeypatch.setattr(inductiva, "max_retries", 1)

    def attempt(call: object) -> None:
        try:
            call()  # type: ignore[operator]
        except BaseException as exc:
            seen.extend([str(exc), repr(exc), repr(exc.__cause__), repr(exc.__context__)])

    answers = [
        httpx.Response(401, json={"detail": "bad key"}),
        httpx.Response(404, json={"detail": "nope"}),
        httpx.Response(500, text="boom"),
        httpx.Response(302, headers={"Location": "https://elsewhere/"}),
        httpx.Response(422, json={"detail": [{"loc": ["q"], "msg": "m", "type": "t"}]}),
    ]
    for answer in answers:
        monkeypatch.setattr(inductiva, "api_key", f"{CANARY}\n")
        _client.set_transport(httpx.MockTransport(lambda r, a=answer: a))
        attempt(lambda: Task(TASK_ID).get_status())
        attempt(lambda: Task(TASK_ID).download_outputs(output_dir=tmp_path / "o"))
    _client.set_transport()
    for key in (CANARY + "\x00", CANARY + "é", CANARY):
        monkeypatch.setattr(inductiva, "api_key", key)
        monkeypatch.setattr(inductiva, "api_url", _dead_url())
        attempt(lambda: Task(TASK_ID).get_status())
        attempt(lambda: Task(TASK_ID).download_outputs(output_dir=tmp_path / "d"))
    monkeypatch.setattr(inductiva, "api_key", None)
    monkeypatch.setattr(inductiva, "api_url", None)
    for key in (CANARY, CANARY + "\n", CANARY + "\x7f"):
        for argv in (["tasks", "info", TASK_ID], ["tasks", "download", TASK_ID, "--dir", "/x\0"]):
            seen.extend(_run_cli("-vv", "--api-key", key, "--api-url", _dead_url(), *argv)[1:])
    seen.extend(r.getMessage() for r in caplog.records)
    seen.extend(str(r.args) for r in caplog.records)
    assert seen
    leaks = [text for text in seen if CANARY in text]
    assert leaks == []


# -- retries ---------------------------------------------------------------------------


def test_one_retry_budget_bounds_a_download_against_a_dead_port(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """download_outputs with max_retries=4 makes at most 5 connection attempts in all."""
    attempts: list[str] = []

    class Counting(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            attempts.append(request.url.path)
            return super().handle_request(request)

    monkeypatch.setattr(inductiva, "api_key", "k")
    monkeypatch.setattr(inductiva, "api_url", _dead_url())
    monkeypatch.setattr(inductiva, "max_retries", 4)
    _client.set_transport(Counting())
    for uncompress in (True, False):
        attempts.clear()
        with pytest.raises(errors.ApiConnectionError):
            Task(TASK_ID).download_outputs(output_dir=tmp_path, uncompress=uncompress)
        assert 1 <= len(attempts) <= 5, attempts
    attempts.clear()
    with pytest.raises(errors.ApiConnectionError):
        Task(TASK_ID).download_outputs(output_dir=tmp_path, filenames=["a.txt"])
    assert 1 <= len(attempts) <= 5, attempts


# -- validation --------------------------------------------------------------------------


@pytest.mark.parametrize("timeout", [math.nan, math.inf, 10**400, -1, 1e300, "5"])
def test_bad_wait_timeouts_are_refused(timeout: object) -> None:
    """NaN, infinite, huge, negative or non-numeric timeouts are InvalidArgumentError."""
    with pytest.raises(errors.InvalidArgumentError, match="timeout"):
        Task(TASK_ID).wait(timeout=timeout)  # type: ignore[arg-type]


@pytest.mark.parametrize("poll", [math.nan, math.inf, 0, 10**400])
def test_bad_polls_are_refused(poll: object) -> None:
    """NaN, infinite, zero or huge poll intervals are InvalidArgumentError."""
    with pytest.raises(errors.InvalidArgumentError, match="poll"):
        Task(TASK_ID).wait(poll=poll)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [10**400, math.nan, 1e300])
def test_huge_timeout_setting_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, value: object
) -> None:
    """inductiva.timeout=10**400 is a ConfigurationError, not an OverflowError."""
    monkeypatch.setattr(inductiva, "api_key", "k")
    monkeypatch.setattr(inductiva, "timeout", value)
    with pytest.raises(errors.ConfigurationError, match="timeout"):
        _client.resolve_settings()


@pytest.mark.parametrize(
    "url", ["http://[::1", "http://host:99999", "ftp://x", "http://", "https://a b", "x\x1b"]
)
def test_malformed_api_urls_are_configuration_errors(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """Malformed URLs give ConfigurationError (CLI exit 2), never a raw exception."""
    monkeypatch.setattr(inductiva, "api_key", "k")
    monkeypatch.setattr(inductiva, "api_url", url)
    with pytest.raises(errors.ConfigurationError, match="INDUCTIVA_API_URL"):
        _client.resolve_settings()
    code, _out, err = _run_cli("--api-url", url, "--api-key", "k", "tasks", "info", TASK_ID)
    assert code == 2 and "Traceback" not in err and "\x1b" not in err


def test_plain_http_to_a_remote_host_warns_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """http:// to a non-loopback host logs one warning; loopback and https never warn."""
    monkeypatch.setattr(inductiva, "api_key", "k")
    for url in ("http://api.example", "http://api.example", "http://127.0.0.1:1", "https://x"):
        monkeypatch.setattr(inductiva, "api_url", url)
        _client.resolve_settings()
    warnings_ = [r for r in caplog.records if "plain http://" in r.getMessage()]
    assert len(warnings_) == 1


def test_redirect_explains_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 3xx answer names the Location and hints at https and INDUCTIVA_API_URL."""
    monkeypatch.setattr(inductiva, "api_key", "k")
    monkeypatch.setattr(inductiva, "api_url", "http://127.0.0.1:9")
    location = "https://api.inductiva.ai/tasks/1/status"
    response = httpx.Response(301, headers={"Location": location})
    _client.set_transport(httpx.MockTransport(lambda r: response))
    with pytest.raises(errors.ApiError) as info:
        Task(TASK_ID).get_status()
    text = str(info.value)
    assert location in text and "https://" in text and "INDUCTIVA_API_URL" in text


def test_bad_progress_setting_fails_before_the_task_is_created(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """INDUCTIVA_PROGRESS=maybe fails before any request: no remote task is created."""
    requests: list[httpx.Request] = []
    monkeypatch.setattr(inductiva, "api_key", "k")
    monkeypatch.setattr(inductiva, "api_url", "http://127.0.0.1:9")
    monkeypatch.setenv("INDUCTIVA_PROGRESS", "maybe")
    _client.set_transport(httpx.MockTransport(lambda r: requests.append(r) or httpx.Response(500)))
    with pytest.raises(errors.ConfigurationError, match="INDUCTIVA_PROGRESS"):
        inductiva.simulators.Synthetic().run(duration=0, run_async=True)
    assert requests == []


# -- display --------------------------------------------------------------------------


def test_cli_files_escapes_terminal_sequences_from_the_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Member names with ESC sequences are printed escaped by `inductiva tasks files`."""
    server = ArchiveServer(make_output({"evil\x1b]0;pwned\x07\x1b[2J.txt": b"x"}))
    serve(monkeypatch, server)
    try:
        code, out, _err = _run_cli("tasks", "files", TASK_ID)
    finally:
        unserve()
    assert code == 0
    assert "\x1b" not in out and "\x07" not in out
    assert "evil\\x1b]0;pwned\\x07" in out


def test_task_table_escapes_server_strings(monkeypatch: pytest.MonkeyPatch) -> None:
    """`tasks list` shows a simulator/vm_type with ESC escaped."""
    body = [
        {
            "task_id": TASK_ID,
            "status": "success",
            "method_name": "x\x1b[31m.run",
            "executer": {"vm_type": "vm\x1b[2J", "host_type": "gcloud"},
        }
    ]
    monkeypatch.setattr(inductiva, "api_key", "k")
    monkeypatch.setattr(inductiva, "api_url", "http://127.0.0.1:9")
    _client.set_transport(httpx.MockTransport(lambda r: httpx.Response(200, json=body)))
    code, out, err = _run_cli("tasks", "list", "-n", "1")
    assert code == 0, err
    assert "\x1b" not in out and "\\x1b" in out


# -- property-based: only documented errors and exit codes -------------------------------

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
    _client.set_transport(httpx.MockTransport(lambda r: httpx.Response(404, json={"detail": "x"})))
    try:
        for call in (
            lambda: Task(task_id).get_status(),  # type: ignore[arg-type]
            lambda: Task(TASK_ID).download_outputs(
                filenames=filenames,  # type: ignore[arg-type]
                output_dir=output_dir,  # type: ignore[arg-type]
                uncompress=uncompress,  # type: ignore[arg-type]
            ),
            lambda: Task(TASK_ID).wait(timeout=timeout),  # type: ignore[arg-type]
            lambda: Task(TASK_ID).kill(wait_timeout=timeout),  # type: ignore[arg-type]
            lambda: inductiva.tasks.get(task_id, status=output_dir),  # type: ignore[arg-type]
        ):
            with suppress(errors.InductivaError):
                call()
    finally:
        mp.undo()
        _client.set_transport()


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
            TASK_ID,
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
    _client.set_transport(httpx.MockTransport(lambda r: httpx.Response(404, json={"detail": "x"})))
    try:
        code, _out, err = _run_cli(*["tasks", *argv] if argv[:1] != ["tasks"] else argv)
    finally:
        mp.undo()
        _client.set_transport()
    assert code in DOCUMENTED_EXIT_CODES
    assert "Traceback" not in err and "unexpected" not in err
