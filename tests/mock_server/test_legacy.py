"""Legacy mode (`--legacy`): every extension off, the real API only."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterator

import httpx
import pytest
from inductiva_mock.launcher import MockServer
from mock_helpers import SYNTHETIC, client_for, submit, wait_final


@pytest.fixture
def legacy_api(legacy_mock_server: MockServer) -> Iterator[httpx.Client]:
    """Client of the legacy session mock with key test-key."""
    with client_for(legacy_mock_server, "test-key") as c:
        yield c


@pytest.fixture(scope="module")
def legacy_finished(legacy_mock_server: MockServer) -> str:
    """A finished synthetic task on the legacy mock."""
    with client_for(legacy_mock_server, "test-key") as c:
        files = [{"name": "big.bin", "size": 200_000, "compressible": False}]
        task_id = submit(c, SYNTHETIC, {"stdout": "legacy", "files": files})
        assert wait_final(c, task_id) == "success"
    return task_id


def test_version_is_404(legacy_api: httpx.Client) -> None:
    """GET /version → 404 {"detail": "Not Found"} (no `version` extension)."""
    r = legacy_api.get("/version")
    assert r.status_code == 404 and r.json() == {"detail": "Not Found"}


def test_range_is_ignored(legacy_api: httpx.Client, legacy_finished: str) -> None:
    """Range and If-Range → 200 with the whole archive, no ETag, no Accept-Ranges."""
    path = f"/tasks/{legacy_finished}/output"
    whole = legacy_api.get(path)
    assert whole.status_code == 200
    for headers in ({"Range": "bytes=0-99"}, {"Range": "bytes=0-9", "If-Range": '"x"'}):
        r = legacy_api.get(path, headers=headers)
        assert r.status_code == 200 and r.content == whole.content
        assert "etag" not in r.headers and "accept-ranges" not in r.headers
        assert "content-range" not in r.headers
    r = legacy_api.get(path, headers={"Range": f"bytes={len(whole.content) + 10}-"})
    assert r.status_code == 200  # never 416


def test_filename_subset_and_layout_are_real_api(
    legacy_api: httpx.Client, legacy_finished: str
) -> None:
    """The real API's parts stay: artifacts/ layout and ?filename subsets at the root."""
    path = f"/tasks/{legacy_finished}/output"
    with zipfile.ZipFile(io.BytesIO(legacy_api.get(path).content)) as zf:
        assert "output.json" in zf.namelist() and "artifacts/stdout.txt" in zf.namelist()
    r = legacy_api.get(path, params={"filename": "stdout.txt"}, headers={"Range": "bytes=0-9"})
    assert r.status_code == 200 and "etag" not in r.headers
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        assert zf.namelist() == ["stdout.txt"] and zf.read("stdout.txt") == b"legacy"


def test_wait_seconds_is_ignored(legacy_mock_server: MockServer, legacy_api: httpx.Client) -> None:
    """wait_seconds/last_status (even out of range) → the status at once; requests counted."""
    task_id = submit(legacy_api, SYNTHETIC, {}, upload=False)
    legacy_mock_server.reset_stats()
    t0 = time.monotonic()
    queries: list[dict[str, str | int]] = [
        {"wait_seconds": 5},
        {"wait_seconds": 61, "last_status": "bogus"},
    ]
    for params in queries:
        r = legacy_api.get(f"/tasks/{task_id}/status", params=params)
        assert r.status_code == 200 and r.json() == {"id": task_id, "status": "pending-input"}
    assert time.monotonic() - t0 < 1.5
    stats = legacy_mock_server.stats()
    assert stats["requests_by_route"]["GET /tasks/{task_id}/status"] == 2


def test_idempotency_key_is_ignored(legacy_api: httpx.Client) -> None:
    """The same Idempotency-Key twice creates two tasks."""
    body = {"method": SYNTHETIC, "params": {}}
    h = {"Idempotency-Key": f"idem-{time.time_ns()}"}
    first = legacy_api.post("/tasks/submit", json=body, headers=h).json()
    again = legacy_api.post("/tasks/submit", json=body, headers=h).json()
    assert first["id"] != again["id"]


def test_error_codes_stay(legacy_api: httpx.Client, legacy_mock_server: MockServer) -> None:
    """404 for an unknown task and 401 for a bad key are still answered, as {detail}."""
    r = legacy_api.get("/tasks/1234567890123456789")
    assert r.status_code == 404 and "detail" in r.json()
    assert httpx.get(f"{legacy_mock_server.url}/tasks").status_code == 401


def test_bytes_sent_counts_a_legacy_download(
    legacy_mock_server: MockServer, legacy_api: httpx.Client, legacy_finished: str
) -> None:
    """bytes_sent_output counts the whole archive a legacy Range request gets."""
    legacy_mock_server.reset_stats()
    r = legacy_api.get(f"/tasks/{legacy_finished}/output", headers={"Range": "bytes=0-9"})
    assert legacy_mock_server.stats()["bytes_sent_output"] == len(r.content) > 200_000


def test_same_core_flow_in_both_modes(any_mock_server: MockServer) -> None:
    """submit → multipart upload → status → task → list → output works in either mode."""
    with client_for(any_mock_server, "test-key") as c:
        task_id = submit(c, SYNTHETIC, {"stdout": "both"})
        assert wait_final(c, task_id) == "success"
        assert c.get(f"/tasks/{task_id}").json()["task_id"] == task_id
        assert task_id in [t["task_id"] for t in c.get("/tasks").json()]
        r = c.get(f"/tasks/{task_id}/output", params={"filename": "stdout.txt"})
        assert zipfile.ZipFile(io.BytesIO(r.content)).read("stdout.txt") == b"both"
        assert c.post(f"/tasks/{task_id}/kill").json()["status"] == "success"
