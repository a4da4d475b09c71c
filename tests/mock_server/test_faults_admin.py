"""Fault injection, statistics, seeding and response validation."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from inductiva_mock.launcher import MockServer
from mock_helpers import SYNTHETIC, client_for, submit, wait_final

REPO = Path(__file__).resolve().parents[2]


def test_error_burst_with_retry_after(clean_faults: MockServer, api: httpx.Client) -> None:
    """fail_next=N answers N matching requests with 503 + Retry-After, then recovers."""
    clean_faults.set_faults(fail_next=2, fail_status=503, retry_after=3, path_regex="^/tasks$")
    assert api.get("/version").status_code == 200  # not matching the regex
    for _ in range(2):
        r = api.get("/tasks")
        assert r.status_code == 503
        assert r.headers["retry-after"] == "3"
        assert "retry after 3 s" in r.json()["detail"]
    assert api.get("/tasks").status_code == 200


def test_429_burst(clean_faults: MockServer, api: httpx.Client) -> None:
    """fail_status=429 answers rate-limited errors."""
    clean_faults.set_faults(fail_next=1, fail_status=429)
    r = api.get("/tasks")
    assert r.status_code == 429 and r.headers["retry-after"] == "1"
    assert api.get("/tasks").status_code == 200


def test_dropped_download(clean_faults: MockServer, api: httpx.Client) -> None:
    """drop_download_* cuts the body after N bytes: the client sees a protocol error."""
    task_id = submit(api, SYNTHETIC, {"files": [{"name": "f.txt", "size": 3_000_000}]})
    assert wait_final(api, task_id) == "success"
    size = api.get(f"/tasks/{task_id}/output/list").json()["size"]
    assert size > 20_000
    clean_faults.set_faults(drop_download_after_bytes=10_000, drop_download_times=1)
    received = 0
    with pytest.raises(httpx.HTTPError), api.stream("GET", f"/tasks/{task_id}/output") as r:
        for chunk in r.iter_bytes():
            received += len(chunk)
    assert received <= 10_000
    assert len(api.get(f"/tasks/{task_id}/output").content) == size  # next one is whole


def test_request_held_by_a_delay_fires_only_the_faults_it_arrived_under(
    clean_faults: MockServer, api: httpx.Client
) -> None:
    """A download held by delay_seconds whose client gave up never consumes a later drop."""
    task_id = submit(
        api, SYNTHETIC, {"files": [{"name": "f.bin", "size": 300_000, "compressible": False}]}
    )
    assert wait_final(api, task_id) == "success"
    size = api.get(f"/tasks/{task_id}/output/list").json()["size"]
    clean_faults.set_faults(delay_seconds=1.0, path_regex="/output$")
    with pytest.raises(httpx.ReadTimeout):
        api.get(f"/tasks/{task_id}/output", timeout=0.2)  # the server still holds it
    clean_faults.set_faults(drop_download_after_bytes=10_000, drop_download_times=1)
    time.sleep(1.2)  # the held request goes on now, under the settings it arrived with
    with pytest.raises(httpx.HTTPError), api.stream("GET", f"/tasks/{task_id}/output") as r:
        for _ in r.iter_bytes():
            pass  # the drop is still there for this request
    assert len(api.get(f"/tasks/{task_id}/output").content) == size


def test_delay(clean_faults: MockServer, api: httpx.Client) -> None:
    """delay_seconds delays matching responses."""
    clean_faults.set_faults(delay_seconds=0.4, path_regex="^/version")
    t0 = time.monotonic()
    assert api.get("/version").status_code == 200
    assert time.monotonic() - t0 >= 0.4


def test_invalid_fault_settings_rejected(clean_faults: MockServer) -> None:
    """Unknown keys or statuses other than 429/503 are refused with 422."""
    url, headers = f"{clean_faults.url}/__mock__/faults", clean_faults.admin_headers
    r = httpx.put(url, json={"fail_status": 500}, headers=headers)
    assert r.status_code == 422
    r = httpx.put(url, json={"bogus": 1}, headers=headers)
    assert r.status_code == 422


def test_stats_count_requests_and_output_bytes(mock_server: MockServer, api: httpx.Client) -> None:
    """Stats count requests per path and per route and output bytes; reset zeroes them."""
    task_id = submit(api, SYNTHETIC, {"stdout": "x"})
    wait_final(api, task_id)
    mock_server.reset_stats()
    body = api.get(f"/tasks/{task_id}/output").content
    api.get("/tasks")
    stats = mock_server.stats()
    assert stats["requests"] == 2
    assert stats["requests_by_path"]["/tasks"] == 1
    assert stats["requests_by_route"] == {"GET /tasks/{task_id}/output": 1, "GET /tasks": 1}
    assert stats["bytes_sent_output"] == len(body)


def test_seed_bulk_tasks(mock_server: MockServer) -> None:
    """Seeding 10,000 tasks is fast and they are listed with outputs."""
    t0 = time.monotonic()
    mock_server.seed(10_000, status="failed", api_key="other-key")
    assert time.monotonic() - t0 < 5
    with client_for(mock_server, "other-key") as c:
        page = c.get("/tasks", params={"status": "failed", "per_page": 1000}).json()
        assert len(page) == 1000
        first = page[0]["task_id"]
        assert page[0]["method_name"] == "fvm.openfoam.run_simulation"
        assert page[0]["executer"]["host_type"] == "gcloud"
        listing = c.get(f"/tasks/{first}/output/list").json()
        assert [f["name"] for f in listing["contents"]] == ["stdout.txt", "stderr.txt"]


def test_admin_endpoints_absent_without_admin() -> None:
    """Without --admin, /__mock__/ does not exist."""
    with MockServer(api_keys=["k"], admin=False) as s:
        assert httpx.get(f"{s.url}/__mock__/stats").status_code == 404


def test_response_validation_is_on(tmp_path: Path) -> None:
    """A response violating the spec is turned into a loud 500 and recorded."""
    spec = (REPO / "openapi.yaml").read_text()
    strict = spec.replace(
        "required: [version, api_version, extensions]", "required: [version, build_id]"
    )
    assert strict != spec
    (tmp_path / "strict.yaml").write_text(strict)
    with MockServer(api_keys=["k"], extra_args=["--spec", str(tmp_path / "strict.yaml")]) as s:
        r = httpx.get(f"{s.url}/version", headers={"X-API-Key": "k"})
        assert r.status_code == 500 and "response_validation_failed" in r.json()["detail"]
        assert s.stats()["response_validation_errors"]


def test_startup_faults_from_env_style_option() -> None:
    """--faults JSON applies from startup (the launcher's readiness probe is exempt)."""
    with MockServer(api_keys=["k"], faults={"fail_next": 1}) as s:
        headers = {"X-API-Key": "k"}
        assert httpx.get(f"{s.url}/version", headers=headers).status_code == 503
        assert httpx.get(f"{s.url}/version", headers=headers).status_code == 200
