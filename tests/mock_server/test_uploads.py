"""Input uploads: size limit, zip validation and status checks."""

from __future__ import annotations

import httpx
from inductiva_mock.launcher import MockServer
from mock_helpers import client_for, make_zip, submit


def test_upload_too_large_is_413() -> None:
    """A body over --max-upload-bytes → 413, declared or streamed."""
    with (
        MockServer(api_keys=["k"], extra_args=["--max-upload-bytes", "1000"]) as s,
        client_for(s, "k") as c,
    ):
        task_id = submit(c, "synthetic.run", {}, upload=False)
        r = c.post(f"/tasks/{task_id}/input", content=b"x" * 5000)
        assert r.status_code == 413 and r.json()["code"] == "payload_too_large"

        def chunks() -> object:
            for _ in range(10):
                yield b"y" * 500

        r = c.post(f"/tasks/{task_id}/input", content=chunks())
        assert r.status_code == 413
        assert c.get(f"/tasks/{task_id}").json()["status"] == "pending-input"


def test_upload_not_a_zip_is_422(api: httpx.Client) -> None:
    """A body that is not a zip → 422 with loc body."""
    task_id = submit(api, "synthetic.run", {}, upload=False)
    r = api.post(f"/tasks/{task_id}/input", content=b"definitely not a zip")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == "body"
    assert api.get(f"/tasks/{task_id}").json()["status"] == "pending-input"


def test_upload_twice_is_409(api: httpx.Client) -> None:
    """Uploading to a task that is no longer pending-input → 409."""
    task_id = submit(api, "synthetic.run", {})
    r = api.post(f"/tasks/{task_id}/input", content=make_zip())
    assert r.status_code == 409 and r.json()["code"] == "conflict"


def test_upload_records_input_size(api: httpx.Client) -> None:
    """The uploaded archive's size becomes input_size_bytes and the task is submitted."""
    task_id = submit(api, "synthetic.run", {}, upload=False)
    data = make_zip({"a.txt": "a" * 1000})
    r = api.post(f"/tasks/{task_id}/input", content=data)
    assert r.status_code == 200 and r.json() == {"id": task_id, "status": "submitted"}
    assert api.get(f"/tasks/{task_id}").json()["input_size_bytes"] == len(data)
