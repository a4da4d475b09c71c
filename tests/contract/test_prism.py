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
    OutputList,
    Task,
    TaskPage,
    TaskRequest,
    TaskRequestParams,
    TaskStatusInfo,
    TaskSubmitted,
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
    """POST /tasks/submit parses into TaskSubmitted."""
    body = TaskRequest(method="synthetic.run", params=TaskRequestParams.from_dict({"a": 1}))
    r = submit_task.sync_detailed(client=client, body=body)
    assert r.status_code == 202 and isinstance(r.parsed, TaskSubmitted)


def test_upload_task_input(client: AuthenticatedClient) -> None:
    """POST /tasks/{id}/input parses into TaskSubmitted."""
    body = File(payload=io.BytesIO(_zip()), file_name="input.zip", mime_type="application/zip")
    r = upload_task_input.sync_detailed(TASK_ID, client=client, body=body)
    assert r.status_code == 200 and isinstance(r.parsed, TaskSubmitted)


def test_list_tasks(client: AuthenticatedClient) -> None:
    """GET /tasks parses into TaskPage."""
    r = list_tasks.sync_detailed(client=client, per_page=10)
    assert r.status_code == 200 and isinstance(r.parsed, TaskPage)


def test_get_task(client: AuthenticatedClient) -> None:
    """GET /tasks/{id} parses into Task."""
    r = get_task.sync_detailed(TASK_ID, client=client)
    assert r.status_code == 200 and isinstance(r.parsed, Task)


def test_get_task_status(client: AuthenticatedClient) -> None:
    """GET /tasks/{id}/status parses into TaskStatusInfo."""
    r = get_task_status.sync_detailed(TASK_ID, client=client)
    assert r.status_code == 200 and isinstance(r.parsed, TaskStatusInfo)


def test_kill_task(client: AuthenticatedClient) -> None:
    """POST /tasks/{id}/kill parses into TaskStatusInfo."""
    r = kill_task.sync_detailed(TASK_ID, client=client)
    assert r.status_code == 202 and isinstance(r.parsed, TaskStatusInfo)


def test_list_task_outputs(client: AuthenticatedClient) -> None:
    """GET /tasks/{id}/output/list parses into OutputList."""
    r = list_task_outputs.sync_detailed(TASK_ID, client=client)
    assert r.status_code == 200 and isinstance(r.parsed, OutputList)


def test_download_task_output(client: AuthenticatedClient) -> None:
    """GET /tasks/{id}/output parses into File."""
    r = download_task_output.sync_detailed(TASK_ID, client=client)
    assert r.status_code == 200 and isinstance(r.parsed, File)
