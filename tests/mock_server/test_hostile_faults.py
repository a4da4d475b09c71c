"""Hostile fault modes of the mock: endless bodies, trickles, garbage 200s and echoed keys,
opt-in and bounded on the server side too."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from inductiva_mock.launcher import MockServer
from mock_helpers import SYNTHETIC, submit, wait_final


def _read_then_leave(api: httpx.Client, path: str, limit: int) -> httpx.Response:
    """Read ``limit`` bytes of an answer, then disconnect; the response (headers only)."""
    got = 0
    with api.stream("GET", path) as response:
        for chunk in response.iter_raw():
            got += len(chunk)
            if got >= limit:
                break
    assert got >= limit
    return response


def test_endless_json_body_never_ends(clean_faults: MockServer, api: httpx.Client) -> None:
    """endless_body: a chunked 200 of JSON that never closes, on the matching path only."""
    clean_faults.set_faults(endless_body=True, path_regex="^/tasks$")
    assert api.get("/version").status_code == 200
    response = _read_then_leave(api, "/tasks", 8 * 1024 * 1024)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert "content-length" not in response.headers


def test_endless_archive_stops_when_the_client_leaves(
    clean_faults: MockServer, api: httpx.Client
) -> None:
    """An endless archive has no Content-Length; the server stops sending once the client left."""
    task_id = submit(api, SYNTHETIC, {"stdout": "x"})
    assert wait_final(api, task_id) == "success"
    clean_faults.set_faults(endless_body=True)
    clean_faults.reset_stats()
    response = _read_then_leave(api, f"/tasks/{task_id}/output", 4 * 1024 * 1024)
    assert response.headers["content-type"] == "application/octet-stream"
    assert "content-length" not in response.headers
    clean_faults.clear_faults()
    time.sleep(0.3)
    sent = clean_faults.stats()["bytes_sent_output"]
    time.sleep(0.5)
    assert clean_faults.stats()["bytes_sent_output"] == sent  # stopped, not streaming on
    assert sent < 64 * 1024 * 1024


def test_trickle_paces_the_answer(clean_faults: MockServer, api: httpx.Client) -> None:
    """trickle_bytes_per_second: the whole answer arrives, no faster than the rate."""
    expected = api.get("/version").content
    clean_faults.set_faults(trickle_bytes_per_second=len(expected) * 2, path_regex="^/version")
    started = time.monotonic()
    assert api.get("/version").content == expected
    assert time.monotonic() - started >= 0.4


@pytest.mark.parametrize("kind", ["html", "not_json", "wrong_types", "deep_nesting"])
def test_garbage_answers_200(clean_faults: MockServer, api: httpx.Client, kind: str) -> None:
    """garbage: a 200 of HTML, of text that is not JSON, of wrong types, or deeply nested."""
    task_id = submit(api, SYNTHETIC, {})
    clean_faults.set_faults(garbage=kind)
    response = api.get(f"/tasks/{task_id}")
    assert response.status_code == 200
    if kind == "html":
        assert response.headers["content-type"].startswith("text/html")
        assert b"<html>" in response.content
    elif kind == "wrong_types":  # the real answer, every string a number
        body = response.json()
        assert body["task_id"] == 12345 and body["status"] == 12345
    else:
        with pytest.raises((ValueError, RecursionError)):
            json.loads(response.content)


def test_echo_key_quotes_the_key_in_errors(clean_faults: MockServer) -> None:
    """echo_key: a 401 quotes the key sent, in its body and a header; a 2xx is untouched."""
    clean_faults.set_faults(echo_key=True)
    bad = httpx.get(f"{clean_faults.url}/tasks", headers={"X-API-Key": "wrong-canary-1"})
    assert bad.status_code == 401
    assert "wrong-canary-1" in bad.json()["detail"]
    assert bad.headers["x-echo-api-key"] == "wrong-canary-1"
    good = httpx.get(f"{clean_faults.url}/tasks", headers={"X-API-Key": "test-key"})
    assert good.status_code == 200 and "x-echo-api-key" not in good.headers


def test_echo_key_on_injected_429_with_basic_credentials(clean_faults: MockServer) -> None:
    """An injected 429 echoes the key and the decoded Basic credentials of the request."""
    clean_faults.set_faults(echo_key=True, fail_next=1, fail_status=429)
    response = httpx.get(
        f"{clean_faults.url}/tasks", headers={"X-API-Key": "test-key"}, auth=("me", "pass-word-9")
    )
    assert response.status_code == 429 and response.headers["retry-after"] == "1"
    assert "'test-key'" in response.json()["detail"]
    assert "me:pass-word-9" in response.json()["detail"]


@pytest.mark.parametrize(
    "settings",
    [
        {"garbage": "poetry"},
        {"echo_key": "yes"},
        {"endless_body": 1},
        {"trickle_bytes_per_second": -1},
    ],
)
def test_invalid_hostile_settings_refused(
    clean_faults: MockServer, settings: dict[str, object]
) -> None:
    """An unknown garbage kind, a non-boolean flag or a negative rate is refused with 422."""
    url, headers = f"{clean_faults.url}/__mock__/faults", clean_faults.admin_headers
    response = httpx.put(url, json=settings, headers=headers)
    assert response.status_code == 422
    assert httpx.get(url, headers=headers).json()["garbage"] is None
