"""The generated client against Stoplight Prism: every endpoint parses into its model."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import pytest
from inductiva_api import AuthenticatedClient
from inductiva_api.api.meta import get_version
from inductiva_api.api.tasks import (
    download_task_output,
    get_task,
    get_task_status,
    kill_task,
    list_task_outputs,
    list_tasks,
    submit_task,
    upload_task_input,
)
from inductiva_api.models import (
    BodyUploadTaskInput,
    OutputArchiveInfo,
    Task,
    TaskRequest,
    TaskRequestParams,
    TaskStatus,
    Version,
)
from inductiva_api.types import File

pytestmark = pytest.mark.prism
TASK_ID = "1691150776862178362"


@pytest.fixture(scope="module")
def client(prism: str) -> Iterator[AuthenticatedClient]:
    """The generated client pointed at Prism."""
    with AuthenticatedClient(
        base_url=prism, token="prism-key", prefix="", auth_header_name="X-API-Key"
    ) as c:
        yield c


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("input.txt", "x")
    return buf.getvalue()


def test_get_version(client: AuthenticatedClient) -> None:
    """GET /version parses into Version."""
    r = get_version.sync_detailed(client=client)
    assert r.status_code == 200 and isinstance(r.parsed, Version)


def test_submit_task(client: AuthenticatedClient) -> None:
    """POST /tasks/submit parses into TaskStatus."""
    params = TaskRequestParams.from_dict({"sim_dir": "sim_dir", "duration": 1})
    body = TaskRequest(method="test.synthetic.run_simulation", params=params)
    r = submit_task.sync_detailed(client=client, body=body)
    assert r.status_code == 202 and isinstance(r.parsed, TaskStatus)


def test_upload_task_input(client: AuthenticatedClient) -> None:
    """POST /tasks/{id}/input (multipart part `file`) parses into TaskStatus."""
    file = File(payload=io.BytesIO(_zip()), file_name="input.zip", mime_type="application/zip")
    r = upload_task_input.sync_detailed(client, TASK_ID, body=BodyUploadTaskInput(file=file))
    assert r.status_code == 200 and isinstance(r.parsed, TaskStatus)


def test_list_tasks(client: AuthenticatedClient) -> None:
    """GET /tasks parses into a list of Task."""
    r = list_tasks.sync_detailed(client=client, per_page=10)
    assert r.status_code == 200 and isinstance(r.parsed, list)
    assert all(isinstance(t, Task) for t in r.parsed)


def test_get_task(client: AuthenticatedClient) -> None:
    """GET /tasks/{id} parses into Task."""
    r = get_task.sync_detailed(client, TASK_ID)
    assert r.status_code == 200 and isinstance(r.parsed, Task)


def test_get_task_status(client: AuthenticatedClient) -> None:
    """GET /tasks/{id}/status parses into TaskStatus."""
    r = get_task_status.sync_detailed(client, TASK_ID)
    assert r.status_code == 200 and isinstance(r.parsed, TaskStatus)


def test_kill_task(client: AuthenticatedClient) -> None:
    """POST /tasks/{id}/kill answers 200 and parses into TaskStatus."""
    r = kill_task.sync_detailed(client, TASK_ID)
    assert r.status_code == 200 and isinstance(r.parsed, TaskStatus)


def test_list_task_outputs(client: AuthenticatedClient) -> None:
    """GET /tasks/{id}/output/list parses into OutputArchiveInfo."""
    r = list_task_outputs.sync_detailed(client, TASK_ID)
    assert r.status_code == 200 and isinstance(r.parsed, OutputArchiveInfo)


def test_download_task_output(client: AuthenticatedClient) -> None:
    """GET /tasks/{id}/output (with a filename subset) answers 200."""
    r = download_task_output.sync_detailed(client, TASK_ID, filename=["stdout.txt"])
    assert r.status_code == 200 and r.content
