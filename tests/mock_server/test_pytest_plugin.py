"""The pytest plugin (entry point pytest11): fixtures, per-test reset and the admin handles."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from inductiva_mock.launcher import MockServer
from mock_helpers import SYNTHETIC, submit, wait_final, wait_status


@pytest.fixture
def user_api(inductiva_mock_url: str, inductiva_api_key: str) -> Iterator[httpx.Client]:
    """A client of the plugin's mock with its API key."""
    headers = {"X-API-Key": inductiva_api_key}
    with httpx.Client(base_url=inductiva_mock_url, headers=headers, timeout=30.0) as c:
        yield c


def test_fixtures_give_a_running_mock(
    inductiva_mock: MockServer, inductiva_mock_url: str, inductiva_api_key: str
) -> None:
    """inductiva_mock_url and inductiva_api_key reach the plugin's server (admin on)."""
    assert inductiva_mock_url == inductiva_mock.url and inductiva_mock.admin_token
    r = httpx.get(f"{inductiva_mock_url}/tasks", headers={"X-API-Key": inductiva_api_key})
    assert r.status_code == 200 and r.json() == []


def test_finish_task_with_outputs(inductiva_mock: MockServer, user_api: httpx.Client) -> None:
    """finish_task ends a pending task `success` with the given stdout and files."""
    task_id = submit(user_api, SYNTHETIC, {}, upload=False)
    task = inductiva_mock.finish_task(task_id, stdout="hello\n", files={"res/a.csv": "1,2\n"})
    assert task["status"] == "success" and task["end_time"] and task["executer"]
    listing = user_api.get(f"/tasks/{task_id}/output/list").json()
    assert {f["name"] for f in listing["contents"]} == {"stdout.txt", "stderr.txt", "res/a.csv"}
    body = user_api.get(f"/tasks/{task_id}/output").content
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        assert zf.read("artifacts/stdout.txt") == b"hello\n"


def test_fail_running_task(inductiva_mock: MockServer, user_api: httpx.Client) -> None:
    """fail_task ends a started task `failed` at once; its runner's exit is ignored."""
    task_id = submit(user_api, SYNTHETIC, {"duration": 30})
    wait_status(user_api, task_id, "started")
    assert inductiva_mock.fail_task(task_id, stderr="boom\n")["status"] == "failed"
    assert wait_final(user_api, task_id) == "failed"
    names = [f["name"] for f in user_api.get(f"/tasks/{task_id}/output/list").json()["contents"]]
    assert "stderr.txt" in names


def test_hang_then_kill(inductiva_mock: MockServer, user_api: httpx.Client) -> None:
    """hang_task keeps a task `started` (its runner gone) until it is killed."""
    task_id = submit(user_api, SYNTHETIC, {"stdout": "would finish at once"}, upload=False)
    assert inductiva_mock.hang_task(task_id)["status"] == "started"
    r = user_api.get(
        f"/tasks/{task_id}/status", params={"wait_seconds": 1, "last_status": "started"}
    )
    assert r.json()["status"] == "started"
    assert user_api.post(f"/tasks/{task_id}/kill").json()["status"] == "pending-kill"
    assert wait_final(user_api, task_id) == "killed"


def test_seed(inductiva_mock: MockServer, user_api: httpx.Client) -> None:
    """seed() inserts finished tasks for the plugin's API key."""
    inductiva_mock.seed(25, status="failed")
    tasks = user_api.get("/tasks", params={"per_page": 100}).json()
    assert len(tasks) == 25 and {t["status"] for t in tasks} == {"failed"}


def test_legacy_fixture(inductiva_mock_legacy: MockServer, user_api: httpx.Client) -> None:
    """inductiva_mock_legacy: the extensions are off (no /version) during the test."""
    r = user_api.get("/version")
    assert r.status_code == 404 and r.json() == {"detail": "Not Found"}
    task_id = submit(user_api, SYNTHETIC, {"stdout": "x"})
    assert wait_final(user_api, task_id) == "success"
    r = user_api.get(f"/tasks/{task_id}/output", headers={"Range": "bytes=0-9"})
    assert r.status_code == 200 and "etag" not in r.headers


