"""Input uploads: multipart part `file`, FastAPI's 422s, size limit, zip validation, extraction."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import httpx
from inductiva_mock.launcher import MockServer
from mock_helpers import (
    SYNTHETIC,
    client_for,
    input_zip,
    make_zip,
    submit,
    upload_input,
    wait_final,
)

FILE_MISSING = {"loc": ["body", "file"], "msg": "field required", "type": "value_error.missing"}


def test_raw_body_upload_is_422_like_fastapi(api: httpx.Client) -> None:
    """A raw (non-multipart) zip body → 422 {detail: [{loc: [body, file], ...missing}]}."""
    task_id = submit(api, SYNTHETIC, {}, upload=False)
    for headers in (
        {"Content-Type": "application/octet-stream"},
        {"Content-Type": "application/zip"},
    ):
        r = api.post(f"/tasks/{task_id}/input", content=make_zip(), headers=headers)
        assert r.status_code == 422
        assert r.json() == {"detail": [FILE_MISSING]}
    assert api.get(f"/tasks/{task_id}").json()["status"] == "pending-input"


def test_multipart_without_file_part_is_422(api: httpx.Client) -> None:
    """A multipart body whose part is not named `file` → the same 422."""
    task_id = submit(api, SYNTHETIC, {}, upload=False)
    r = api.post(f"/tasks/{task_id}/input", files={"input": ("input.zip", make_zip())})
    assert r.status_code == 422 and r.json() == {"detail": [FILE_MISSING]}
    assert api.get(f"/tasks/{task_id}").json()["status"] == "pending-input"


def test_multipart_upload_answers_task_status(api: httpx.Client) -> None:
    """The part `file` (among other parts) is stored: 200 TaskStatus {id, submitted}."""
    task_id = submit(api, SYNTHETIC, {}, upload=False)
    data = input_zip({"a.txt": "a" * 1000}, {"sim_dir": "sim_dir"})
    r = api.post(
        f"/tasks/{task_id}/input",
        data={"note": "ignored"},
        files={"file": ("input.zip", data, "application/zip")},
    )
    assert r.status_code == 200 and r.json() == {"id": task_id, "status": "submitted"}
    assert wait_final(api, task_id) == "success"


def test_upload_too_large_is_413() -> None:
    """A `file` over --max-upload-bytes → 413 {detail}, declared or streamed."""
    with (
        MockServer(api_keys=["k"], extra_args=["--max-upload-bytes", "1000"]) as s,
        client_for(s, "k") as c,
    ):
        task_id = submit(c, SYNTHETIC, {}, upload=False)
        r = upload_input(c, task_id, b"x" * 200_000)
        assert r.status_code == 413 and "1000" in r.json()["detail"]
        r = upload_input(c, task_id, b"x" * 5000)  # within the body slack, over the limit
        assert r.status_code == 413
        boundary = "b0undary"

        def chunks() -> Iterator[bytes]:
            yield (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                'filename="i.zip"\r\n\r\n'
            ).encode()
            for _ in range(200):
                yield b"y" * 500
            yield f"\r\n--{boundary}--\r\n".encode()

        r = c.post(
            f"/tasks/{task_id}/input",
            content=chunks(),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert r.status_code == 413
        assert c.get(f"/tasks/{task_id}").json()["status"] == "pending-input"


def test_upload_not_a_zip_is_422(api: httpx.Client) -> None:
    """A `file` that is not a zip → 422 with loc [body, file]."""
    task_id = submit(api, SYNTHETIC, {}, upload=False)
    r = upload_input(api, task_id, b"definitely not a zip")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "file"]
    assert api.get(f"/tasks/{task_id}").json()["status"] == "pending-input"


def test_upload_twice_is_409(api: httpx.Client) -> None:
    """Uploading to a task that is no longer pending-input → 409 {detail}."""
    task_id = submit(api, SYNTHETIC, {})
    r = upload_input(api, task_id, make_zip())
    assert r.status_code == 409 and "pending-input" in r.json()["detail"]


def test_input_json_params_and_sim_dir(api: httpx.Client) -> None:
    """The runner gets params from input.json and runs in the zip's sim_dir."""
    r = api.post("/tasks/submit", json={"method": SYNTHETIC, "params": {"stdout": "request"}})
    task_id = r.json()["id"]
    zipped = input_zip(
        {"data.txt": "d"}, {"sim_dir": "sim_dir", "stdout": "from input.json", "files": []}
    )
    assert upload_input(api, task_id, zipped).status_code == 200
    assert wait_final(api, task_id) == "success"
    out = api.get(f"/tasks/{task_id}/output", params={"filename": "stdout.txt"})
    assert zipfile.ZipFile(io.BytesIO(out.content)).read("stdout.txt") == b"from input.json"


def test_escaping_zip_members_are_not_extracted(mock_server: MockServer, api: httpx.Client) -> None:
    """Members like ../x or absolute paths never land outside the task's directory."""
    task_id = submit(api, SYNTHETIC, {}, upload=False)
    zipped = make_zip({"../escaped.txt": "x", "/abs.txt": "y", "sim_dir/ok.txt": "z"})
    assert upload_input(api, task_id, zipped).status_code == 200
    assert wait_final(api, task_id) == "success"
    assert not (mock_server.data_dir / "tasks" / "escaped.txt").exists()
    assert not (mock_server.data_dir / "tasks" / task_id / "escaped.txt").exists()
