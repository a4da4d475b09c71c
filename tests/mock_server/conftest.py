"""Fixtures of the mock server tests: API clients and a task runner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from inductiva_mock.launcher import MockServer
from mock_helpers import client_for, submit, wait_final


@pytest.fixture
def api(mock_server: MockServer) -> Iterator[httpx.Client]:
    """Client of the session mock server with key test-key."""
    with client_for(mock_server, "test-key") as c:
        yield c


@pytest.fixture
def other_api(mock_server: MockServer) -> Iterator[httpx.Client]:
    """Client of the session mock server with key other-key."""
    with client_for(mock_server, "other-key") as c:
        yield c


@pytest.fixture
def run_task(api: httpx.Client) -> Callable[..., str]:
    """Submit a task, wait for it to finish and return its id."""

    def run(method: str, params: dict[str, Any], files: dict[str, Any] | None = None) -> str:
        task_id = submit(api, method, params, files)
        wait_final(api, task_id)
        return task_id

    return run
