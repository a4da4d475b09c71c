"""Endpoints of openapi.yaml on the mock: auth, submit, listing, status, idempotency, version."""

from __future__ import annotations

import re
import threading
import time

import httpx
from inductiva_api import contract
from inductiva_mock.launcher import MockServer
from mock_helpers import SYNTHETIC, client_for, submit, wait_final


def test_version_lists_extensions(api: httpx.Client) -> None:
    """GET /version (default mode) answers the API version and every extension, sorted."""
    r = api.get("/version")
    assert r.status_code == 200
    assert r.json()["api_version"] == contract.__version__
    assert r.json()["extensions"] == sorted(contract.EXTENSIONS)


def test_version_needs_a_key(mock_server: MockServer) -> None:
    """GET /version requires the X-API-Key like every operation."""
    assert httpx.get(f"{mock_server.url}/version").status_code == 401


def test_missing_or_invalid_key_is_401(mock_server: MockServer) -> None:
    """No or unknown X-API-Key → 401 HTTPError {detail} mentioning INDUCTIVA_API_KEY."""
    for key in (None, "wrong-key"):
        with client_for(mock_server, key) as c:
            r = c.get("/tasks")
        assert r.status_code == 401
        assert set(r.json()) == {"detail"} and "INDUCTIVA_API_KEY" in r.json()["detail"]


def test_submit_returns_task_status_with_19_digit_id(api: httpx.Client) -> None:
    """POST /tasks/submit → 202 TaskStatus {id, status: pending-input} with a 19-digit id."""
    r = api.post("/tasks/submit", json={"method": SYNTHETIC, "params": {}})
    assert r.status_code == 202 and r.json()["status"] == "pending-input"
    task_id = r.json()["id"]
    assert re.fullmatch(r"\d{19}", task_id)
    assert api.get(f"/tasks/{task_id}").json()["status"] == "pending-input"


def test_submit_invalid_body_is_422_fastapi_shape(api: httpx.Client) -> None:
    """Schema violations and invalid JSON → 422 HTTPValidationError (loc list, msg, type)."""
    r = api.post("/tasks/submit", json={"method": 3})
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert {"loc": ["body", "params"], "msg": "field required", "type": "value_error.missing"} in (
        detail
    )
    assert any(
        d["loc"] == ["body", "method"] and d["type"].startswith("type_error") for d in detail
    )
    r = api.post(
        "/tasks/submit", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][0] == "body"
    assert r.json()["detail"][0]["type"] == "value_error.jsondecode"


def test_task_fields_after_success(api: httpx.Client) -> None:
    """A finished Task: task_id, times with timezone, a GCloudExecuter; no undeclared fields."""
    task_id = submit(api, SYNTHETIC, {"stdout": "hello"}, {"in.txt": "x"})
    assert wait_final(api, task_id) == "success"
    task = api.get(f"/tasks/{task_id}").json()
    assert set(task) == {
        "task_id",
        "status",
        "method_name",
        "create_time",
        "input_submit_time",
        "start_time",
        "end_time",
        "executer",
    }
    assert task["task_id"] == task_id and task["method_name"] == SYNTHETIC
    for field in ("create_time", "input_submit_time", "start_time", "end_time"):
        assert task[field].endswith("+00:00"), field
    executer = task["executer"]
    assert executer["host_type"] == "gcloud" and executer["vm_type"] == "c2-standard-8"
    assert executer["cpu_count_logical"] == 8 and executer["cpu_count_physical"] == 4
    assert executer["memory"] == 32 * 1024**3 and executer["vm_name"].startswith("mock-")
    assert re.fullmatch(r"[0-9a-f-]{36}", executer["uuid"])


def test_pending_task_has_null_times_and_executer(api: httpx.Client) -> None:
    """Before it starts a Task has null start/end/input times and a null executer."""
    task = api.get(f"/tasks/{submit(api, SYNTHETIC, {}, upload=False)}").json()
    assert task["executer"] is None and task["start_time"] is None
    assert task["end_time"] is None and task["input_submit_time"] is None


def test_status_progresses_through_started(api: httpx.Client) -> None:
    """submitted → started → success is observable by long-polling."""
    task_id = submit(api, SYNTHETIC, {"duration": 0.5})
    seen = [api.get(f"/tasks/{task_id}/status").json()["status"]]
    while seen[-1] not in ("success", "failed"):
        r = api.get(f"/tasks/{task_id}/status", params={"wait_seconds": 5, "last_status": seen[-1]})
        assert set(r.json()) == {"id", "status"}
        seen.append(r.json()["status"])
    assert "started" in seen and seen[-1] == "success"


def test_other_key_gets_404(api: httpx.Client, other_api: httpx.Client) -> None:
    """Another key's task id answers 404 {detail} on every task endpoint."""
    task_id = submit(api, SYNTHETIC, {}, upload=False)
    for path in ("", "/status", "/output", "/output/list"):
        r = other_api.get(f"/tasks/{task_id}{path}")
        assert r.status_code == 404, path
        assert task_id in r.json()["detail"]
    assert other_api.post(f"/tasks/{task_id}/kill").status_code == 404
    r = other_api.post(f"/tasks/{task_id}/input", files={"file": ("i.zip", b"x")})
    assert r.status_code == 404
    ids = {t["task_id"] for t in other_api.get("/tasks", params={"per_page": 1000}).json()}
    assert task_id not in ids


def test_unknown_task_is_404(api: httpx.Client) -> None:
    """A task id nobody owns (any string) → 404."""
    assert api.get("/tasks/1234567890123456789").status_code == 404
    assert api.get("/tasks/abc/status").status_code == 404


