"""Version skew: a regenerated client with an older server, and this client with a newer one.

The newer contract is the real API's additive history (``tests/drill``: a
required ``Task.project``, ``n_mpi_hosts`` in the executers, new statuses and
fields). Neither side crashes: what one side does not know is shown as unknown
(missing fields) or kept as it came (unknown fields, statuses, executer kinds).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from drill.variants import Variant, build_variant
from inductiva_mock.launcher import MockServer

import inductiva
from inductiva import errors

pytestmark = pytest.mark.contract


@pytest.fixture(scope="module")
def newer(tmp_path_factory: pytest.TempPathFactory) -> Variant:
    """The client regenerated from the contract with the real API's additive changes."""
    return build_variant("additive", tmp_path_factory.mktemp("newer"))


@pytest.fixture(scope="module")
def newer_server(newer: Variant) -> Iterator[MockServer]:
    """A mock serving the newer contract (responses validated strictly against it)."""
    with MockServer(
        api_keys=("skew-key-1",), extra_args=["--spec", str(newer.spec_path)], strict_responses=True
    ) as server:
        yield server


OLDER_SERVER = """
import json, logging, io
import inductiva, inductiva_api
log = io.StringIO()
logging.getLogger("inductiva").addHandler(logging.StreamHandler(log))
assert inductiva_api.__file__.startswith(TARGET)
client = inductiva.Client(api_key="test-key", api_url=URL)
task = client.simulators.Synthetic().run(duration=0.1, files=[("a.txt", 10)])
info = task.get_info()
listed = client.tasks.get(2)
print(json.dumps({
    "status": task.wait(), "project": info.project, "fields": sorted(info.fields()),
    "vm_type": info.vm_type, "listed": [t.id for t in listed], "log": log.getvalue(),
}))
"""


def test_regenerated_client_works_with_an_older_server(
    newer: Variant, mock_server: MockServer
) -> None:
    """A required field the older server does not send is shown as unknown, with a warning."""
    script = OLDER_SERVER.replace("TARGET", repr(str(newer.target)))
    script = script.replace("URL", repr(mock_server.url))
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=newer.env()
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout.splitlines()[-1])
    assert result["status"] == "success"
    assert result["project"] is None and "project" not in result["fields"]
    assert result["vm_type"] == "c2-standard-8"  # the executer, lacking n_mpi_hosts, still read
    assert result["listed"]
    assert "lacks 'project'" in result["log"] and "shown as unknown" in result["log"]


def test_this_client_works_with_a_newer_server(newer_server: MockServer, tmp_path: Path) -> None:
    """Fields this client does not know are kept (and shown); every flow still works."""
    client = inductiva.Client(api_key="skew-key-1", api_url=newer_server.url)
    task = client.simulators.Synthetic().run(duration=0.1, files=[("a.txt", 10)])
    info = task.get_info()
    assert "project" in info.fields() and isinstance(info.project, str)
    assert info.vm_type == "c2-standard-8"
    assert task in client.tasks.get(3)
    assert sorted(p.name for p in task.download_outputs(["a.txt"], tmp_path).iterdir()) == ["a.txt"]


TASK = {"task_id": "7", "status": "started", "method_name": "fvm.openfoam.run_simulation"}


def _serving(answer: dict[str, object]) -> inductiva.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/status"):
            return httpx.Response(200, json={"id": "7", "status": answer["status"]})
        if request.url.path == "/version":
            return httpx.Response(404, json={"detail": "Not Found"})
        return httpx.Response(200, json=answer)

    transport = httpx.MockTransport(handler)
    return inductiva.Client(api_key="skew-key-1", api_url="http://127.0.0.1:9", transport=transport)


def test_unknown_status_from_a_newer_server_is_kept_and_not_final() -> None:
    """A status this contract lacks passes as text and counts as not final (wait goes on)."""
    task = _serving({**TASK, "status": "zombie-2027"}).task("7")
    assert task.get_status() == "zombie-2027"
    assert task.get_info().status == "zombie-2027"
    with pytest.raises(errors.TaskTimeoutError):
        task.wait(timeout=0.3)


def test_unknown_executer_kind_is_read_by_its_fields() -> None:
    """An executer of a kind this contract lacks is kept as it came, its fields still read."""
    executer = {"host_type": "aws-spot", "vm_type": "m7g.large", "memory": 8, "region": "x"}
    info = _serving({**TASK, "executer": executer}).task("7").get_info()
    assert (info.host_type, info.vm_type, info.memory) == ("aws-spot", "m7g.large", 8)
    assert info.fields()["executer"]["region"] == "x"
