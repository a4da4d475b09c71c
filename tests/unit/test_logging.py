"""inductiva._http._logging: INDUCTIVA_LOG attaches a stderr handler when the first client is
built (never at import, once), at the level asked for; an unknown value names the allowed ones."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

import inductiva
from inductiva import errors


def test_info_logs_reach_stderr_once_a_client_is_built(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """INDUCTIVA_LOG=info: building a client attaches one handler; info records reach stderr."""
    monkeypatch.setenv("INDUCTIVA_LOG", "INFO")
    logger = logging.getLogger("inductiva")
    logger.handlers.clear()
    inductiva.Client(api_key="k", api_url="http://localhost:1")
    inductiva.Client(api_key="k", api_url="http://localhost:1")
    assert len(logger.handlers) == 1 and logger.level == logging.INFO
    logger.info("Task %s submitted.", "42")
    logger.debug("not shown")
    err = capsys.readouterr().err
    assert "INFO inductiva: Task 42 submitted." in err and "not shown" not in err


def test_debug_shows_each_http_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """INDUCTIVA_LOG=debug also attaches the handler to httpx's logger (a line per request)."""
    monkeypatch.setenv("INDUCTIVA_LOG", "debug")
    logging.getLogger("inductiva").handlers.clear()
    inductiva.Client(api_key="k", api_url="http://localhost:1")
    http = logging.getLogger("httpx")
    assert logging.getLogger("inductiva").level == logging.DEBUG
    assert http.level == logging.INFO and http.handlers


def test_an_existing_handler_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the inductiva logger already has a handler (the app's own), nothing is attached."""
    monkeypatch.setenv("INDUCTIVA_LOG", "debug")
    own = logging.NullHandler()
    logger = logging.getLogger("inductiva")
    logger.handlers[:] = [own]
    inductiva.Client(api_key="k", api_url="http://localhost:1")
    assert logger.handlers == [own]


def test_unknown_value_names_the_allowed_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    """INDUCTIVA_LOG=verbose is a ConfigurationError listing debug, info, warning, error."""
    monkeypatch.setenv("INDUCTIVA_LOG", "verbose")
    with pytest.raises(errors.ConfigurationError, match="debug, info, warning, error"):
        inductiva.Client(api_key="k", api_url="http://localhost:1")


def test_nothing_happens_at_import() -> None:
    """Importing inductiva with INDUCTIVA_LOG set attaches no handler."""
    code = "import logging, inductiva; print(len(logging.getLogger('inductiva').handlers))"
    env = {**os.environ, "INDUCTIVA_LOG": "debug"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "0", out.stderr