def test_listing_is_a_plain_array_newest_first_with_filter(api: httpx.Client) -> None:
    """GET /tasks answers a plain array of Task, newest first, paged, filtered by status."""
    ids = [submit(api, SYNTHETIC, {}, upload=False) for _ in range(3)]
    page = api.get("/tasks", params={"per_page": 2, "status": "pending-input"}).json()
    assert isinstance(page, list) and len(page) == 2
    assert [t["task_id"] for t in page] == [ids[2], ids[1]]
    assert all(t["status"] == "pending-input" for t in page)
    page2 = api.get("/tasks", params={"per_page": 2, "page": 2, "status": "pending-input"})
    assert page2.json()[0]["task_id"] not in (ids[2], ids[1])


def test_listing_odd_pages_are_empty_not_errors(api: httpx.Client) -> None:
    """page or per_page < 1 and huge values (no declared bounds) → 200 with an array."""
    submit(api, SYNTHETIC, {}, upload=False)
    for params in ({"page": 0}, {"page": -5}, {"per_page": 0}, {"per_page": -1}):
        r = api.get("/tasks", params=params)
        assert r.status_code == 200 and r.json() == [], params
    r = api.get("/tasks", params={"page": 10**12, "per_page": 10**12})
    assert r.status_code == 200 and r.json() == []
    assert len(api.get("/tasks", params={"per_page": 5000}).json()) >= 1


def test_listing_rejects_bad_status_and_non_integer(api: httpx.Client) -> None:
    """Unknown status filter or a non-integer per_page → 422 with loc [query, name]."""
    r = api.get("/tasks", params={"status": "bogus"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "status"]
    r = api.get("/tasks", params={"per_page": "ten"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "per_page"]


def test_idempotency_key_returns_first_task(api: httpx.Client, other_api: httpx.Client) -> None:
    """The same Idempotency-Key (same API key) returns the first task's id."""
    body = {"method": SYNTHETIC, "params": {}}
    h = {"Idempotency-Key": f"idem-{time.time_ns()}"}
    first = api.post("/tasks/submit", json=body, headers=h).json()
    again = api.post("/tasks/submit", json=body, headers=h).json()
    assert first["id"] == again["id"]
    other = other_api.post("/tasks/submit", json=body, headers=h).json()
    assert other["id"] != first["id"]


def test_long_poll_returns_promptly_on_change(mock_server: MockServer, api: httpx.Client) -> None:
    """A long-poll returns within a few hundred ms of a status change."""
    task_id = submit(api, SYNTHETIC, {}, upload=False)
    path = f"/tasks/{task_id}/status"
    result: dict[str, float | str] = {}

    def poll() -> None:
        r = api.get(path, params={"wait_seconds": 20, "last_status": "pending-input"})
        result.update(status=r.json()["status"], at=time.monotonic())

    th = threading.Thread(target=poll)
    th.start()
    deadline = time.monotonic() + 10
    while mock_server.stats()["requests_by_path"].get(path, 0) < 1:  # the poll is waiting
        assert time.monotonic() < deadline, "the long-poll never reached the server"
        time.sleep(0.01)
    killed_at = time.monotonic()
    assert api.post(f"/tasks/{task_id}/kill").status_code == 200
    th.join(10)
    assert result["status"] == "killed"
    assert float(result["at"]) - killed_at < 0.3


def test_long_poll_times_out_unchanged(api: httpx.Client) -> None:
    """Without a change, the long-poll answers after wait_seconds with the same status."""
    task_id = submit(api, SYNTHETIC, {}, upload=False)
    t0 = time.monotonic()
    r = api.get(f"/tasks/{task_id}/status", params={"wait_seconds": 0.5})
    assert r.json()["status"] == "pending-input"
    assert 0.4 < time.monotonic() - t0 < 3


def test_long_poll_with_stale_last_status_returns_at_once(api: httpx.Client) -> None:
    """last_status different from the current one answers immediately."""
    task_id = submit(api, SYNTHETIC, {}, upload=False)
    t0 = time.monotonic()
    r = api.get(f"/tasks/{task_id}/status", params={"wait_seconds": 10, "last_status": "submitted"})
    assert r.json()["status"] == "pending-input"
    assert time.monotonic() - t0 < 1


def test_status_wait_seconds_out_of_range_is_422(api: httpx.Client) -> None:
    """wait_seconds above 60 → 422 naming [query, wait_seconds] (default mode)."""
    task_id = submit(api, SYNTHETIC, {}, upload=False)
    r = api.get(f"/tasks/{task_id}/status", params={"wait_seconds": 61})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "wait_seconds"]


def test_unknown_path_is_404_detail(api: httpx.Client) -> None:
    """A path outside the API → 404 {"detail": "Not Found"}, as FastAPI answers."""
    r = api.get("/nothing-here")
    assert r.status_code == 404 and r.json() == {"detail": "Not Found"}


def test_stats_count_requests_per_route(mock_server: MockServer, api: httpx.Client) -> None:
    """Stats count requests per operation template (e.g. status requests of any task)."""
    ids = [submit(api, SYNTHETIC, {}, upload=False) for _ in range(2)]
    before = mock_server.stats()["requests_by_route"].get("GET /tasks/{task_id}/status", 0)
    for task_id in ids:
        api.get(f"/tasks/{task_id}/status")
    after = mock_server.stats()["requests_by_route"]["GET /tasks/{task_id}/status"]
    assert after - before == 2
