"""Endpoints of openapi.yaml on the mock: auth, submit, listing, status, idempotency."""

from __future__ import annotations

import re
import threading
import time

import httpx
from inductiva_mock.launcher import MockServer
from mock_helpers import client_for, submit, wait_final


def test_version_needs_no_key(mock_server: MockServer) -> None:
    """GET /version answers without an API key."""
    r = httpx.get(f"{mock_server.url}/version")
    assert r.status_code == 200
    assert r.json()["api_version"] == "0.4.0"


def test_missing_or_invalid_key_is_401(mock_server: MockServer) -> None:
    """No or unknown X-API-Key → 401 Error mentioning INDUCTIVA_API_KEY."""
    for key in (None, "wrong-key"):
        with client_for(mock_server, key) as c:
            r = c.get("/tasks")
        assert r.status_code == 401
        assert r.json()["code"] == "unauthorized"
        assert "INDUCTIVA_API_KEY" in r.json()["message"]


def test_submit_returns_pending_input_with_19_digit_id(api: httpx.Client) -> None:
    """POST /tasks/submit → 202 {id, status: pending-input} with a 19-digit id."""
    task_id = submit(api, "synthetic.run", {}, upload=False)
    assert re.fullmatch(r"\d{19}", task_id)
    assert api.get(f"/tasks/{task_id}").json()["status"] == "pending-input"


