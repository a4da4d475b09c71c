"""Secrets (the API key, a password in api_url) never reach a message, a log record or a repr."""

from __future__ import annotations

import asyncio
import io
import logging
import socket
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

import inductiva
from inductiva import cli, errors
from inductiva._redact import MASK, URL_MASK, RedactingFilter, redact, redact_url, register

CANARY = "canary-4f9d2c7e1b"
URL = "http://alice:pw-canary-77@127.0.0.1:9"


def echo_key(request: httpx.Request) -> httpx.Response:
    """A server that quotes the key back in its error body."""
    key = request.headers["X-API-Key"]
    return httpx.Response(401, json={"detail": f"key {key} is not valid"})


def test_redact_masks_registered_secrets_and_url_passwords() -> None:
    """redact() masks every registered secret and the password of any URL."""
    register(CANARY)
    text = redact(f"sent {CANARY} to https://bob:hunter2hunter@host/x")
    assert text == f"sent {MASK} to https://{URL_MASK}@host/x"
    assert redact_url("https://host/path?q=1") == "https://host/path?q=1"


def test_a_redacted_url_is_still_a_url() -> None:
    """A URL whose credentials (or a registered secret in them) were masked still parses."""
    register(CANARY)
    for url in (f"http://me:{CANARY}@127.0.0.1:9/tasks", f"http://{CANARY}@[::1]:9/x"):
        parts = urlsplit(redact(url))
        assert CANARY not in parts.netloc and parts.port == 9
        assert parts.hostname in ("127.0.0.1", "::1")


def test_short_values_are_not_treated_as_secrets() -> None:
    """A value too short to be a key is not masked (ordinary text stays readable)."""
    register("k")
    assert redact("kill the task") == "kill the task"


def test_echoed_key_is_masked_in_the_exception(caplog: pytest.LogCaptureFixture) -> None:
    """A key the server echoes back in an error body is masked in the exception and the logs."""
    transport = httpx.MockTransport(echo_key)
    client = inductiva.Client(api_key=CANARY, api_url=URL, transport=transport, max_retries=0)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(errors.AuthenticationError) as info:
        client.task("1").get_status()
    shown = str(info.value) + repr(info.value) + info.value.url + caplog.text + repr(client)
    assert CANARY not in shown
    assert "pw-canary-77" not in shown
    assert MASK in str(info.value)


def test_key_is_masked_through_retried_answers(caplog: pytest.LogCaptureFixture) -> None:
    """429/503 answers retried with DEBUG logging on never show the key or the URL password."""
    answers = iter([429, 503, 503])

    def handler(request: httpx.Request) -> httpx.Response:
        status = next(answers, 503)
        key = request.headers["X-API-Key"]
        return httpx.Response(status, headers={"Retry-After": "0"}, json={"detail": f"busy {key}"})

    transport = httpx.MockTransport(handler)
    client = inductiva.Client(api_key=CANARY, api_url=URL, transport=transport, max_retries=2)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(errors.ServerError) as info:
        client.task("1").get_status()
    assert CANARY not in str(info.value) + caplog.text
    assert "pw-canary-77" not in str(info.value) + caplog.text


def test_filter_masks_secrets_logged_by_anyone() -> None:
    """The logging filter masks a registered secret in a record's formatted message."""
    register(CANARY)
    record = logging.LogRecord("inductiva", logging.INFO, __file__, 1, "key=%s", (CANARY,), None)
    assert RedactingFilter().filter(record)
    assert CANARY not in record.getMessage()


def test_bad_api_url_message_hides_its_password() -> None:
    """A ConfigurationError about api_url does not repeat the password in it."""
    with pytest.raises(errors.ConfigurationError) as info:
        inductiva.Client(api_key=CANARY, api_url="ftp://carol:pw-canary-88@host")
    assert "pw-canary-88" not in str(info.value)


FILE_CANARY = "CANARY-k3y-0123456789abcdef"


def _dead_url() -> str:
    """The URL of a local port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_canary_key_never_leaks_on_any_error_path(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """Across every error path, no exception, DEBUG log record or CLI output holds the key."""
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "inductiva"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    seen: list[str] = []
    monkeypatch.setattr(inductiva, "max_retries", 1)
    monkeypatch.setattr("inductiva._http._retry.RetryPolicy.delay", lambda *a, **k: 0.0)

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
    task_id = "1234567890123456789"
    for answer in answers:
        monkeypatch.setattr(inductiva, "api_key", f"{FILE_CANARY}\n")
        transport = httpx.MockTransport(lambda r, a=answer: a)
        inductiva._http.set_transport(transport, transport)
        attempt(lambda: inductiva.Task(task_id).get_status())
        attempt(lambda: inductiva.Task(task_id).download_outputs(output_dir=tmp_path / "o"))
        attempt(lambda: asyncio.run(inductiva.Task(task_id).get_status_async()))
    inductiva._http.set_transport()
    for key in (FILE_CANARY + "\x00", FILE_CANARY + "é", FILE_CANARY):
        monkeypatch.setattr(inductiva, "api_key", key)
        monkeypatch.setattr(inductiva, "api_url", _dead_url())
        attempt(lambda: inductiva.Task(task_id).get_status())
        attempt(lambda: inductiva.Task(task_id).download_outputs(output_dir=tmp_path / "d"))
    monkeypatch.setattr(inductiva, "api_key", None)
    monkeypatch.setattr(inductiva, "api_url", None)
    for key in (FILE_CANARY, FILE_CANARY + "\n", FILE_CANARY + "\x7f"):
        for argv in (["tasks", "info", task_id], ["tasks", "download", task_id, "--dir", "/x\0"]):
            out, err = io.StringIO(), io.StringIO()
            with redirect_stdout(out), redirect_stderr(err):
                cli.main(["-vv", "--api-key", key, "--api-url", _dead_url(), *argv])
            seen.extend([out.getvalue(), err.getvalue()])
    seen.extend(r.getMessage() for r in caplog.records)
    seen.extend(str(r.args) for r in caplog.records)
    assert seen
    leaks = [text for text in seen if FILE_CANARY in text]
    assert leaks == []


def test_filter_covers_the_loggers_below_ours(caplog: pytest.LogCaptureFixture) -> None:
    """httpcore.http11 (response headers at DEBUG) is filtered too, not only httpcore itself."""
    import httpcore  # noqa: F401  (its loggers exist once it is imported)

    from inductiva._redact import install_log_filter

    register(CANARY)
    install_log_filter()
    caplog.set_level(logging.DEBUG, logger="httpcore")
    logging.getLogger("httpcore.http11").debug("headers=%r", [(b"x-echo", CANARY.encode())])
    assert caplog.records and CANARY not in caplog.text