def test_inductiva_client_is_a_client_bound_to_the_mock(
    inductiva_mock: MockServer, inductiva_client: Any
) -> None:
    """inductiva_client is a Client with the mock's URL and key; module settings untouched."""
    import inductiva

    assert isinstance(inductiva_client, inductiva.Client)
    assert inductiva_client.api_url == inductiva_mock.url
    assert inductiva_client.api_key == inductiva_mock.api_key
    assert inductiva.api_url is None and inductiva.api_key is None
    assert inductiva_client.tasks.get(last_n=5) == []


def test_inductiva_configured_points_the_module_api_at_the_mock(
    inductiva_mock: MockServer, inductiva_configured: ModuleType
) -> None:
    """inductiva_configured sets inductiva.api_url/api_key: the module API reaches the mock."""
    assert inductiva_configured.api_url == inductiva_mock.url
    assert inductiva_configured.api_key == inductiva_mock.api_key
    assert inductiva_configured.tasks.get(last_n=5) == []


ORDER_SUITE = """
import httpx
import inductiva

def test_1_leaves_state_behind(inductiva_mock, inductiva_configured, inductiva_client):
    headers = {"X-API-Key": inductiva_mock.api_key}
    body = {"method": "test.synthetic.run_simulation", "params": {"duration": 30}}
    r = httpx.post(f"{inductiva_mock.url}/tasks/submit", headers=headers, json=body)
    assert r.status_code == 202, r.text
    inductiva_mock.set_faults(delay_seconds=0.01)
    inductiva_mock.set_legacy(True)
    assert inductiva.api_url == inductiva_mock.url
    assert inductiva_client.api_url == inductiva_mock.url
    pytest_client.append(inductiva_client)

def test_2_each_test_starts_fresh(inductiva_mock, inductiva_client):
    assert inductiva.api_url is None and inductiva.api_key is None
    assert inductiva_client.tasks.get(last_n=5) == []
    headers = {"X-API-Key": inductiva_mock.api_key}
    assert httpx.get(f"{inductiva_mock.url}/version", headers=headers).status_code == 200
    assert inductiva_mock.stats()["requests"] == 2
    admin = inductiva_mock.admin_headers
    faults = httpx.get(f"{inductiva_mock.url}/__mock__/faults", headers=admin).json()
    assert faults["delay_seconds"] == 0
    assert inductiva_client is not pytest_client[0]
    assert pytest_client[0]._core._sync is None  # the first test's client was closed

pytest_client = []
"""


def test_fixtures_reset_the_mock_and_restore_the_client_between_tests(tmp_path: Path) -> None:
    """The next test finds no tasks, faults, legacy mode or settings, and a new client."""
    (tmp_path / "test_order.py").write_text(ORDER_SUITE)
    run = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", "-q"]
    proc = subprocess.run(
        [*run, str(tmp_path)], capture_output=True, text=True, cwd=tmp_path, timeout=180
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout, proc.stdout


PLUGIN_SUITE = """
import inductiva_mock.launcher as launcher

def _refuse(self):
    raise AssertionError("the plugin started a server nobody asked for")

launcher.MockServer.start = _refuse

def test_plain():
    assert True
"""


def test_plugin_starts_nothing_unless_used(tmp_path: Path) -> None:
    """Installed, the plugin is active (its fixtures listed) but starts no server unused."""
    (tmp_path / "test_plain.py").write_text(PLUGIN_SUITE)
    run = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", str(tmp_path)]
    proc = subprocess.run([*run, "-q"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    listed = subprocess.run(
        [*run, "--fixtures"], capture_output=True, text=True, cwd=tmp_path, timeout=120
    ).stdout
    for name in (
        "inductiva_mock",
        "inductiva_mock_url",
        "inductiva_api_key",
        "inductiva_client",
        "inductiva_configured",
    ):
        assert f"{name} " in listed or f"{name} [" in listed, listed[-2000:]