def test_submit_invalid_body_is_422(api: httpx.Client) -> None:
    """Schema violations and invalid JSON → 422 with detail loc/msg."""
    r = api.post("/tasks/submit", json={"method": "nodots", "params": 3})
    assert r.status_code == 422
    locs = {d["loc"] for d in r.json()["detail"]}
    assert {"body.method", "body.params"} <= locs
    r = api.post(
        "/tasks/submit", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == "body"


def test_task_fields_after_success(api: httpx.Client) -> None:
    """A finished task carries times with timezone, executer and sizes."""
    task_id = submit(api, "synthetic.run", {"stdout": "hello"}, {"in.txt": "x"})
    assert wait_final(api, task_id) == "success"
    task = api.get(f"/tasks/{task_id}").json()
    for field in ("create_time", "input_submit_time", "start_time", "end_time"):
        assert task[field].endswith("+00:00"), field
    assert task["executer"] == {
        "host_type": "mock",
        "vm_type": "c2-standard-8",
        "vm_name": task["executer"]["vm_name"],
        "n_vcpus": 8,
    }
    assert task["input_size_bytes"] > 0 and task["output_size_bytes"] > 0
    assert task["method_name"] == "synthetic.run"


def test_status_progresses_through_started(api: httpx.Client) -> None:
    """submitted → started → success is observable by long-polling."""
    task_id = submit(api, "synthetic.run", {"duration": 0.5})
    seen = [api.get(f"/tasks/{task_id}/status").json()["status"]]
    while seen[-1] not in ("success", "failed"):
        r = api.get(f"/tasks/{task_id}/status", params={"wait_seconds": 5, "last_status": seen[-1]})
        seen.append(r.json()["status"])
    assert "started" in seen and seen[-1] == "success"


def test_other_key_gets_404(api: httpx.Client, other_api: httpx.Client) -> None:
    """Another key's task id answers 404 on every task endpoint."""
    task_id = submit(api, "synthetic.run", {}, upload=False)
    for path in ("", "/status", "/output", "/output/list"):
        r = other_api.get(f"/tasks/{task_id}{path}")
        assert r.status_code == 404, path
        assert r.json()["code"] == "not_found"
    assert other_api.post(f"/tasks/{task_id}/kill").status_code == 404
    assert other_api.post(f"/tasks/{task_id}/input", content=b"x").status_code == 404
    ids = {t["id"] for t in other_api.get("/tasks", params={"per_page": 1000}).json()["tasks"]}
    assert task_id not in ids


def test_unknown_task_is_404(api: httpx.Client) -> None:
    """A task id nobody owns → 404."""
    assert api.get("/tasks/1234567890123456789").status_code == 404


def test_listing_newest_first_with_total_and_filter(api: httpx.Client) -> None:
    """GET /tasks pages newest first, counts a total and filters by status."""
    ids = [submit(api, "synthetic.run", {}, upload=False) for _ in range(3)]
    page = api.get("/tasks", params={"per_page": 2, "status": "pending-input"}).json()
    assert page["page"] == 1 and page["per_page"] == 2 and len(page["tasks"]) == 2
    assert page["total"] >= 3
    assert [t["id"] for t in page["tasks"]] == [ids[2], ids[1]]
    assert all(t["status"] == "pending-input" for t in page["tasks"])
    page2 = api.get("/tasks", params={"per_page": 2, "page": 2, "status": "pending-input"})
    assert page2.json()["tasks"][0]["id"] not in (ids[2], ids[1])


def test_listing_rejects_bad_status_and_per_page(api: httpx.Client) -> None:
    """Unknown status filter or per_page > 1000 → 422."""
    r = api.get("/tasks", params={"status": "bogus"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == "query.status"
    r = api.get("/tasks", params={"per_page": 1001})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == "query.per_page"


def test_idempotency_key_returns_first_task(api: httpx.Client, other_api: httpx.Client) -> None:
    """The same Idempotency-Key (same API key) returns the first task's id."""
    body = {"method": "synthetic.run", "params": {}}
    h = {"Idempotency-Key": f"idem-{time.time_ns()}"}
    first = api.post("/tasks/submit", json=body, headers=h).json()
    again = api.post("/tasks/submit", json=body, headers=h).json()
    assert first["id"] == again["id"]
    other = other_api.post("/tasks/submit", json=body, headers=h).json()
    assert other["id"] != first["id"]


def test_long_poll_returns_promptly_on_change(mock_server: MockServer, api: httpx.Client) -> None:
    """A long-poll returns within a few hundred ms of a status change."""
    task_id = submit(api, "synthetic.run", {}, upload=False)
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
    assert api.post(f"/tasks/{task_id}/kill").status_code == 202
    th.join(10)
    assert result["status"] == "killed"
    assert float(result["at"]) - killed_at < 0.3


def test_long_poll_times_out_unchanged(api: httpx.Client) -> None:
    """Without a change, the long-poll answers after wait_seconds with the same status."""
    task_id = submit(api, "synthetic.run", {}, upload=False)
    t0 = time.monotonic()
    r = api.get(f"/tasks/{task_id}/status", params={"wait_seconds": 0.5})
    assert r.json()["status"] == "pending-input"
    assert 0.4 < time.monotonic() - t0 < 3


def test_long_poll_with_stale_last_status_returns_at_once(api: httpx.Client) -> None:
    """last_status different from the current one answers immediately."""
    task_id = submit(api, "synthetic.run", {}, upload=False)
    t0 = time.monotonic()
    r = api.get(f"/tasks/{task_id}/status", params={"wait_seconds": 10, "last_status": "submitted"})
    assert r.json()["status"] == "pending-input"
    assert time.monotonic() - t0 < 1


def test_status_wait_seconds_out_of_range_is_422(api: httpx.Client) -> None:
    """wait_seconds above 60 → 422."""
    task_id = submit(api, "synthetic.run", {}, upload=False)
    assert api.get(f"/tasks/{task_id}/status", params={"wait_seconds": 61}).status_code == 422


def test_malformed_task_id_is_422(api: httpx.Client) -> None:
    """A task id violating the path pattern → 422 naming path.task_id, on every task op."""
    for r in (
        api.get("/tasks/abc"),
        api.get("/tasks/abc/status"),
        api.post("/tasks/12ab/kill"),
        api.get("/tasks/x/output"),
        api.get("/tasks/x/output/list"),
        api.post("/tasks/x/input", content=b"zip"),
    ):
        assert r.status_code == 422, (r.request.url, r.status_code)
        body = r.json()
        assert body["code"] == "validation_error"
        assert any(d["loc"] == "path.task_id" for d in body["detail"]), body


def test_unknown_path_is_404_error_model(api: httpx.Client) -> None:
    """A path outside the API → 404 with the Error model."""
    r = api.get("/nothing-here")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
